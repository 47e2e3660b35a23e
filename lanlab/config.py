"""Reading lanlab's configuration files (dhcp/dhcp.toml, dns/lab.toml): TOML (tomllib)
with ${NAME} and ${NAME:-default}, spelled as compose.yaml spells them, so one
environment (LANLAB_LAN_A, ...) moves the subnets, the pools and the zones together.
One error type, ConfigError, for every configuration lanlab reads."""
from __future__ import annotations

import re
import tomllib
from typing import Mapping

VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class ConfigError(ValueError):
    """A configuration that cannot work; the message names the file or key and says why."""


def substitute(text: str, env: Mapping[str, str]) -> str:
    """`text` with every variable replaced; an unset variable with no default raises
    ConfigError with a message that says how to give it one."""
    def value(match: re.Match) -> str:
        name, default = match.group(1), match.group(2)
        if env.get(name):
            return env[name]
        if default is None:
            raise ConfigError(f"${{{name}}} is not set and has no default (write ${{{name}:-value}})")
        return default
    return VARIABLE.sub(value, text)


def read_toml(text: str, env: Mapping[str, str], where: str) -> dict:
    """The TOML in `text`, variables substituted; ConfigError names `where`."""
    try:
        return tomllib.loads(substitute(text, env))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{where}: not valid TOML ({error})") from None
    except ConfigError as error:
        raise ConfigError(f"{where}: {error}") from None


def read_file(path, what: str) -> str:
    """The text of a configuration file; ConfigError says which one could not be read."""
    try:
        with open(path, encoding="utf-8") as file:
            return file.read()
    except OSError as error:
        raise ConfigError(f"cannot read the {what} {path}: {error.strerror}") from None
