"""How `make test` spreads the tiers over two pytest-xdist workers (`pytest -n 2`).

The lab tests share one running lab and change it (restarts, a stopped router, alice at
/16): they run one after another, in one worker. The unit tests need no Docker and are
mostly CPU: they run in the other worker, at the same time, and after them the modules
whose labs are their own (OWN_LABS: other projects, other subnets, and started with
remember=False, so that `make status`, `make link` and the other commands without LAB=
still act on the default lab). A module that runs `make up` itself
(test_readme_own_lab.py) changes which lab that is: it stays with the lab tests. Without
-n everything runs in one process, in the usual order.
"""
OWN_LABS = ("test_generated.py", "test_hub.py", "test_labfile_chain.py", "test_labfile_wire.py", "test_ospf.py")
GROUPS = (*((f"tests/lab/{name}", "apart") for name in OWN_LABS), ("tests/lab/", "lab"), ("tests/unit/", "apart"))


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
