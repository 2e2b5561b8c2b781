"""A compiled Word template as a disk-cache entry (`docgen.engine.cache`): key and payload.

`docgen.engine.fill` compiles a template once; this module says under which key the result is
kept and turns it into bytes and back. The key is the SHA-256 of the template's content and
of everything that changes the compiled result or the checks made while compiling: docgen's
version and code (fill, this module, the environment, the sandbox, the limits, the external
content finder, the well-formedness proof, the filters, the XML character check), docxtpl's
code, Python's version and bytecode magic, Jinja's version, and the limits in force (a
template accepted under lax limits is never taken from the cache under strict ones).

The payload is `marshal`-ed plain values and Jinja's code objects; loading it runs code, so
`docgen.engine.cache` reads entries only from a private directory.
"""

from __future__ import annotations

import dataclasses
import hashlib
import marshal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import CodeType
from typing import Any

import jinja2

from docgen.engine import cache, limits
from docgen.engine.environment import ENVIRONMENT
from docgen.errors import Issue, TemplateLocation

__all__ = ["ENTRY", "cache_key", "dump", "from_code", "load"]

#: What an entry holds, in order (a bump retires old entries).
ENTRY = "compiled-template-3"

#: The engine modules whose code decides a compiled template (hashed into every key).
_MODULES = ("fill", "compiled", "environment", "sandbox", "limits", "package", "xmlproof",
            "formatting", "fastcheck", "cache")

_toolchain: str | None = None


def _toolchain_id() -> str:
    global _toolchain
    if _toolchain is None:
        from importlib.util import MAGIC_NUMBER, find_spec

        here = Path(__file__).resolve().parent
        spec = find_spec("docxtpl")
        files: list[Path] = [here.parent / "__init__.py"]  # -- docgen's version, read --
        files += [here / f"{name}.py" for name in _MODULES]
        if spec is not None and spec.origin:
            files.append(Path(spec.origin))
        code = hashlib.sha256()
        for path in files:
            code.update(path.read_bytes())
        _toolchain = "|".join((ENTRY, sys.version, MAGIC_NUMBER.hex(), jinja2.__version__,
                               code.hexdigest()))
    return _toolchain


def cache_key(raw: bytes) -> str | None:
    """The cache key of the template `raw` under the current limits; None: no cache."""
    if cache.cache_dir() is None:
        return None
    chosen = repr(dataclasses.astuple(limits.current()))
    digest = hashlib.sha256(
        _toolchain_id().encode() + b"\0" + chosen.encode() + b"\0" + raw).hexdigest()
    return f"template-{digest}"


def from_code(code: CodeType) -> jinja2.Template:
    """The Jinja template of compiled `code`, as ``from_string`` makes it."""
    return ENVIRONMENT.template_class.from_code(ENVIRONMENT, code,
                                                ENVIRONMENT.make_globals(None), None)


def _issue_values(issue: Issue) -> dict[str, Any]:
    values = {f.name: getattr(issue, f.name) for f in dataclasses.fields(issue)}
    location = issue.location
    if location is not None:
        if not isinstance(location, TemplateLocation):
            raise ValueError("only template locations are kept")
        values["location"] = dataclasses.asdict(location)
    return values


def _issue(values: dict[str, Any]) -> Issue:
    location = values.pop("location", None)
    return Issue(**values, location=None if location is None else TemplateLocation(**location))


def dump(state: Sequence[Any], external: Sequence[Issue]) -> bytes | None:
    """The payload of a compiled template's `state` (plain values and code objects) and its
    external-content issues; None when something in it cannot be stored."""
    try:
        return marshal.dumps((ENTRY, tuple(state),
                              tuple(_issue_values(issue) for issue in external)))
    except ValueError:  # -- an unmarshallable value (a custom issue field): not cached --
        return None


def load(payload: bytes) -> tuple[tuple[Any, ...], tuple[Issue, ...]] | None:
    """The state and issues `dump` stored, or None when `payload` is not a sound entry."""
    try:
        tag, state, external = marshal.loads(payload)
        if tag != ENTRY:
            return None
        return tuple(state), tuple(_issue(dict(values)) for values in external)
    except Exception:  # -- a damaged entry: compiled again and written anew --
        return None
