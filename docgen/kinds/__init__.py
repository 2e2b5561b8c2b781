"""The registry of report kinds: the flagship's format versions, custom kinds, and the choice of
version for a report."""

from __future__ import annotations

from pathlib import Path

from docgen.engine.schema import load_schema
from docgen.engine.workbook import ReadWorkbook
from docgen.errors import UnknownKindError, UsageError
from docgen.kinds.base import Deriver, Report, ReportKind, Rule, build_context
from docgen.kinds.gov_info_annual import kind as _gov_info_annual
from docgen.kinds.gov_info_annual.versions import (
    DEFAULT_FORMAT,
    FORMAT_VERSIONS,
    GOV_INFO_ANNUAL,
    YEARS,
    format_for_year,
)

__all__ = [
    "DEFAULT_FORMAT",
    "FORMAT_VERSIONS",
    "GOV_INFO_ANNUAL",
    "YEARS",
    "Deriver",
    "Report",
    "ReportKind",
    "Rule",
    "build_context",
    "custom_kind",
    "format_for_year",
    "get_kind",
    "read_workbook",
    "resolve_kind",
    "select_kind",
]


def get_kind(name: str) -> ReportKind:
    """Return the registered kind `name` (``gov-info-annual-2021``, or a bare version ``2021``)."""
    version = name.removeprefix(f"{GOV_INFO_ANNUAL}-")
    if version not in FORMAT_VERSIONS:
        known = [f"{GOV_INFO_ANNUAL}-{v}" for v in FORMAT_VERSIONS]
        raise UnknownKindError(name, known)
    return _gov_info_annual(version)


def select_kind(report: Report) -> ReportKind:
    """Return the annual-report version `report` is written in.

    `format` decides when given; otherwise `year` does (≤ 2020 → 2019, later → 2021). An
    unknown `format` raises `UnknownKindError` listing the known ones.
    """
    fmt = report.get("format")
    if fmt is None:
        return _gov_info_annual(format_for_year(report.get("year")))
    if not isinstance(fmt, str) or fmt not in FORMAT_VERSIONS:
        raise UnknownKindError(str(fmt), FORMAT_VERSIONS)
    return _gov_info_annual(fmt)


def resolve_kind(report: Report, kind: ReportKind | str | None) -> ReportKind:
    """Return `kind` as a `ReportKind`: given, registered by name, or chosen from `report`.

    A report whose own `format` is unknown gets the version its `year` implies, so that the
    schema check reports the bad `format` together with every other problem.
    """
    if isinstance(kind, ReportKind):
        return kind
    if isinstance(kind, str):
        return get_kind(kind)
    try:
        return select_kind(report)
    except UnknownKindError:
        return _gov_info_annual(format_for_year(report.get("year")))


def custom_kind(schema: str | Path, template: str | Path | None = None,
                html_template: str | Path | None = None) -> ReportKind:
    """Return the kind an organisation defines with its own JSON Schema file and template
    (and, optionally, an HTML template for the web page).

    The schema is checked now, against the 2020-12 meta-schema: a missing file raises
    `UsageError`, an unreadable or invalid one `DocgenError` saying what is wrong.
    """
    schema_path = Path(schema)
    if not schema_path.is_file():
        raise UsageError(f"找不到模式文件：{schema_path}")
    load_schema(schema_path)  # -- read within limits and checked once, then cached --
    name = schema_path.name.removesuffix(".json").removesuffix(".schema")
    return ReportKind(name=name, schema_path=schema_path,
                      template_path=Path(template) if template is not None else Path(),
                      html_template_path=Path(html_template) if html_template is not None
                      else None)


def read_workbook(path: Path) -> ReadWorkbook:
    """Read a report workbook as docgen laid it out (``docgen init -o report.xlsx``): its
    data, its own issues, the cell of each field. Only the annual report has a workbook
    layout; its marker sheet says the format version."""
    from docgen.kinds.gov_info_annual.workbook import read_report_workbook

    return read_report_workbook(path)
