"""What every command shares: printing issues, the report kind from the options."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from docgen.cli.lang import t
from docgen.cli.safety import visible
from docgen.engine.files import is_html
from docgen.engine.messages import language
from docgen.errors import Issue, UsageError
from docgen.kinds import ReportKind, custom_kind, get_kind


def print_issues(issues: Sequence[Issue], *, stream: Any = None) -> None:
    """Print `issues` one per line (with their context), then a count; to stderr by default."""
    out = stream or sys.stderr
    english = language() == "en"
    for issue in issues:
        print(visible(issue_line(issue)), file=out)
        if issue.context:
            print(visible(f"    …{issue.context}…"), file=out)
    errors = sum(i.is_error for i in issues)
    print(f"{errors} error(s), {len(issues) - errors} warning(s)." if english
          else f"共 {errors} 个错误，{len(issues) - errors} 个警告。", file=out)


def previous_option(args: argparse.Namespace) -> dict[str, Any] | None:
    """Last year's report from ``--previous``: a data file or any published file docgen reads."""
    if not getattr(args, "previous", None):
        return None
    from docgen.audit import previous_report
    from docgen.errors import DataFileError, UnreadableDocumentError

    try:
        return previous_report(args.previous)
    except UnreadableDocumentError as exc:
        # -- say that it is last year's file that cannot be read, not the data; keep its code --
        raise UnreadableDocumentError(t(f"上一年度的报告（--previous）{exc.message}",
                                        f"last year's report (--previous): {exc.message}"),
                                      exc.code) from exc
    except DataFileError as exc:
        raise DataFileError(t(f"上一年度的报告（--previous）{exc}",
                              f"last year's report (--previous): {exc}")) from exc


def issue_line(issue: Issue) -> str:
    """`issue` as one line: ``错误 [CODE] 位置：消息`` (English: ``error [CODE] where: …``)."""
    if language() == "en":
        return f"{issue.severity} [{issue.code}] {issue.where}: {issue.message}"
    return str(issue)


def kind_option(args: argparse.Namespace) -> ReportKind | None:
    """The report kind named by --format, or a custom kind from --schema/--template."""
    schema = getattr(args, "schema", None)
    if schema is not None:
        template = getattr(args, "template", None)
        if template is None and args.command != "check":
            raise UsageError("使用 --schema 时必须同时用 --template 指定模板")
        if template is not None and is_html(template):
            return custom_kind(schema, None, html_template=template)  # -- a page only --
        return custom_kind(schema, template)
    fmt = getattr(args, "format", None)
    return get_kind(fmt) if fmt else None
