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

from docgen.engine.fastcheck import has_illegal_text, is_valid
from docgen.engine.files import refuse_overwriting, refuse_wrong_suffix, write_atomic
from docgen.engine.loading import as_report, load
from docgen.engine.schema import iter_schema_issues, iter_text_issues, load_schema, with_labels
from docgen.errors import InvalidReportError, Issue, TemplateProblemError, sorted_issues
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
               pdf: bool = ..., allow_errors: bool = ..., durable: bool = ...) -> bytes: ...
    @overload
    def render(self, out: str | Path, *, template: str | Path | None = ...,
               pdf: bool = ..., allow_errors: bool = ..., durable: bool = ...) -> Rendered: ...

    def render(self, out: str | Path | None = None, *, template: str | Path | None = None,
               pdf: bool = False, allow_errors: bool = False,
               durable: bool = True) -> bytes | Rendered:
        """Fill the template: the bytes when `out` is None, else write `out` atomically.

        Raises `InvalidReportError` with every issue when the report has errors (consistency
        errors only are allowed with `allow_errors`), `TemplateProblemError` for a `template`
        with problems. The file at `out` is complete or absent; with `durable` false it is
        not synced to disk (the caller syncs, as `docgen.batch` does once per batch).
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
        write_atomic(target, data, durable=durable)
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


def _report(report: Source) -> dict[str, Any]:
    return load(report) if isinstance(report, (str, Path)) else as_report(report, "数据")


def prepare(report: Source, *, kind: ReportKind | str | None = None,
            previous: Source | None = None) -> Prepared:
    """Load and check `report` once; return the `Prepared` value. Never raises for bad data.

    `report` is a dict or a path to a JSON/YAML file (a file that cannot be read raises
    `DataFileError`); `kind` defaults to the annual-report version the report's
    `format`/`year` select; `previous` is last year's report, for the year-on-year rules.
    """
    data = _report(report)
    resolved = resolve_kind(data, kind)
    last_year = None if previous is None else _report(previous)
    schema = load_schema(resolved.schema_path)
    # -- jsonschema only for data the fast check does not accept: its messages, its speed --
    valid = is_valid(resolved.schema_path, data)
    found = [] if valid else list(iter_schema_issues(resolved.schema_path, data))
    if has_illegal_text(data):
        found += iter_text_issues(data)
    derived = resolved.derive(data) if resolved.derive is not None else dict(data)
    for rule in resolved.rules:
        found += rule(derived)
    if last_year is not None:
        for compare in resolved.previous_rules:
            found += compare(derived, last_year)
    issues = tuple(sorted_issues(with_labels(schema, i) for i in found))
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
