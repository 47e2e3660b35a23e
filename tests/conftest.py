"""How `make test` spreads the tiers over two pytest-xdist workers (`-n 2 --dist loadgroup`).

The lab tests share one running lab and change it (restarts, a stopped router, alice at
/16): they run one after another, in one worker. The unit tests need no Docker and are
mostly CPU; the generated lab is a lab of its own: both run in the other worker, at the
same time. Without -n everything runs in one process, in the usual order.
"""
import pytest

GROUPS = (("tests/lab/test_generated.py", "apart"), ("tests/lab/", "lab"), ("tests/unit/", "apart"))


def group_of(path: str) -> str:
    return next(group for prefix, group in GROUPS if prefix in path)


def pytest_collection_modifyitems(items):
    for item in items:
        item.add_marker(pytest.mark.xdist_group(group_of(item.nodeid)))
