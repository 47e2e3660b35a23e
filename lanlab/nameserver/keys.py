"""The TSIG key (RFC 8945, hmac-sha256) that signs the DHCP server's updates.

It is made by the dns container at its first start, when the file is absent, and lives
in the `tsig` volume (mounted at /var/lib/lanlab/keys in dns and dhcp), never in git.
The file is in BIND's key-file format, as `tsig-keygen` writes it, so both
`nsupdate -k /var/lib/lanlab/keys/tsig.key` and lanlab.dhcp.ddns.load_key read it:

    key "lanlab-ddns" {
        algorithm hmac-sha256;
        secret "base64 of 32 random bytes";
    };

`render_key_file` and `parse_key_file` do no I/O; `ensure_key` creates the file
atomically: written to a temporary file, then linked into place, which fails if another
process won the race (its key is then the one used).
"""
from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
from pathlib import Path

import dns.name
import dns.tsig

from lanlab import contracts

KEY_NAME = "lanlab-ddns"
ALGORITHM = "hmac-sha256"
KEY_PATH = contracts.KEY_PATH
KEY_BLOCK = re.compile(r'key\s+"?([A-Za-z0-9._-]+)"?\s*\{(.*?)\}\s*;', re.S)
ALGORITHM_LINE = re.compile(r"algorithm\s+\"?([A-Za-z0-9.-]+)\"?\s*;")
SECRET_LINE = re.compile(r'secret\s+"([A-Za-z0-9+/=\s]+)"\s*;')


class KeyFileError(ValueError):
    """A key file that is absent or unreadable; the message names the file."""


def new_secret() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def render_key_file(name: str = KEY_NAME, secret: str | None = None, algorithm: str = ALGORITHM) -> str:
    secret = secret or new_secret()
    return f'key "{name}" {{\n\talgorithm {algorithm};\n\tsecret "{secret}";\n}};\n'


def parse_key_file(text: str, source: str = "key file") -> dns.tsig.Key:
    block = KEY_BLOCK.search(text)
    if block is None:
        raise KeyFileError(f'{source}: no `key "name" {{ ... }};` block')
    algorithm = ALGORITHM_LINE.search(block.group(2))
    secret = SECRET_LINE.search(block.group(2))
    if algorithm is None or secret is None:
        raise KeyFileError(f"{source}: the key block needs an algorithm and a secret")
    try:
        base64.b64decode(secret.group(1), validate=False)
        return dns.tsig.Key(block.group(1), "".join(secret.group(1).split()), algorithm.group(1))
    except (binascii.Error, ValueError, dns.name.BadEscape) as error:
        raise KeyFileError(f"{source}: unreadable key ({error})") from None


def read_key(path: str | os.PathLike = KEY_PATH) -> dns.tsig.Key:
    try:
        text = Path(path).read_text()
    except OSError as error:
        raise KeyFileError(f"cannot read the TSIG key {path}: {error.strerror}") from None
    return parse_key_file(text, str(path))


def ensure_key(path: str | os.PathLike = KEY_PATH) -> tuple[dns.tsig.Key, bool]:
    """The key in `path`, made first if absent. Returns (key, whether it was made now)."""
    path = Path(path)
    if path.exists():
        return read_key(path), False
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(render_key_file())
            handle.flush()
            os.fsync(handle.fileno())
        created = True
        try:
            os.link(temporary, path)
        except FileExistsError:
            created = False
    finally:
        temporary.unlink(missing_ok=True)
    return read_key(path), created
