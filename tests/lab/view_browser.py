"""Fixtures for the web view's lab tests: the server as `make view` runs it, on a free
port, and headless Chromium driven by selenium (lanlab/view/browser.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

from lanlab.control.compose import ROOT  # noqa: F401 - the tests run commands from here
from lanlab.control.errors import LabError
from lanlab.view.browser import capture_containers, start_server, wait_until  # noqa: F401
from lanlab.view import browser as harness


@pytest.fixture(scope="module")
def view_server(lab, tmp_path_factory):
    try:
        server = start_server(lab.project, tmp_path_factory.mktemp("view") / "server.log")
    except LabError as error:
        pytest.fail(str(error), pytrace=False)
    yield server
    server.stop()


def new_browser():
    try:
        return harness.new_browser()
    except LabError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="module")
def browser(view_server):
    driver = new_browser()
    driver.get(view_server.url)
    yield driver
    driver.quit()


def wait_for(what: str, check, timeout: float = 30.0):
    """check() until it returns something true; fail saying `what` did not happen."""
    value = wait_until(check, timeout)
    if not value:
        pytest.fail(f"within {timeout:.0f} s: {what}", pytrace=False)
    return value
