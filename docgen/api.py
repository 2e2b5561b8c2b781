"""The public pipeline: load → check → prepare (one `Prepared` value) → render.

A report is loaded, checked and prepared once; the `Prepared` value carries the kind, the data
with derived totals, the render context and every issue with its stage, and renders itself.
`check`, `prepare` and `render` are the three ways in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, overload

from docgen.engine.files import refuse_overwriting, refuse_wrong_suffix, write_atomic
from docgen.engine.loading import as_report
from docgen.engine.loading import load as load_data
from docgen.engine.schema import iter_schema_issues, iter_text_issues, load_schema, with_labels
from docgen.engine.workbook import ReadWorkbook, is_workbook, locate
from docgen.errors import (
    CellLocation,
    InvalidReportError,
    Issue,
    TemplateProblemError,
    UsageError,
    sorted_issues,
)
from docgen.kinds import ReportKind, build_context, resolve_kind

__all__ = ["Prepared", "Rendered", "check", "load", "prepare", "render"]

Source = Mapping[str, Any] | str | Path


@dataclass(frozen=True)
class Prepared:
    """A report loaded, checked and made ready to render, once.

    `data` is the report with its omitted totals derived; `context` what the template renders
    with (None when errors stop the render); `issues` every problem found, errors first, each
    with its `stage`; `source` the data file, if the report came from one.
    """

    kind: ReportKind
    data: dict[str, Any]
    issues: tuple[Issue, ...]
    context: dict[str, Any] | None = field(default=None, repr=False)
    source: Path | None = None

    @property
    def errors(self) -> tuple[Issue, ...]:
        """The issues that stop a render."""
        return tuple(i for i in self.issues if i.is_error)

    @property
    def warnings(self) -> tuple[Issue, ...]:
        """The issues a render goes on with."""
        return tuple(i for i in self.issues if not i.is_error)

    def renderable(self, *, allow_errors: bool = False) -> bool:
        """Whether this report may be rendered (`allow_errors`: consistency errors allowed)."""
        return self.context is not None and all(
            not i.is_error or (allow_errors and i.overridable) for i in self.issues)

    @overload
    def render(self, out: None = None, *, template: str | Path | None = ...,
               pdf: bool = ..., allow_errors: bool = ...) -> bytes: ...
    @overload
    def render(self, out: str | Path, *, template: str | Path | None = ...,
               pdf: bool = ..., allow_errors: bool = ...) -> Rendered: ...

    def render(self, out: str | Path | None = None, *, template: str | Path | None = None,
               pdf: bool = False, allow_errors: bool = False) -> bytes | Rendered:
        """Fill the template: the bytes when `out` is None, else write `out` atomically.

        Raises `InvalidReportError` with every issue when the report has errors (consistency
        errors only are allowed with `allow_errors`), `TemplateProblemError` for a `template`
        with problems. The file at `out` is complete or absent.
        """
        if not self.renderable(allow_errors=allow_errors) or self.context is None:
            raise InvalidReportError(self.issues)
        from docgen.engine.fill import render_docx

        template_path = Path(template) if template is not None else self.kind.template_path
        if template is not None:
            _check_template(template_path, self.kind)
        target = None if out is None else Path(out)
        if target is not None:
            inputs = [template_path] if self.source is None else [self.source, template_path]
            refuse_overwriting(target, inputs)
            refuse_wrong_suffix(target, pdf)
        properties = {"title": str(self.context.get("title") or ""),
                      "created": str(self.context.get("published") or "")}
        data = render_docx(template_path, self.context, properties)
        if pdf:
            from docgen.engine.pdf import docx_to_pdf

            data = docx_to_pdf(data)
        if target is None:
            return data
        write_atomic(target, data)
        return Rendered(target, self.issues)


@dataclass(frozen=True)
class Rendered:
    """A written document: its `path` and the `issues` the render went on with (warnings)."""

    path: Path
    issues: tuple[Issue, ...] = ()

    @property
    def warnings(self) -> tuple[Issue, ...]:
        """The warnings among `issues`."""
        return tuple(i for i in self.issues if not i.is_error)

    def __fspath__(self) -> str:
        return str(self.path)


def load(source: Source) -> dict[str, Any]:
    """Return the report held in `source`: a JSON/YAML file, an .xlsx workbook, or a mapping.

    Numbers with a fraction become `Decimal`. A workbook is read as docgen laid it out
    (``docgen init -o report.xlsx``); its totals are formulas and are not read (docgen derives
    them); `check` locates each problem in it by sheet and cell. Raises `UsageError` for a
    missing file and `DataFileError` for one that cannot be read.
    """
    if is_workbook(source):
        return _read_workbook(source).data
    return load_data(source)


def _read_workbook(path: Any) -> ReadWorkbook:
    from docgen.kinds.gov_info_annual.workbook import read_report_workbook

    return read_report_workbook(Path(path))


def _report(report: Source) -> dict[str, Any]:
    return load(report) if isinstance(report, (str, Path)) else as_report(report, "数据")


#: Workbook issues after which the data under their path is not worth checking: the values
#: are missing or misplaced, and the schema would only say so again.
_MASKING = ("XLSX-SHEET", "XLSX-MOVED", "XLSX-NUMBER", "XLSX-FORMULA")


def _source(report: Source, kind: ReportKind | str | None
            ) -> tuple[dict[str, Any], list[Issue], Mapping[str, CellLocation]]:
    """The data of `report`, with a workbook's own issues and the cell of each field."""
    if not is_workbook(report):
        return _report(report), [], {}
    if isinstance(kind, ReportKind) and kind.version is None:
        raise UsageError(f"自定义报告类型“{kind.name}”不支持 Excel 工作簿，"
                         "请用 JSON 或 YAML 数据文件")
    found = _read_workbook(report)
    return found.data, list(found.issues), found.locations


