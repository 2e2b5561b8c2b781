"""Generate official Word reports from structured data, a JSON Schema and a .docx template."""

from docgen.api import check, load, prepare, render
from docgen.errors import (
    DataFileError,
    DocgenError,
    InvalidReportError,
    Issue,
    LibreOfficeMissingError,
    PdfError,
    TemplateProblemError,
    UnknownKindError,
    UsageError,
)
from docgen.kinds import ReportKind, get_kind

__version__ = "0.1.0"

__all__ = [
    "DataFileError",
    "DocgenError",
    "InvalidReportError",
    "Issue",
    "LibreOfficeMissingError",
    "PdfError",
    "ReportKind",
    "TemplateProblemError",
    "UnknownKindError",
    "UsageError",
    "check",
    "get_kind",
    "load",
    "prepare",
    "render",
]
