"""The registry of report kinds and format versions, and the choice of version for a report."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docgen.errors import DocgenError, Issue, UnknownKindError, UsageError

Report = Mapping[str, Any]
Rule = Callable[[Report], Iterator[Issue]]
Deriver = Callable[[Report], dict[str, Any]]

#: The flagship kind: 政府信息公开工作年度报告.
GOV_INFO_ANNUAL = "gov-info-annual"
#: The format version new reports get when neither `format` nor `year` says otherwise.
DEFAULT_FORMAT = "2021"

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """Return the folder of shipped ``schemas`` or ``templates``.

    Inside an installed wheel they sit in ``docgen/_data``; in a source checkout they are the
    top-level ``schemas/`` and ``templates/docx/`` that maintainers edit.
    """
    installed = _PACKAGE / "_data" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / ("templates/docx" if name == "templates" else name)


@dataclass(frozen=True)
class ReportKind:
    """A report kind: what the data must be (schema), what it looks like (template), and rules.

    `derive` fills in what may be omitted (totals) before the rules run; `defaults` fills in
    the rest of the render context (titles, standard texts). Both are optional for custom kinds.
    """

    name: str
    schema_path: Path
    template_path: Path
    rules: tuple[Rule, ...] = ()
    derive: Deriver | None = None
    defaults: Deriver | None = None
    #: The key of the format version this kind describes ("2019"), if it is one of several.
    version: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


def _gov_info_annual(version: str) -> ReportKind:
    from docgen import derive, rules
    from docgen.context import gov_info_annual_defaults

    return ReportKind(
        name=f"{GOV_INFO_ANNUAL}-{version}",
        schema_path=data_dir("schemas") / f"{GOV_INFO_ANNUAL}-{version}.schema.json",
        template_path=data_dir("templates") / f"{GOV_INFO_ANNUAL}-{version}.docx",
        rules=rules.GOV_INFO_ANNUAL_RULES,
        derive=derive.derive_totals,
        defaults=gov_info_annual_defaults,
        version=version,
    )


#: Format versions of the annual report, oldest first.
FORMAT_VERSIONS: tuple[str, ...] = ("2019", "2021")


def get_kind(name: str) -> ReportKind:
    """Return the registered kind `name` (``gov-info-annual-2021``, or a bare version ``2021``)."""
    version = name.removeprefix(f"{GOV_INFO_ANNUAL}-")
    if version not in FORMAT_VERSIONS:
        known = [f"{GOV_INFO_ANNUAL}-{v}" for v in FORMAT_VERSIONS]
        raise UnknownKindError(name, known)
    return _gov_info_annual(version)


def format_for_year(year: object) -> str:
    """Return the format version the national rules prescribe for a report `year`.

    >>> format_for_year(2019), format_for_year(2020), format_for_year(2025)
    ('2019', '2019', '2021')
    """
    if isinstance(year, int) and not isinstance(year, bool) and year <= 2020:
        return "2019"
    return DEFAULT_FORMAT


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


def custom_kind(schema: str | Path, template: str | Path | None = None) -> ReportKind:
    """Return the kind an organisation defines with its own JSON Schema file and template.

    The schema is checked now, against the 2020-12 meta-schema: a missing file raises
    `UsageError`, an unreadable or invalid one `DocgenError` saying what is wrong.
    """
    from docgen.schema import check_schema_file

    schema_path = Path(schema)
    if not schema_path.is_file():
        raise UsageError(f"找不到模式文件：{schema_path}")
    problems = check_schema_file(schema_path)
    if problems:
        raise DocgenError(f"模式文件 {schema_path} 不是有效的 JSON Schema：{problems[0]}")
    name = schema_path.name.removesuffix(".json").removesuffix(".schema")
    return ReportKind(name=name, schema_path=schema_path,
                      template_path=Path(template) if template is not None else Path())
