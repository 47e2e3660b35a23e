"""How `make test` spreads the tiers over two pytest-xdist workers (`pytest -n 2`).

The lab tests share one running lab and change it (restarts, a stopped router, alice at
/16): they run one after another, in one worker. The unit tests need no Docker and are
mostly CPU: they run in the other worker, at the same time, and after them the generated
lab's module (APART: its own project and subnets, started with remember=False, so that
`make status`, `make link` and the other commands without LAB= still act on the default
lab). The lab-file modules stay with the lab tests: with their labs (FRR routers, hubs,
link conditions) starting beside the lab tests, one CI run here failed a timing-bound lab
test (test_calls' one recv against what the server had sent). A module that runs `make up` itself (test_readme_own_lab.py)
changes which lab the commands act on: it stays with the lab tests too. Without -n
everything runs in one process, in the usual order.
"""
APART = ("tests/lab/test_generated.py",)
GROUPS = (*((name, "apart") for name in APART), ("tests/lab/", "lab"), ("tests/unit/", "apart"))


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
