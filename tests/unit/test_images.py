"""The lab's one image: every container of compose.yaml runs it in a role, and it is rebuilt
when, and only when, something it is built from changed."""
import json
from pathlib import Path

import pytest
import yaml

from lanlab import contracts
from lanlab.control import images

ROOT = Path(__file__).resolve().parents[2]


def test_every_service_of_compose_yaml_runs_the_lab_image_in_a_role():
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    for name, service in services.items():
        role = service["labels"][contracts.ROLE_LABEL]
        assert service["image"].split(":")[0] == contracts.IMAGE, f"{name} runs the one image make up builds"
        assert role in contracts.COMMANDS, f"{name}'s role {role!r} is one the inventory knows"
        assert service.get("command", contracts.COMMANDS["host"]) == contracts.COMMANDS[role], \
            f"{name} runs its role's program"
    roles = {service["labels"][contracts.ROLE_LABEL] for service in services.values()}
    assert roles == set(contracts.COMMANDS), "the default lab has every role"


def test_the_images_default_command_is_the_hosts():
    cmd = [line for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("CMD ")]
    assert [json.loads(line[4:]) for line in cmd] == [contracts.COMMANDS["host"]], \
        "a host's service gives no command: the image's CMD must be the host's program"


@pytest.fixture
def tree(tmp_path, monkeypatch):
    for relative, text in {"Dockerfile": "FROM base\n", ".dockerignore": "docs\n**/__pycache__\n",
                           "lanlab/x.py": "x = 1\n", "lanlab/lessons/y.py": "y = 1\n",
                           "docs/lessons/z.md": "z\n"}.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text)
    monkeypatch.setattr(images, "ROOT", tmp_path)
    monkeypatch.setattr(images, "image_id", lambda name: "sha256:base")
    return tmp_path


@pytest.mark.parametrize("changed,rebuilds", [
    ("Dockerfile", True), ("lanlab/x.py", True), ("lanlab/lessons/y.py", True), ("docs/lessons/z.md", False),
])
def test_the_image_is_rebuilt_when_what_it_is_built_from_changes(tree, changed, rebuilds):
    before = images.sources_hash()
    (tree / changed).write_text("changed\n")
    assert (images.sources_hash() != before) is rebuilds, \
        f"a change to {changed} {'must' if rebuilds else 'must not'} rebuild the image"


def test_the_build_names_the_base_and_the_tag(monkeypatch):
    calls = []
    monkeypatch.setattr(images.base, "run_logged", lambda argv, step, what: calls.append((argv, step)))
    monkeypatch.setenv("LANLAB_TAG", "t1")
    monkeypatch.setenv("LANLAB_BASE_IMAGE", "lanlab-base:abc")
    images.build()
    (argv, step), = calls
    assert argv[:2] == ["docker", "build"] and "BASE_IMAGE=lanlab-base:abc" in argv, "built on the base asked for"
    assert argv[argv.index("-t") + 1] == f"{contracts.IMAGE}:t1", "tagged as compose.yaml names it"
    assert step == "image", "its output goes to build/logs/image.log, shown if it fails"
