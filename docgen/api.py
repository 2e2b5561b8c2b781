"""The public pipeline: load, check and render a report."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from docgen.errors import InvalidReportError, Issue, UsageError, sorted_issues
from docgen.kinds import ReportKind, resolve_kind
from docgen.loading import as_report, load

__all__ = ["check", "load", "prepare", "render", "write_atomic", "write_document"]


def _report(report: Mapping[str, Any] | str | Path) -> dict[str, Any]:
    return load(report) if isinstance(report, (str, Path)) else as_report(report, "数据")


def _check(report: dict[str, Any], kind: ReportKind,
           previous: Mapping[str, Any] | None) -> tuple[list[Issue], dict[str, Any]]:
    from docgen.schema import iter_schema_issues, iter_text_issues, load_schema, with_labels

    schema = load_schema(kind.schema_path)
    found = list(iter_schema_issues(kind.schema_path, report))
    found += iter_text_issues(report)
    derived = kind.derive(report) if kind.derive is not None else dict(report)
    for rule in kind.rules:
        found += rule(derived)
    if previous is not None and kind.version is not None:
        from docgen.rules import iter_carry_over_issues

        found += iter_carry_over_issues(derived, previous)
    found = [with_labels(schema, i) for i in found]
    return sorted_issues(found), derived


def check(report: Mapping[str, Any] | str | Path, *, kind: ReportKind | str | None = None,
          previous: Mapping[str, Any] | str | Path | None = None) -> list[Issue]:
    """Return every issue in `report`, errors first; never raises for bad data.

    `report` is a dict or a path to a JSON/YAML file; `kind` defaults to the annual-report
    version the report's `format`/`year` select; `previous` is last year's report, to compare
    the carried-over applications.
    """
    data = _report(report)
    last_year = None if previous is None else _report(previous)
    return _check(data, resolve_kind(data, kind), last_year)[0]


def prepare(report: Mapping[str, Any] | str | Path, *, kind: ReportKind | str | None = None,
            previous: Mapping[str, Any] | str | Path | None = None,
            allow_errors: bool = False) -> tuple[ReportKind, dict[str, Any], list[Issue]]:
    """Check `report` and return its kind, render context and issues (warnings, or all errors
    when `allow_errors`). Raises `InvalidReportError` carrying every issue if there are errors.
    """
    from docgen.context import build_context

    data = _report(report)
    resolved = resolve_kind(data, kind)
    last_year = None if previous is None else _report(previous)
    issues, derived = _check(data, resolved, last_year)
    schema_broken = any(i.is_error and i.code.startswith(("SCHEMA", "TEXT")) for i in issues)
    if any(i.is_error for i in issues) and (not allow_errors or schema_broken):
        raise InvalidReportError(issues)
    return resolved, build_context(resolved, derived), issues


def render(report: Mapping[str, Any] | str | Path, out: str | Path | None = None, *,
           kind: ReportKind | str | None = None, template: str | Path | None = None,
           previous: Mapping[str, Any] | str | Path | None = None, pdf: bool = False,
           allow_errors: bool = False) -> bytes | Path:
    """Render `report` to a Word document: bytes when `out` is None, else the written path.

    The report is checked first; any error raises `InvalidReportError` with every issue
    (`allow_errors=True` renders a report whose only errors are consistency errors, to reproduce
    an already-published report verbatim). `template` replaces the kind's template. With
    `pdf=True` the result is a PDF made by LibreOffice. The file at `out` is written
    atomically: complete or absent.
    """
    resolved, context, _ = prepare(report, kind=kind, previous=previous,
                                   allow_errors=allow_errors)
    inputs = [Path(report)] if isinstance(report, (str, Path)) else []
    return write_document(resolved, context, out, template=template, pdf=pdf, inputs=inputs)


def write_document(kind: ReportKind, context: Mapping[str, Any], out: str | Path | None, *,
                   template: str | Path | None = None, pdf: bool = False,
                   inputs: Sequence[Path] = ()) -> bytes | Path:
    """Fill the template with a prepared `context`; return the bytes, or write them to `out`.

    `inputs` are files docgen must not overwrite (the data file); the template is one too.
    """
    from docgen.fill import render_docx

    template_path = Path(template) if template is not None else kind.template_path
    if template is not None:
        _check_template(template_path, kind)
    if out is not None:
        _refuse_overwriting(Path(out), [*inputs, template_path])
        _refuse_wrong_suffix(Path(out), pdf)
    properties = {"title": str(context.get("title") or ""),
                  "created": str(context.get("published") or "")}
    data = render_docx(template_path, context, properties)
    if pdf:
        from docgen.pdf import docx_to_pdf

        data = docx_to_pdf(data)
    if out is None:
        return data
    target = Path(out)
    write_atomic(target, data)
    return target


def _check_template(template: Path, kind: ReportKind) -> None:
    """Refuse a user's template with located problems before it is used."""
    from docgen.errors import TemplateProblemError
    from docgen.templates import check_template

    problems = [i for i in check_template(template, kind) if i.is_error]
    if problems:
        raise TemplateProblemError(template.name, problems)


def _refuse_wrong_suffix(target: Path, pdf: bool) -> None:
    # -- a PDF named .docx (or the reverse) would not open: say so instead of writing it --
    wrong = ".docx" if pdf else ".pdf"
    if target.suffix.lower() == wrong:
        right = "PDF（.pdf）" if pdf else "Word 文档（.docx）"
        raise UsageError(f"输出文件 {target} 的扩展名与内容不符：将生成 {right}")


def _refuse_overwriting(target: Path, inputs: Sequence[Path]) -> None:
    for source in inputs:
        if target.exists() and source.exists() and target.resolve() == source.resolve():
            raise UsageError(f"拒绝覆盖输入文件：{target}")


def write_atomic(target: Path, data: bytes) -> None:
    """Write `data` to `target` through a temporary file in the same folder, then rename.

    The file is complete or absent; an output docgen cannot write raises `UsageError`.
    """
    if target.is_dir():
        raise UsageError(f"无法写入 {target}：这是一个文件夹，请在其后加上文件名")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise UsageError(f"无法写入 {target}：{exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException as exc:
        Path(temp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise UsageError(f"无法写入 {target}：{exc.strerror or exc}") from exc
        raise
