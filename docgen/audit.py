"""Audit published reports: read each one back (docgen.readers), then run every check docgen
has, each issue located in the published document. A library: it never prints.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from docgen.api import check, load
from docgen.engine.loading import YAML_SUFFIXES
from docgen.errors import DocgenError, Issue, sorted_issues
from docgen.readers import ImportedReport, import_report

__all__ = ["AuditResult", "audit", "data_json", "json_visible", "previous_report"]

#: Import problems that already say what a schema "missing field" error would repeat.
_READ_PROBLEMS = ("IMPORT-BLANK-CELL", "IMPORT-UNREAD", "IMPORT-FORMAT")


@dataclass
class AuditResult:
    """One published report audited: its file, what was read, and every issue found."""

    path: Path
    imported: ImportedReport | None = None
    issues: list[Issue] = field(default_factory=list)
    #: Why the file could not be read at all (then `imported` is None).
    failure: str | None = None

    @property
    def errors(self) -> int:
        """How many errors were found (an unreadable file counts as one)."""
        return sum(i.is_error for i in self.issues) + (self.failure is not None)

    @property
    def warnings(self) -> int:
        """How many warnings were found."""
        return sum(not i.is_error for i in self.issues)

    def summary(self) -> dict[str, Any]:
        """The result as one JSON object (``docgen audit --json``)."""
        data = self.imported.data if self.imported is not None else {}
        return {"file": str(self.path), "agency": data.get("agency"), "year": data.get("year"),
                "format": data.get("format"), "errors": self.errors,
                "warnings": self.warnings, "failure": self.failure,
                "codes": sorted({i.code for i in self.issues}),
                "issues": [i.to_dict() for i in self.issues]}


def previous_report(path: str | Path) -> dict[str, Any]:
    """Last year's report: a data file (JSON/YAML/.xlsx) or any published file docgen can read."""
    source = Path(path)
    if source.suffix.lower() in (".json", ".xlsx", *YAML_SUFFIXES):
        return load(source)
    return import_report(source).data


def audit(path: str | Path, *, previous: dict[str, Any] | None = None) -> AuditResult:
    """Read the published report at `path` and check it; never raises for a bad document."""
    source = Path(path)
    try:
        imported = import_report(source)
    except DocgenError as exc:
        return AuditResult(source, failure=str(exc))
    read = {i.path for i in imported.issues if i.code in _READ_PROBLEMS}
    found = [i for i in check(imported.data, previous=previous)
             if not (i.stage == "schema" and _covered(i.path, read))]
    issues = [imported.locate(i) for i in [*imported.issues, *found]]
    return AuditResult(source, imported, sorted_issues(issues))


def _covered(path: str, read: set[str]) -> bool:
    return any(path == p or p.startswith(path + "/") for p in read)


_DECIMAL = re.compile(r'"\\u0000(-?[0-9.]+)\\u0000"')


def data_json(data: dict[str, Any]) -> str:
    """Return report data as the JSON text of a data file; amounts stay exact decimals."""

    def encode(value: Any) -> Any:
        if isinstance(value, Decimal):
            return f"\0{value}\0"
        raise TypeError(type(value).__name__)

    text = json.dumps(data, ensure_ascii=False, indent=2, default=encode)
    return json_visible(_DECIMAL.sub(r"\1", text)) + "\n"


#: Characters JSON may carry raw that a terminal obeys or that reorder what it shows: DEL, C1
#: controls, bidirectional overrides (json.dumps already escapes C0 controls such as ESC).
_INVISIBLE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def json_visible(text: str) -> str:
    """JSON `text` with `_INVISIBLE` characters written as ``\\uXXXX`` escapes: the same
    JSON value, shown safely in a terminal."""
    return _INVISIBLE.sub(lambda found: f"\\u{ord(found.group()):04x}", text)
