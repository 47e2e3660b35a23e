"""Fixtures for the web view's lab tests: the server (`python -m lanlab.control view`, as
`make view` runs it) on a free port, and headless Chromium driven by selenium.

Chromium and chromedriver are Debian's (`make view-deps`, .ci/run installs them)."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
START_SECONDS = 90


@dataclass
class ViewServer:
    url: str            # with the token, as printed
    base: str           # http://127.0.0.1:PORT
    token: str
    port: int
    process: subprocess.Popen
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(project: str, log: Path, port: int | None = None) -> ViewServer:
    port = port or free_port()
    env = {**os.environ, "LANLAB_PROJECT": project}
    with open(log, "w") as err:
        process = subprocess.Popen([sys.executable, "-m", "lanlab.control", "view", "--port", str(port)],
                                   cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=err, text=True,
                                   start_new_session=True)
    deadline = time.monotonic() + START_SECONDS
    line = ""
    while time.monotonic() < deadline and "token=" not in line:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
    if "token=" not in line:
        stop_server(process)
        pytest.fail(f"`make view` did not print its URL: {log.read_text()[-500:]}", pytrace=False)
    url = line.split("open ", 1)[1].strip()
    return ViewServer(url, url.split("/?", 1)[0], url.split("token=", 1)[1], port, process, log)


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="module")
def view_server(lab, tmp_path_factory):
    server = start_server(lab.project, tmp_path_factory.mktemp("view") / "server.log")
    yield server
    stop_server(server.process)


def new_browser():
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        pytest.fail("Chromium and chromedriver are missing: run `make view-deps` (Debian packages "
                    "chromium, chromium-driver)", pytrace=False)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1500,950"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_script_timeout(30)
    return driver


@pytest.fixture(scope="module")
def browser(view_server):
    driver = new_browser()
    driver.get(view_server.url)
    yield driver
    driver.quit()


def wait_for(what: str, check, timeout: float = 30.0, every: float = 0.1):
    """check() until it returns something true; fail saying `what` did not happen."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    pytest.fail(f"within {timeout:.0f} s: {what}", pytrace=False)


def capture_containers(project: str) -> list[str]:
    from lanlab.wire.capture import CAPTURE_LABEL
    out = subprocess.run(["docker", "ps", "-aq", "--filter", f"label={CAPTURE_LABEL}={project}"],
                         capture_output=True, text=True, timeout=30).stdout
    return out.split()
