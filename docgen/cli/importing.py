"""``docgen import`` and ``docgen audit``: published reports read back and checked."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path

from docgen.audit import AuditResult, audit, data_json, json_visible
from docgen.cli.common import issue_line, previous_option, print_issues
from docgen.cli.lang import t
from docgen.cli.safety import visible
from docgen.engine.files import refuse_overwriting, write_atomic
from docgen.errors import Issue, UsageError
from docgen.readers import import_report


def cmd_import(args: argparse.Namespace) -> int:
    """Read one published report; write its data file and list what could not be read."""
    source = Path(args.file)
    imported = import_report(source)
    text = data_json(imported.data)
    if args.output:
        target = Path(args.output)
        refuse_overwriting(target, [source])
        write_atomic(target, text.encode("utf-8"))
        version = imported.data.get("format")
        print(visible(t(f"已生成：{target}（{version}年版格式）",
                        f"written: {target} ({version} format)")))
    else:
        sys.stdout.write(text)
    if imported.issues:
        print(t("以下内容未能读出或有疑问：", "could not be read, or doubtful:"), file=sys.stderr)
        print_issues(imported.issues)
    return 0


def _print_issue(issue: Issue) -> None:
    """Print one issue; text read from the document is shown escaped, never obeyed."""
    print(visible(issue_line(issue)))
    if issue.actual is not None or issue.expected is not None:
        actual, expected = _shown(issue.actual), _shown(issue.expected)
        print(visible(t(f"    印为：{actual}；应为：{expected}",
                        f"    printed: {actual}; expected: {expected}")))
    if issue.context:
        print(visible(f"    …{issue.context}…"))


def _shown(value: object) -> str:
    return t("（空白）", "(blank)") if value is None else str(value)


def _summary_line(result: AuditResult) -> str:
    if result.failure is not None:
        return t(f"{result.path}：无法读取——{result.failure}",
                 f"{result.path}: cannot be read: {result.failure}")
    data = result.imported.data if result.imported is not None else {}
    agency, year = data.get("agency") or t("（机关不详）", "(agency unknown)"), data.get("year")
    codes = "、".join(sorted({i.code for i in result.issues if i.is_error}))
    return t(f"{result.path}：{agency} {year or ''}年，{result.errors} 个错误，"
             f"{result.warnings} 个警告（错误代码：{codes or '无'}）",
             f"{result.path}: {agency} {year or ''}, {result.errors} error(s), "
             f"{result.warnings} warning(s) (error codes: {codes or 'none'})")


#: What a spreadsheet takes for the start of a formula (=, +, -, @; a tab or CR before them).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def _cell(value: object) -> object:
    """A CSV cell that a spreadsheet shows as text: ``'`` before what would start a formula
    (``=HYPERLINK(…)``, ``=cmd|…`` read from a published page)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _write_csv(target: Path, results: list[AuditResult]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["文件", "机关名称", "报告年度", "格式版本", "错误数", "警告数", "问题代码",
                     "无法读取的原因"])
    for result in results:
        row = result.summary()
        writer.writerow([_cell(value) for value in (
            row["file"], row["agency"] or "", row["year"] or "", row["format"] or "",
            row["errors"], row["warnings"], " ".join(row["codes"]), row["failure"] or "")])
    write_atomic(target, ("\ufeff" + buffer.getvalue()).encode("utf-8"))


def cmd_audit(args: argparse.Namespace) -> int:
    """Read published reports and run every check; print each issue where it is printed."""
    missing = [p for p in args.files if not Path(p).exists()]
    if missing:  # -- a missing file is a usage error (status 2), as in render and batch --
        raise UsageError(t("找不到报告文件：", "no such report file: ") + "、".join(missing))
    previous = previous_option(args)
    results = [audit(path, previous=previous) for path in args.files]
    if args.csv:
        target = Path(args.csv)
        refuse_overwriting(target, [*(Path(p) for p in args.files), args.previous])
        _write_csv(target, results)
    if args.json:
        print(json_visible(json.dumps([r.summary() for r in results], ensure_ascii=False,
                                      indent=2)))
    elif len(results) == 1:
        result = results[0]
        if result.failure is not None:
            print(visible(f"docgen: {result.failure}"), file=sys.stderr)
        else:
            for issue in result.issues:
                _print_issue(issue)
            if result.issues:
                print(t(f"共 {result.errors} 个错误，{result.warnings} 个警告。",
                        f"{result.errors} error(s), {result.warnings} warning(s)."))
            else:
                print(t("未发现问题。", "no problems found."))
    else:
        for result in results:
            print(visible(_summary_line(result)))
    failing = any(r.errors or (args.strict and r.warnings) for r in results)
    return 1 if failing else 0
