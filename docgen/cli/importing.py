"""``docgen import`` and ``docgen audit``: published reports read back and checked."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path

from docgen.audit import AuditResult, audit, data_json, json_visible, previous_report
from docgen.cli.common import print_issues
from docgen.cli.safety import visible
from docgen.engine.files import refuse_overwriting, write_atomic
from docgen.errors import Issue
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
        print(visible(f"已生成：{target}（{imported.data.get('format')}年版格式）"))
    else:
        sys.stdout.write(text)
    if imported.issues:
        print("以下内容未能读出或有疑问：", file=sys.stderr)
        print_issues(imported.issues)
    return 0


def _print_issue(issue: Issue) -> None:
    """Print one issue; text read from the document is shown escaped, never obeyed."""
    print(visible(str(issue)))
    if issue.actual is not None or issue.expected is not None:
        print(visible(f"    印为：{_shown(issue.actual)}；应为：{_shown(issue.expected)}"))
    if issue.context:
        print(visible(f"    …{issue.context}…"))


def _shown(value: object) -> str:
    return "（空白）" if value is None else str(value)


def _summary_line(result: AuditResult) -> str:
    if result.failure is not None:
        return f"{result.path}：无法读取——{result.failure}"
    data = result.imported.data if result.imported is not None else {}
    who = f"{data.get('agency') or '（机关不详）'} {data.get('year') or ''}年"
    codes = "、".join(sorted({i.code for i in result.issues if i.is_error})) or "无"
    return (f"{result.path}：{who}，{result.errors} 个错误，{result.warnings} 个警告"
            f"（错误代码：{codes}）")


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
    previous = previous_report(args.previous) if args.previous else None
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
            print(f"共 {result.errors} 个错误，{result.warnings} 个警告。" if result.issues
                  else "未发现问题。")
    else:
        for result in results:
            print(visible(_summary_line(result)))
    failing = any(r.errors or (args.strict and r.warnings) for r in results)
    return 1 if failing else 0
