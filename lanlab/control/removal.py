"""Removing a lab straight through the Docker API, by its project label."""
from __future__ import annotations

import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lanlab.control.errors import LabError
from lanlab.control.watch import PROJECT_LABEL
from lanlab.wire.capture import CAPTURE_LABEL

REMOVERS = 16


def remove_lab(project: str, directory: Path | None) -> None:
    """Remove a lab's containers, networks and volumes (and a generated lab's files).

    Straight through the Docker API, by the project's label (and the capture containers
    by theirs, lanlab/wire/capture.py): containers force-removed
    sixteen at a time (nothing in a lab needs a graceful stop: leases and records are
    on disk before they are promised), then networks and volumes. Compose is not
    needed, so this also clears what a half-started or hung `up` left behind."""
    import docker
    api = docker.APIClient(version="auto", timeout=120, max_pool_size=REMOVERS)
    label = {"label": f"{PROJECT_LABEL}={project}"}
    captures = {"label": f"{CAPTURE_LABEL}={project}"}     # `make capture` containers, a killed run's too
    doomed = api.containers(all=True, filters=label) + api.containers(all=True, filters=captures)
    with ThreadPoolExecutor(max_workers=REMOVERS) as pool:
        list(pool.map(lambda c: remove_container(api, c["Id"]), doomed))
    stuck = [net["Name"] for net in api.networks(filters=label) if not remove_network(api, net["Id"])]
    for volume in api.volumes(filters=label).get("Volumes") or []:
        ignore_missing(api.remove_volume, volume["Name"], force=True)
    if directory is not None and directory.is_dir():
        shutil.rmtree(directory)
    if stuck:
        raise LabError(f"Docker keeps a stale endpoint in {', '.join(stuck)} although no container "
                       "is attached (a Docker 20.10 bug, moby#42119); only restarting the Docker "
                       "engine frees it, and its subnet stays taken until then")


def remove_network(api, nid: str, attempts: int = 5) -> bool:
    """False if the network stays: Docker 20.10 sometimes keeps a stale endpoint."""
    for attempt in range(attempts):
        try:
            ignore_missing(api.remove_network, nid)
            return True
        except LabError as error:
            if "active endpoints" not in str(error):
                raise
            time.sleep(0.5 * (attempt + 1))
    return False


def remove_container(api, cid: str) -> None:
    ignore_missing(api.remove_container, cid, v=True, force=True)


def ignore_missing(call, *args, **kwargs) -> None:
    """Removing what is already gone (or going) is success."""
    import docker.errors
    try:
        call(*args, **kwargs)
    except docker.errors.NotFound:
        pass
    except docker.errors.APIError as error:
        if "already in progress" not in str(error):
            raise LabError(f"Docker refused to remove it: {error.explanation or error}") from None
