"""The lab's images are built once each, side by side: checked against compose.yaml."""
import threading
from pathlib import Path

import yaml

from lanlab.control import images
from lanlab.control.errors import LabError

ROOT = Path(__file__).resolve().parents[2]


def image_of(service: dict) -> str:
    return service["image"].split(":")[0].removeprefix("lanlab/")


def test_one_builder_per_image_of_compose_yaml():
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    built = {image_of(spec) for spec in services.values()}
    assert set(images.BUILDERS) == built, f"every image compose.yaml names has a builder: {built}"
    for name, service in images.BUILDERS.items():
        assert image_of(services[service]) == name, f"{service} builds lanlab/{name}, as compose.yaml says"
    assert sorted(n for line in images.BUILD_LINES for n in line) == sorted(images.BUILDERS), \
        "every image is in exactly one build line"


class Recording:
    def __init__(self, fail: str | None = None):
        self.calls, self.fail, self.together = [], fail, threading.Barrier(len(images.BUILD_LINES), timeout=5)

    def run(self, *args, timeout):
        self.together.wait()  # both lines must be running at once to pass this
        self.calls.append(args)
        if self.fail in args:
            raise LabError(f"`compose build {self.fail}` failed (exit 1)")


def test_the_build_lines_run_at_once_each_image_once():
    compose = Recording()
    images.build(compose)
    asked = sorted(name for call in compose.calls for name in call[2:])
    assert asked == sorted(images.BUILDERS.values()), f"each image is asked for once: {compose.calls}"
    assert all(call[:2] == ("build", "--quiet") for call in compose.calls), "quietly"


def test_a_failed_build_line_is_the_error():
    try:
        images.build(Recording(fail="alice"))
    except LabError as error:
        assert "alice" in str(error), "the failing build is named"
    else:
        raise AssertionError("a failed build must raise")
