"""`make down` removes the lab's capture containers too (a killed `make capture` leaves one):
lanlab/control/removal.py against a fake Docker API."""
from __future__ import annotations

import docker

from lanlab.control import removal
from lanlab.wire.capture import CAPTURE_LABEL


class FakeAPI:
    def __init__(self, *args, **kwargs):
        self.removed: list[str] = []
        FakeAPI.last = self

    def containers(self, all=False, filters=None):
        label = filters["label"]
        return {"com.docker.compose.project=lw": [{"Id": "alice"}],
                f"{CAPTURE_LABEL}=lw": [{"Id": "capture"}]}.get(label, [])

    def remove_container(self, cid, v=False, force=False):
        self.removed.append(cid)

    def networks(self, filters=None):
        return []

    def volumes(self, filters=None):
        return {"Volumes": []}


def test_down_removes_the_projects_capture_containers(monkeypatch):
    monkeypatch.setattr(docker, "APIClient", FakeAPI)
    removal.remove_lab("lw", None)
    assert sorted(FakeAPI.last.removed) == ["alice", "capture"], \
        "the capture container, found by its own label, goes with the lab's containers"
