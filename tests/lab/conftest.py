"""Lab tests run against the real lab, through pytest-docker.

If the lab (project LANLAB_PROJECT, default "lanlab") is already up and healthy, the
tests use it and leave it up. Otherwise the session builds what is missing, starts it,
waits until every container is healthy, and removes it afterwards (`down -v`).

Fixtures:
    plan   the address plan (lanlab.topology), the same numbers compose.yaml uses
    lab    the lanlab.control.lab.Lab being tested, ready
    node   node("alice") -> a Node: .sh("cmd") / .run([...]) -> Output(code, out, err)
"""
from __future__ import annotations

import pytest

from lanlab import topology
from lanlab.control.compose import compose_command
from lanlab.control.errors import LabError
from lanlab.control.lab import Lab
from lanlab.control.probe import Node

pytestmark = pytest.mark.lab


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/lab" in str(item.fspath):
            item.add_marker(pytest.mark.lab)


@pytest.fixture(scope="session")
def plan() -> topology.Plan:
    return topology.default_plan()


@pytest.fixture(scope="session")
def lab_under_test() -> Lab:
    return Lab.from_env()


@pytest.fixture(scope="session")
def lab_was_up(lab_under_test: Lab) -> bool:
    """Running containers mean someone's lab: use it (waiting for it to be healthy)
    and leave it up, even if a healthcheck is failing right now under load."""
    return bool(lab_under_test.containers(all=False))


# --- pytest-docker's fixtures, pointed at our compose file and project ------------------

@pytest.fixture(scope="session")
def docker_compose_command() -> str:
    # Bounded: docker-compose 1.29 has been seen to hang creating containers.
    return "timeout 300 " + " ".join(compose_command())


@pytest.fixture(scope="session")
def docker_compose_file(lab_under_test: Lab) -> list[str]:
    return [str(path) for path in lab_under_test.files]


@pytest.fixture(scope="session")
def docker_compose_project_name(lab_under_test: Lab) -> str:
    return lab_under_test.project


@pytest.fixture(scope="session")
def docker_setup(lab_under_test: Lab, lab_was_up: bool):
    if lab_was_up:
        print(f"\nlanlab: using the running lab {lab_under_test.project!r}; it stays up")
        return []
    lab_under_test.build()
    return ["up -d --no-build"]


@pytest.fixture(scope="session")
def docker_cleanup(lab_was_up: bool):
    return [] if lab_was_up else ["down -v --remove-orphans -t 2"]


@pytest.fixture(scope="session")
def lab(docker_services, lab_under_test: Lab) -> Lab:
    try:
        lab_under_test.wait(timeout=180)
    except LabError as error:
        pytest.fail(f"the lab did not become ready: {error}", pytrace=False)
    return lab_under_test


@pytest.fixture(scope="session")
def node(lab: Lab):
    cache: dict[str, Node] = {}

    def get(service: str) -> Node:
        if service not in cache:
            cache[service] = Node(lab, service)
        return cache[service]

    return get


# --- measurements the tests report at the end of the run --------------------------------

MEASURED: dict[str, str] = {}


@pytest.fixture(scope="session")
def measured() -> dict[str, str]:
    """Tests put figures here (e.g. how fast the lab heals); printed after the run."""
    return MEASURED


def pytest_sessionfinish(session):
    """In an xdist worker: hand the figures to the controller, which prints them."""
    if hasattr(session.config, "workeroutput"):
        session.config.workeroutput["lanlab_measured"] = dict(MEASURED)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    MEASURED.update(getattr(node, "workeroutput", {}).get("lanlab_measured", {}))


def pytest_terminal_summary(terminalreporter):
    if MEASURED:
        terminalreporter.section("lanlab measurements")
        for key, value in MEASURED.items():
            terminalreporter.write_line(f"{key}: {value}")


# --- labs from lab files (tests/labs/*.yaml), one per test module -----------------------

@pytest.fixture(scope="module")
def labfile_lab(request):
    """The lab of the test module's LAB_FILE, started unless it already runs and is
    ready (then left up), removed afterwards if this started it."""
    path = request.module.LAB_FILE
    lab = Lab.from_labfile(str(path))
    was_up = bool(lab.containers()) and lab.is_up()
    if not was_up:
        try:
            lab.down()
            lab.up(remember=False)
        except LabError as error:
            lab.down()
            pytest.fail(f"the lab of {path} did not start: {error}", pytrace=False)
    yield lab
    if not was_up:
        lab.down()