def _unmasked(found: list[Issue], workbook: list[Issue]) -> list[Issue]:
    masks = [i.path for i in workbook if i.code in _MASKING and i.path]
    return [*workbook, *(i for i in found if not any(
        i.path == m or i.path.startswith(m + "/") for m in masks))]


def prepare(report: Source, *, kind: ReportKind | str | None = None,
            previous: Source | None = None) -> Prepared:
    """Load and check `report` once; return the `Prepared` value. Never raises for bad data.

    `report` is a dict or a path to a JSON/YAML file or an .xlsx workbook, whose issues are
    located by sheet and cell (a file that cannot be read raises
    `DataFileError`); `kind` defaults to the annual-report version the report's
    `format`/`year` select; `previous` is last year's report, for the year-on-year rules.
    """
    data, workbook, cells = _source(report, kind)
    resolved = resolve_kind(data, kind)
    last_year = None if previous is None else _report(previous)
    schema = load_schema(resolved.schema_path)
    found = list(iter_schema_issues(resolved.schema_path, data))
    found += iter_text_issues(data)
    derived = resolved.derive(data) if resolved.derive is not None else dict(data)
    for rule in resolved.rules:
        found += rule(derived)
    if last_year is not None:
        for compare in resolved.previous_rules:
            found += compare(derived, last_year)
    issues = tuple(sorted_issues(locate(with_labels(schema, i), cells)
                                 for i in _unmasked(found, workbook)))
    data_broken = any(i.is_error and not i.overridable for i in issues)
    context = None if data_broken else build_context(resolved, derived)
    source = Path(report) if isinstance(report, (str, Path)) else None
    return Prepared(resolved, derived, issues, context, source)


def check(report: Source, *, kind: ReportKind | str | None = None,
          previous: Source | None = None) -> list[Issue]:
    """Return every issue in `report`, errors first; never raises for bad data.

    `report` is a dict or a path to a JSON/YAML file; `kind` defaults to the annual-report
    version the report's `format`/`year` select; `previous` is last year's report, to compare
    the carried-over applications.
    """
    return list(prepare(report, kind=kind, previous=previous).issues)


@overload
def render(report: Source | Prepared, out: None = None, *, kind: ReportKind | str | None = ...,
           template: str | Path | None = ..., previous: Source | None = ...,
           pdf: bool = ..., allow_errors: bool = ...) -> bytes: ...
@overload
def render(report: Source | Prepared, out: str | Path, *, kind: ReportKind | str | None = ...,
           template: str | Path | None = ..., previous: Source | None = ...,
           pdf: bool = ..., allow_errors: bool = ...) -> Rendered: ...


def render(report: Source | Prepared, out: str | Path | None = None, *,
           kind: ReportKind | str | None = None, template: str | Path | None = None,
           previous: Source | None = None, pdf: bool = False,
           allow_errors: bool = False) -> bytes | Rendered:
    """Render `report` to a Word document: bytes when `out` is None, else a `Rendered` (the
    written path and the warnings found on the way).

    The report is checked first; any error raises `InvalidReportError` with every issue
    (`allow_errors=True` renders a report whose only errors are consistency errors, to reproduce
    an already-published report verbatim). `template` replaces the kind's template. With
    `pdf=True` the result is a PDF made by LibreOffice. The file at `out` is written
    atomically: complete or absent.
    """
    prepared = report if isinstance(report, Prepared) else \
        prepare(report, kind=kind, previous=previous)
    return prepared.render(out, template=template, pdf=pdf, allow_errors=allow_errors)


def _check_template(template: Path, kind: ReportKind) -> None:
    """Refuse a user's template with located problems before it is used."""
    from docgen.toolkit.check import check_template

    problems = [i for i in check_template(template, kind) if i.is_error]
    if problems:
        raise TemplateProblemError(template.name, problems)
