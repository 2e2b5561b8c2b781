"""Generate official Word reports from structured data, a JSON Schema and a .docx template.

    import docgen
    report = docgen.load("report.json")       # JSON or YAML file, or a dict
    issues = docgen.check(report)             # every Issue, errors first; never raises
    result = docgen.render(report, "out.docx")  # result.issues: the warnings
    data = docgen.render(report)              # the .docx as bytes

The names below are imported when first used, so ``import docgen`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Public name → the module that defines it.
_EXPORTS = {
    "load": "docgen.api",
    "check": "docgen.api",
    "prepare": "docgen.api",
    "render": "docgen.api",
    "Prepared": "docgen.api",
    "Rendered": "docgen.api",
    "render_many": "docgen.batch",
    "Outcome": "docgen.batch",
    "BatchResult": "docgen.batch",
    "Issue": "docgen.errors",
    "TemplateLocation": "docgen.errors",
    "pointer": "docgen.errors",
    "DocgenError": "docgen.errors",
    "UsageError": "docgen.errors",
    "DataFileError": "docgen.errors",
    "InvalidReportError": "docgen.errors",
    "TemplateProblemError": "docgen.errors",
    "UnknownKindError": "docgen.errors",
    "PdfError": "docgen.errors",
    "LibreOfficeMissingError": "docgen.errors",
    "ReportKind": "docgen.kinds",
    "get_kind": "docgen.kinds",
    "custom_kind": "docgen.kinds",
}

__all__ = [
    "BatchResult",
    "DataFileError",
    "DocgenError",
    "InvalidReportError",
    "Issue",
    "LibreOfficeMissingError",
    "Outcome",
    "PdfError",
    "Prepared",
    "Rendered",
    "ReportKind",
    "TemplateLocation",
    "TemplateProblemError",
    "UnknownKindError",
    "UsageError",
    "check",
    "custom_kind",
    "get_kind",
    "load",
    "pointer",
    "prepare",
    "render",
    "render_many",
]

if TYPE_CHECKING:
    from docgen.api import Prepared, Rendered, check, load, prepare, render
    from docgen.batch import BatchResult, Outcome, render_many
    from docgen.errors import (
        DataFileError,
        DocgenError,
        InvalidReportError,
        Issue,
        LibreOfficeMissingError,
        PdfError,
        TemplateLocation,
        TemplateProblemError,
        UnknownKindError,
        UsageError,
        pointer,
    )
    from docgen.kinds import ReportKind, custom_kind, get_kind


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'docgen' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
