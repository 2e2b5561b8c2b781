"""The ``docgen template`` commands."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from docgen.cli.common import print_issues
from docgen.cli.lang import t
from docgen.engine.files import is_html
from docgen.errors import (
    Issue,
    UsageError,
)
from docgen.kinds import (
    DEFAULT_FORMAT,
    FORMAT_VERSIONS,
    ReportKind,
    custom_kind,
    get_kind,
)
from docgen.toolkit.annotate import annotate_template
from docgen.toolkit.check import check_template
from docgen.toolkit.fields import field_reference, fields_text
from docgen.toolkit.html_check import check_html_template

#: A template checker: `check_template` (Word) or `check_html_template`.
Checker = Callable[[Path, ReportKind], list[Issue]]


def cmd_template_fields(args: argparse.Namespace) -> int:
    """List every field a template may use: Markdown table, or JSON with --json."""
    if getattr(args, "schema", None):
        kind = custom_kind(args.schema, None)
    else:
        kind = get_kind(getattr(args, "format", None) or DEFAULT_FORMAT)
    fields = field_reference(kind)
    if args.json:
        print(json.dumps([f.to_dict() for f in fields], ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(fields_text(fields, kind.name))
    return 0


def cmd_template_check(args: argparse.Namespace) -> int:
    """Check a template; list every problem with its place; optionally annotate a copy."""
    template = Path(args.template)
    if not template.is_file():
        raise UsageError(t(f"找不到模板文件：{template}", f"no such template file: {template}"))
    annotate = getattr(args, "annotate", None)
    check = check_template
    if is_html(template):
        if annotate:
            raise UsageError(t("--annotate 只用于 Word 模板；HTML 模板的问题已标明行号和列号",
                               "--annotate is for Word templates; an HTML template's "
                               "problems have their line and column"))
        check = check_html_template
    note = ""
    if getattr(args, "schema", None):
        kind = custom_kind(args.schema, template)
        issues = check(template, kind)
    elif getattr(args, "format", None):
        kind = get_kind(args.format)
        issues = check(template, kind)
    else:
        kind, issues = _best_version(template, check)
        note = t("（未指定 --format，按模板所用字段判断）",
                 " (no --format: chosen by the fields the template uses)")
    if annotate:
        issues = annotate_template(template, kind, Path(annotate))
    if args.json:
        print(json.dumps([i.to_dict() for i in issues], ensure_ascii=False, indent=2))
    else:
        print(t(f"检查模板 {template}：按 {kind.name} 的字段{note}",
                f"checking template {template} against the fields of {kind.name}{note}"))
        if issues:
            print_issues(issues, stream=sys.stdout)
        else:
            print(t("未发现问题。", "no problems found."))
    if annotate:
        count = sum(i.code != "TEMPLATE-UNUSED" for i in issues)
        print(t(f"已生成批注副本：{annotate}（{count} 条批注）",
                f"annotated copy written: {annotate} ({count} comment(s))"),
              file=sys.stderr if args.json else sys.stdout)
    return 1 if any(i.is_error for i in issues) else 0


def _best_version(template: Path, check: Checker) -> tuple[ReportKind, list[Issue]]:
    """The format version whose fields the template matches best (fewest problems)."""
    results = []
    for version in (DEFAULT_FORMAT, *(v for v in FORMAT_VERSIONS if v != DEFAULT_FORMAT)):
        kind = get_kind(version)
        issues = check(template, kind)
        results.append((sum(i.is_error for i in issues), len(issues), kind, issues))
    best = min(results, key=lambda r: (r[0], r[1]))
    return best[2], best[3]
