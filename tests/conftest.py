"""How `make test` spreads the tiers over two pytest-xdist workers (`pytest -n 2`).

The lab tests share one running lab and change it (restarts, a stopped router, alice at
/16): they run one after another, in one worker. Labs the tests start themselves (the
generated lab, lab files) run there too: while one runs, `make status` and the other
commands test_readme.py runs would act on it (the lab started last). The unit tests need
no Docker and are mostly CPU: they run in the other worker, at the same time. Without -n
everything runs in one process, in the usual order.
"""
GROUPS = (("tests/lab/", "lab"), ("tests/unit/", "apart"))


def group_of(nodeid: str) -> str:
    return next((group for prefix, group in GROUPS if prefix in nodeid), "apart")


def pytest_xdist_make_scheduler(config, log):
    """xdist's scheduling by scope, the scope being the group: each group's tests go, in
    order, to one worker. (Not --dist loadgroup: xdist 3.8 marks groups in a node id
    attribute that pytest 9.2 no longer reads, so every test went anywhere.)"""
    from xdist.scheduler import LoadScopeScheduling

    class ByGroup(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return group_of(nodeid)

    return ByGroup(config, log)
