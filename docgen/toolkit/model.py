"""What the template analysis knows: findings, references, bindings, attribute sets."""

from __future__ import annotations

import difflib
import inspect
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from docgen.engine.formatting import FILTERS
from docgen.errors import (
    Issue,
)
from docgen.toolkit.fields import Path_
from docgen.toolkit.ooxml import Para


@dataclass
class Finding:
    issue: Issue
    part: str | None = None
    para: int | None = None
    span: tuple[int, int] | None = None
    order: tuple[int, int, int] = (0, 0, 0)


@dataclass(frozen=True)
class Ref:
    """A value the template reaches: a schema path; `exact` if its attributes can be checked."""

    path: Path_
    exact: bool = True


@dataclass(frozen=True)
class Bind:
    """What a template variable (loop variable, ``set`` name, macro argument) stands for."""

    ref: Ref | None = None
    uses: frozenset[Path_] = frozenset()
    loop: bool = False


Scope = dict[str, Bind]
Sink = dict[Path_, "Para"]

LOOP_ATTRS = ("index", "index0", "revindex", "revindex0", "first", "last", "length",
               "cycle", "depth", "depth0", "previtem", "nextitem", "changed")
LIST_ATTRS = frozenset(a for a in dir(list) if not a.startswith("_"))
DICT_ATTRS = frozenset(a for a in dir(dict) if not a.startswith("_"))
STR_ATTRS = frozenset(a for a in dir(str) if not a.startswith("_"))
NUMBER_ATTRS = frozenset(a for a in (*dir(int), *dir(Decimal)) if not a.startswith("_"))
#: Attributes the sandbox refuses besides every name starting with ``_``.
_UNSAFE_ATTRS = frozenset({
    "mro", "func_globals", "func_code", "func_closure", "func_defaults", "func_dict",
    "gi_frame", "gi_code", "gi_yieldfrom", "cr_frame", "cr_code", "cr_await", "ag_code",
    "ag_frame", "ag_await", "tb_frame", "tb_next", "f_globals", "f_locals", "f_builtins",
    "f_back", "f_code", "co_code", "im_class", "im_func", "im_self",
})
FIGURE = re.compile(r"^[+\-−]?\d[\d,，]*(?:[.．]\d+)?[%％]?$")



_NUMERIC = frozenset({"integer", "number"})
#: The JSON types each docgen filter can format (``cell`` takes any table cell).
FILTER_INPUTS: Mapping[str, frozenset[str]] = {
    **{name: _NUMERIC for name in ("cn_number", "number", "percent", "signed", "change_words",
                                   "yuan_to_wan", "compact", "money", "rmb_upper")},
    "heading_label": frozenset({"integer"}),
    "page_number_text": frozenset({"integer"}),
    "cn_year": frozenset({"integer", "string"}),
    "format_date": frozenset({"string"}),
    "date_range": frozenset({"string"}),
    "paragraphs": frozenset({"string"}),
    "doc_number": frozenset({"string", "integer"}),
}


def unsafe(attr: str) -> bool:
    return attr.startswith("_") or attr in _UNSAFE_ATTRS


def suggest(word: str, candidates: Iterable[str]) -> str | None:
    found = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return found[0] if found else None


def filter_usage(name: str) -> str:
    """``cell(signed=False, unit="")``: a docgen filter's arguments after the value.

    >>> filter_usage("cell")
    'x | cell(signed=False, unit="")'
    """
    params = list(inspect.signature(FILTERS[name]).parameters.values())[1:]
    shown = []
    for param in params:
        if param.default is inspect.Parameter.empty:
            shown.append(param.name)
        else:
            default = f'"{param.default}"' if isinstance(param.default, str) else param.default
            shown.append(f"{param.name}={default}")
    return f"x | {name}({', '.join(shown)})" if shown else f"x | {name}"


def as_path(value: Any) -> Path_:
    if isinstance(value, tuple):
        return tuple(str(v) for v in value)
    return tuple(str(value).replace("[]", ".[]").split("."))
