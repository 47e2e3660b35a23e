"""Drive the web view from outside, as a user would: the server as `make view` starts it
(`python -m lanlab.control view`) and headless Chromium through selenium (Debian's
chromium and chromium-driver, `make view-deps`; selenium is in the test extra).
Used by the browser tests (tests/lab/test_view*.py) and the view benchmark."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from lanlab.control.compose import ROOT
from lanlab.control.errors import LabError

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

    def stop(self) -> None:
        """Ctrl-C, as a user stops `make view` (the server cleans up), then SIGKILL."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(project: str, log: Path, port: int | None = None) -> ViewServer:
    """`make view` on a free port; LabError (with its log's tail) if it prints no URL."""
    port = port or free_port()
    with open(log, "w") as err:
        process = subprocess.Popen([sys.executable, "-m", "lanlab.control", "view", "--port", str(port)],
                                   cwd=ROOT, env={**os.environ, "LANLAB_PROJECT": project},
                                   stdout=subprocess.PIPE, stderr=err, text=True, start_new_session=True)
    deadline, line = time.monotonic() + START_SECONDS, ""
    while time.monotonic() < deadline and "token=" not in line:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
    url = line.split("open ", 1)[1].strip() if "token=" in line else ""
    server = ViewServer(url, url.split("/?", 1)[0], url.split("token=", 1)[-1], port, process, log)
    if not url:
        server.stop()
        raise LabError(f"`make view` printed no URL: {log.read_text()[-300:]}")
    return server


def new_browser(width: int = 1500, height: int = 950):
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        raise LabError("Chromium and chromedriver are missing: run `make view-deps` "
                       "(Debian packages chromium, chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={width},{height}"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_script_timeout(30)
    return driver


def capture_containers(project: str) -> list[str]:
    from lanlab.wire.capture import CAPTURE_LABEL
    out = subprocess.run(["docker", "ps", "-aq", "--filter", f"label={CAPTURE_LABEL}={project}"],
                         capture_output=True, text=True, timeout=30).stdout
    return out.split()


def wait_until(check, timeout: float = 30.0, every: float = 0.1):
    """check() until it returns something true (returned), or None after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    return None
