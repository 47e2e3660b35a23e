"""${NAME} and ${NAME:-default} in lanlab's configuration files (dhcp/dhcp.toml,
dns/lab.toml), spelled as compose.yaml spells them, so one environment (LANLAB_LAN_A,
...) moves the subnets, the pools and the zones together. No I/O."""
from __future__ import annotations

import re
from typing import Mapping

VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def substitute(text: str, env: Mapping[str, str], error: type[Exception] = ValueError) -> str:
    """`text` with every variable replaced; an unset variable with no default raises
    `error` with a message that says how to give it one."""
    def value(match: re.Match) -> str:
        name, default = match.group(1), match.group(2)
        if env.get(name):
            return env[name]
        if default is None:
            raise error(f"${{{name}}} is not set and has no default (write ${{{name}:-value}})")
        return default
    return VARIABLE.sub(value, text)
