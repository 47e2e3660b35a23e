"""xterm.js for the page, from Debian's packages (no CDN, nothing copied into the repo).

Debian 12's libjs-xterm ships /usr/share/javascript/xterm/xterm.js as a stub that only
calls require("./public/Terminal"): it does not run in a browser by itself. The modules
it needs are in node-xterm (the same upstream version and source package) under
/usr/share/nodejs/xterm/lib, as CommonJS files. bundle() wraps each module the entry
point reaches in a function and adds a small require(), giving one script that defines
window.Terminal. The CSS is libjs-xterm's own.
"""
from __future__ import annotations

import json
import posixpath
import re
from functools import lru_cache
from pathlib import Path

LIB = Path("/usr/share/nodejs/xterm/lib")
CSS = Path("/usr/share/javascript/xterm/xterm.css")
ENTRY = "public/Terminal"
REQUIRE = re.compile(r"""require\(["'](\.{1,2}/[^"']+)["']\)""")
INSTALL = "install Debian's libjs-xterm and node-xterm (`make view-deps`)"

LOADER = """(function () {
var modules = {}, cache = {};
%s
function require(name) {
  if (!(name in cache)) {
    var module = {exports: {}};
    cache[name] = module.exports;
    modules[name](module.exports, function (path) { return require(resolve(name, path)); }, module);
    cache[name] = module.exports;
  }
  return cache[name];
}
function resolve(from, path) {
  var parts = from.split("/").slice(0, -1);
  path.split("/").forEach(function (p) { if (p === "..") parts.pop(); else if (p !== ".") parts.push(p); });
  return parts.join("/");
}
window.Terminal = require(%s).Terminal;
})();
"""


def module_names(lib: Path = LIB, entry: str = ENTRY) -> list[str]:
    """Every module reachable from `entry` by relative require() calls."""
    seen, todo = [], [entry]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.append(name)
        source = (lib / f"{name}.js").read_text()
        base = posixpath.dirname(name)
        todo += [posixpath.normpath(posixpath.join(base, path)) for path in REQUIRE.findall(source)]
    return sorted(seen)


@lru_cache(maxsize=1)
def bundle(lib: Path = LIB, entry: str = ENTRY) -> str:
    """One script defining window.Terminal; FileNotFoundError if the packages are missing."""
    parts = [f"modules[{json.dumps(name)}] = function (exports, require, module) {{\n"
             f"{(lib / f'{name}.js').read_text()}\n}};"
             for name in module_names(lib, entry)]
    return LOADER % ("\n".join(parts), json.dumps(entry))


def installed() -> bool:
    return (LIB / f"{ENTRY}.js").is_file() and CSS.is_file()
