"""The public pipeline: load → check → prepare (one `Prepared` value) → render.

A report is loaded, checked and prepared once; the `Prepared` value carries the kind, the data
with derived totals, the render context and every issue with its stage, and renders itself.
`check`, `prepare` and `render` are the three ways in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, overload

from docgen.engine.fastcheck import has_illegal_text, is_valid
from docgen.engine.files import is_html, refuse_overwriting, refuse_wrong_suffix, write_atomic
from docgen.engine.loading import ReadReport, as_report, read_report
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
from docgen.kinds import FORMAT_VERSIONS, ReportKind, build_context, read_workbook, resolve_kind

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
               pdf: bool = ..., allow_errors: bool = ..., allow_external: bool = ...,
               durable: bool = ...) -> bytes: ...
    @overload
    def render(self, out: str | Path, *, template: str | Path | None = ...,
               pdf: bool = ..., allow_errors: bool = ..., fragment: bool = ...,
               allow_external: bool = ..., durable: bool = ...) -> Rendered: ...

    def render(self, out: str | Path | None = None, *, template: str | Path | None = None,
               pdf: bool = False, allow_errors: bool = False,
               fragment: bool = False, allow_external: bool = False,
               durable: bool = True) -> bytes | Rendered:
        """Fill the template: the bytes when `out` is None, else write `out` atomically.

        An `out` named ``.html``/``.htm`` gets the web page (`render_html`; `fragment`: only
        its ``<article>``), anything else the Word document (PDF with `pdf`). Raises
        `InvalidReportError` with every issue when the report has errors (consistency errors
        only are allowed with `allow_errors`), `TemplateProblemError` for a `template` with
        problems — among them external content (linked pictures or files, INCLUDE/DDE fields,
        OLE objects), unless `allow_external`. The file at `out` is complete or absent; with
        `durable` false it is not synced to disk (the caller syncs, as `docgen.batch` does
        once per batch).
        """
        target = None if out is None else Path(out)
        if target is None and fragment:
            raise UsageError("fragment 只用于 HTML：请用 render_html(fragment=True)"
                             "或写入 .html 文件")
        if target is not None and (is_html(target) or fragment):
            refuse_wrong_suffix(target, pdf, html=True)
            used = Path(template) if template is not None else self.kind.html_template_path
            refuse_overwriting(target, [p for p in (self.source, used) if p is not None])
            html = self.render_html(template=template, fragment=fragment,
                                    allow_errors=allow_errors, allow_external=allow_external)
            write_atomic(target, html.encode("utf-8"), durable=durable)
            return Rendered(target, self.issues)
        context = self._context(allow_errors)
        from docgen.engine.fill import render_docx

        template_path = Path(template) if template is not None else self.kind.template_path
        if template is None and (template_path == Path() or is_html(template_path)):
            raise UsageError(f"报告类型 {self.kind.name} 没有 Word 模板，无法生成 Word 或 PDF；"
                             "请用 --template 指定一个 .docx 模板")
        if template is not None:
            if is_html(template_path):
                raise UsageError(f"{template_path.name} 是 HTML 模板，只能用于网页（-o ….html）；"
                                 "生成 Word 或 PDF 请用 Word 模板（.docx）")
            _check_template(template_path, self.kind, allow_external)
        if target is not None:
            inputs = [template_path] if self.source is None else [self.source, template_path]
            refuse_overwriting(target, inputs)
            refuse_wrong_suffix(target, pdf)
        properties = {"title": str(context.get("title") or ""),
                      "created": str(context.get("published") or "")}
        data = render_docx(template_path, context, properties, allow_external=allow_external)
        if pdf:
            from docgen.engine.pdf import docx_to_pdf

            data = docx_to_pdf(data)
        if target is None:
            return data
        write_atomic(target, data, durable=durable)
        return Rendered(target, self.issues)

    def render_html(self, *, template: str | Path | None = None, fragment: bool = False,
                    allow_errors: bool = False, allow_external: bool = False) -> str:
        """Return the report as a self-contained HTML5 page, or with `fragment` only its
        ``<article>`` (to paste or import into a CMS).

        `template` replaces the kind's HTML template (a ``.html`` file, checked first; one that
        makes the page fetch or run something is refused unless `allow_external`). Raises as
        `render` does; `UsageError` when the kind has no HTML template.
        """
        context = self._context(allow_errors)
        from docgen.engine.html import render_html

        if template is not None:
            path = Path(template)
            if not is_html(path):
                raise UsageError(f"输出网页需要 HTML 模板（.html），而 {path.name} 不是")
            _check_html_template(path, self.kind, allow_external)
        elif self.kind.html_template_path is not None:
            path = self.kind.html_template_path
        else:
            raise UsageError(f"报告类型 {self.kind.name} 没有 HTML 模板；"
                             "请用 --template 指定一个 .html 模板")
        return render_html(path, context, fragment=fragment)

    def _context(self, allow_errors: bool) -> dict[str, Any]:
        """The render context; raises `InvalidReportError` when the report may not render."""
        if not self.renderable(allow_errors=allow_errors) or self.context is None:
            raise InvalidReportError(self.issues)
        return self.context


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
    return read_workbook(Path(path))


def _report(report: Source) -> dict[str, Any]:
    return load(report) if isinstance(report, (str, Path)) else as_report(report, "数据")


#: Workbook issues after which the data under their path is not worth checking: the values
#: are missing or misplaced, and the schema would only say so again.
_MASKING = ("XLSX-SHEET", "XLSX-MOVED", "XLSX-NUMBER", "XLSX-FORMULA")


def _source(report: Source, kind: ReportKind | str | None
            ) -> tuple[ReadReport, list[Issue], Mapping[str, CellLocation], str | None]:
    """The data of `report`, with a workbook's own issues, the cell of each field and the
    format version the workbook is laid out in."""
    if not is_workbook(report):
        if isinstance(report, (str, Path)):
            return read_report(Path(report)), [], {}, None
        return ReadReport(as_report(report, "数据")), [], {}, None
    if isinstance(kind, ReportKind) and kind.version is None:
        raise UsageError(f"自定义报告类型“{kind.name}”不支持 Excel 工作簿，"
                         "请用 JSON 或 YAML 数据文件")
    found = _read_workbook(report)
    return ReadReport(found.data), list(found.issues), found.locations, \
        found.marker.get("format")


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
    read, workbook, cells, laid_out = _source(report, kind)
    data = read.data
    resolved = resolve_kind(data, kind)
    source = Path(report) if isinstance(report, (str, Path)) else None
    conflict = _format_conflict(data, kind, resolved, laid_out)
    if conflict is not None:
        return Prepared(resolved, dict(data), (conflict,), None, source)
    last_year = None if previous is None else _report(previous)
    schema = load_schema(resolved.schema_path)
    # -- jsonschema only for data the fast check does not accept: its messages, its speed --
    valid = is_valid(resolved.schema_path, data)
    found = [] if valid else list(iter_schema_issues(resolved.schema_path, data))
    if not read.clean_text and has_illegal_text(data):
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
    return Prepared(resolved, derived, issues, context, source)


def _format_conflict(data: Mapping[str, Any], kind: ReportKind | str | None,
                     resolved: ReportKind, laid_out: str | None = None) -> Issue | None:
    """FORMAT-MISMATCH: the report's own `format` (or the layout of its workbook) names another
    version than the one asked for (``--format``); one issue saying so instead of every schema
    error that follows."""
    stated = data.get("format") or laid_out
    if kind is None or not isinstance(stated, str) or not resolved.version \
            or stated not in FORMAT_VERSIONS or stated == resolved.version:
        return None
    said = f"数据文件写明 \"format\": \"{stated}\"" if data.get("format") else \
        f"工作簿按 {stated} 年版格式制作"
    fix = f"或把文件中的 format 改为 \"{resolved.version}\"" if data.get("format") else \
        f"或用 docgen init --format {resolved.version} 生成该格式的工作簿"
    return Issue(
        "FORMAT-MISMATCH", "/format",
        f"{said}，却要求按 {resolved.version} 年版格式处理"
        f"（--format {resolved.version}）；请去掉 --format（按文件写明的格式处理），{fix}",
        labels=("格式版本",), expected=resolved.version, actual=stated, stage="schema")


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
           pdf: bool = ..., allow_errors: bool = ..., html: Literal[False] = ...,
           fragment: Literal[False] = ..., allow_external: bool = ...) -> bytes: ...
@overload
def render(report: Source | Prepared, out: None = None, *, kind: ReportKind | str | None = ...,
           template: str | Path | None = ..., previous: Source | None = ...,
           pdf: bool = ..., allow_errors: bool = ..., html: Literal[True],
           fragment: bool = ..., allow_external: bool = ...) -> str: ...
@overload
def render(report: Source | Prepared, out: None = None, *, kind: ReportKind | str | None = ...,
           template: str | Path | None = ..., previous: Source | None = ...,
           pdf: bool = ..., allow_errors: bool = ..., html: bool = ...,
           fragment: Literal[True], allow_external: bool = ...) -> str: ...
@overload
def render(report: Source | Prepared, out: str | Path, *, kind: ReportKind | str | None = ...,
           template: str | Path | None = ..., previous: Source | None = ...,
           pdf: bool = ..., allow_errors: bool = ..., html: bool = ...,
           fragment: bool = ..., allow_external: bool = ...) -> Rendered: ...


def render(report: Source | Prepared, out: str | Path | None = None, *,
           kind: ReportKind | str | None = None, template: str | Path | None = None,
           previous: Source | None = None, pdf: bool = False,
           allow_errors: bool = False, html: bool = False,
           fragment: bool = False, allow_external: bool = False) -> bytes | str | Rendered:
    """Render `report`: a Word document (bytes) when `out` is None, the web page (str) with
    `html=True`, only its ``<article>`` with `fragment=True`; else write `out` and return a
    `Rendered` (the written path and the warnings found on the way). An `out` named
    ``.html``/``.htm`` gets the web page (the article alone with `fragment`).

    The report is checked first; any error raises `InvalidReportError` with every issue
    (`allow_errors=True` renders a report whose only errors are consistency errors, to reproduce
    an already-published report verbatim). `template` replaces the kind's template (a ``.html``
    one for the web page). With `pdf=True` the result is a PDF made by LibreOffice. A Word
    template with external content is refused unless `allow_external=True`. The file at
    `out` is written atomically: complete or absent.
    """
    prepared = report if isinstance(report, Prepared) else \
        prepare(report, kind=kind, previous=previous)
    if out is None and (html or fragment):
        if pdf:
            raise UsageError("不能同时要求 PDF 和 HTML")
        return prepared.render_html(template=template, fragment=fragment,
                                    allow_errors=allow_errors, allow_external=allow_external)
    if out is not None:
        if html and not is_html(out):
            raise UsageError(f"输出文件 {out} 的扩展名与内容不符：将生成 HTML 网页（.html）")
        return prepared.render(out, template=template, pdf=pdf, allow_errors=allow_errors,
                               fragment=fragment, allow_external=allow_external)
    return prepared.render(None, template=template, pdf=pdf, allow_errors=allow_errors,
                           allow_external=allow_external)


def _check_template(template: Path, kind: ReportKind, allow_external: bool = False) -> None:
    """Refuse a user's template with located problems before it is used."""
    from docgen.engine.package import EXTERNAL_CODE
    from docgen.toolkit.check import check_template

    problems = [i for i in check_template(template, kind) if i.is_error
                and not (allow_external and i.code == EXTERNAL_CODE)]
    if problems:
        raise TemplateProblemError(template.name, problems)


def _check_html_template(template: Path, kind: ReportKind,
                         allow_external: bool = False) -> None:
    """Refuse a user's HTML template with located problems before it is used."""
    from docgen.engine.package import EXTERNAL_CODE
    from docgen.toolkit.html_check import check_html_template

    problems = [i for i in check_html_template(template, kind) if i.is_error
                and not (allow_external and i.code == EXTERNAL_CODE)]
    if problems:
        raise TemplateProblemError(template.name, problems)
