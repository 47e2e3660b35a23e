"""The lab control's one Docker client, and what it reads off a container.
Containers are named by their Compose service label, never by their name.

The Docker SDK is imported on the first call (a fifth of a second): `make up` starts
compose before it needs the SDK, and imports it while compose is starting."""
from __future__ import annotations

from lanlab.control.errors import LabError
from lanlab.control.watch import SERVICE_LABEL

_CLIENT: list = []


def client():
    """The one docker.DockerClient of this process (a new one asks the engine its version first)."""
    if _CLIENT:
        return _CLIENT[0]
    import docker
    import docker.errors
    try:
        _CLIENT.append(docker.from_env(version="auto", timeout=120))
        return _CLIENT[0]
    except docker.errors.DockerException as error:
        raise LabError(f"cannot talk to the Docker engine ({error}); is it running, and may you use it?") from None


def name_of(container) -> str:
    return container.labels.get(SERVICE_LABEL, container.name)


def health(container) -> str:
    state = container.attrs.get("State", {})
    if state.get("Status") != "running":
        return state.get("Status", "unknown")
    return state.get("Health", {}).get("Status", "running")
