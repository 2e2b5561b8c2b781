"""The ``docgen`` command: a thin shell that prints issues and sets the exit code.

Exit status: 0 done; 1 the data or the template has problems (listed); 2 the command was used
wrongly (missing file, bad option, missing program). Heavy modules are imported per command.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from docgen.cli.common import kind_option, print_issues
from docgen.errors import DocgenError, InvalidReportError, Issue, TemplateProblemError
from docgen.kinds import FORMAT_VERSIONS

Handler = Callable[[argparse.Namespace], int]


def cmd_render(args: argparse.Namespace) -> int:
    """Render DATA to a Word document (and PDF with --pdf)."""
    from docgen.api import prepare
    from docgen.cli.safety import output_path, visible
    from docgen.engine.files import refuse_overwriting

    data = Path(args.data)
    out = output_path(data, args.output, ".pdf" if args.pdf else ".docx")
    refuse_overwriting(out, [data, args.previous, args.template, args.schema])
    prepared = prepare(data, kind=kind_option(args), previous=args.previous)
    if prepared.issues and prepared.renderable(allow_errors=args.allow_errors):
        print_issues(prepared.issues)
    prepared.render(out, template=args.template, pdf=args.pdf, allow_errors=args.allow_errors,
                    allow_external=args.allow_external)
    print(visible(f"已生成：{out}"))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Check DATA and list every problem."""
    from docgen.api import check
    from docgen.errors import DataFileError

    try:
        issues = check(Path(args.data), kind=kind_option(args), previous=args.previous)
    except DataFileError as exc:
        if not args.json:
            raise
        # -- a tool reading --json gets JSON even when the file cannot be read --
        issues = [Issue(code="DATA-FILE", path="", message=str(exc), stage="schema")]
    if args.json:
        print(json.dumps([i.to_dict() for i in issues], ensure_ascii=False, indent=2))
    elif issues:
        print_issues(issues, stream=sys.stdout)
    else:
        print("未发现问题。")
    failing = [i for i in issues if i.is_error or args.strict]
    return 1 if failing else 0


def cmd_init(args: argparse.Namespace) -> int:
    """Write a data file with every field present, ready to fill in."""
    from docgen.engine.files import write_atomic
    from docgen.kinds.gov_info_annual.skeleton import annual_report_skeleton

    data = annual_report_skeleton(args.year, args.format)
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if args.output:
        target = Path(args.output)
        if target.exists() and not args.force:
            from docgen.errors import UsageError

            raise UsageError(f"{target} 已存在；如要覆盖请加 --force")
        write_atomic(target, text.encode("utf-8"))
        print(f"已生成：{target}")
    else:
        sys.stdout.write(text)
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    """Print the JSON Schema of a format version."""
    from docgen.kinds import DEFAULT_FORMAT, get_kind

    path = get_kind(args.format or DEFAULT_FORMAT).schema_path
    sys.stdout.write(path.read_text(encoding="utf-8"))
    return 0


def _add_kind_options(parser: argparse.ArgumentParser, *, template: bool = True) -> None:
    parser.add_argument("--format", choices=FORMAT_VERSIONS,
                        help="格式版本（默认按 format 字段或年度推断）")
    if template:
        parser.add_argument("--template", metavar="T.docx", help="使用自己的 Word 模板")
    parser.add_argument("--schema", metavar="S.json", help="自定义报告类型的 JSON Schema")


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``docgen`` command."""
    from docgen import __version__

    parser = argparse.ArgumentParser(
        prog="docgen",
        description="从结构化数据生成正式的 Word 公文（政府信息公开工作年度报告等）。",
    )
    parser.add_argument("--version", action="version", version=f"docgen {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    render = commands.add_parser("render", help="生成 Word（或 PDF）报告")
    render.add_argument("data", metavar="DATA", help="数据文件（JSON 或 YAML）")
    render.add_argument("-o", "--output", metavar="OUT", help="输出文件（默认与数据同名 .docx）")
    render.add_argument("--pdf", action="store_true", help="经 LibreOffice 输出 PDF")
    render.add_argument("--previous", metavar="LAST.json", help="上一年度的报告数据")
    render.add_argument("--allow-errors", action="store_true",
                        help="照原样重现已发布的报告：勾稽错误只作提示（数据格式错误仍会拒绝）")
    render.add_argument("--allow-external", action="store_true",
                        help="允许模板引用外部内容（链接的图片、INCLUDE/DDE 域、OLE 对象）")
    _add_kind_options(render)
    render.set_defaults(handler=cmd_render)

    check = commands.add_parser("check", help="检查数据，列出全部问题")
    check.add_argument("data", metavar="DATA")
    check.add_argument("--json", action="store_true", help="以 JSON 数组输出（供其他系统读取）")
    check.add_argument("--strict", action="store_true", help="有警告时也以状态 1 退出")
    check.add_argument("--previous", metavar="LAST.json", help="上一年度的报告数据")
    _add_kind_options(check, template=False)
    check.set_defaults(handler=cmd_check, template=None)

    init = commands.add_parser("init", help="生成待填写的数据文件（全部字段）")
    init.add_argument("--year", type=int, required=True, help="报告年度")
    init.add_argument("--format", choices=FORMAT_VERSIONS, help="格式版本（默认按年度）")
    init.add_argument("-o", "--output", metavar="DATA.json")
    init.add_argument("--force", action="store_true", help="覆盖已有文件")
    init.set_defaults(handler=cmd_init)

    schema = commands.add_parser("schema", help="输出 JSON Schema")
    schema.add_argument("--format", choices=FORMAT_VERSIONS)
    schema.set_defaults(handler=cmd_schema)

    template = commands.add_parser("template", help="模板维护工具").add_subparsers(
        dest="template_command", metavar="SUBCOMMAND", required=True)
    fields = template.add_parser("fields", help="列出模板可用的全部字段")
    fields.add_argument("--format", choices=FORMAT_VERSIONS)
    fields.add_argument("--schema", metavar="S.json", help="自定义报告类型的 JSON Schema")
    fields.add_argument("--json", action="store_true", help="以 JSON 输出")
    fields.set_defaults(handler=_lazy("docgen.cli.template", "cmd_template_fields"))
    tcheck = template.add_parser("check", help="检查模板，列出全部问题及其位置")
    tcheck.add_argument("template", metavar="TEMPLATE.docx")
    tcheck.add_argument("--format", choices=FORMAT_VERSIONS)
    tcheck.add_argument("--schema", metavar="S.json", help="自定义报告类型的 JSON Schema")
    tcheck.add_argument("--json", action="store_true", help="以 JSON 数组输出")
    tcheck.add_argument("--annotate", metavar="OUT.docx", help="输出一份以批注标出问题的模板副本")
    tcheck.set_defaults(handler=_lazy("docgen.cli.template", "cmd_template_check"))

    batch = commands.add_parser("batch", help="批量生成报告")
    batch.add_argument("inputs", metavar="INPUT", nargs="+",
                       help="数据文件、文件夹（其中的 JSON/YAML）或 JSON Lines 文件")
    batch.add_argument("-o", "--output", metavar="OUTDIR", required=True, help="输出文件夹")
    batch.add_argument("--jobs", "-j", type=int, default=0, help="并行进程数（默认 CPU 核数）")
    batch.add_argument("--pdf", action="store_true", help="同时输出 PDF")
    batch.add_argument("--allow-external", action="store_true",
                       help="允许模板引用外部内容（链接的图片、INCLUDE/DDE 域、OLE 对象）")
    _add_kind_options(batch)
    batch.set_defaults(handler=_lazy("docgen.cli.batch", "cmd_batch"))
    return parser


def _lazy(module: str, name: str) -> Handler:
    """A handler that imports its module only when its command runs (fast start)."""

    def handler(args: argparse.Namespace) -> int:
        import importlib

        found: Handler = getattr(importlib.import_module(module), name)
        return found(args)

    return handler


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``docgen`` command with `argv`; return the exit status."""
    from docgen.cli.safety import run_safely

    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    return run_safely(handler, args, _on_error)


def _on_error(exc: BaseException) -> int:
    """The exit status for docgen's own errors, printed; anything else is raised again."""
    from docgen.cli.safety import visible

    if isinstance(exc, InvalidReportError):
        print_issues(exc.issues)
        print("报告未生成。", file=sys.stderr)
        return exc.exit_code
    if isinstance(exc, TemplateProblemError):
        print(visible(f"模板 {exc.template} 有问题："), file=sys.stderr)
        print_issues(exc.issues)
        return exc.exit_code
    if isinstance(exc, DocgenError):
        print(visible(f"docgen: {exc}"), file=sys.stderr)
        return exc.exit_code
    raise exc


if __name__ == "__main__":
    sys.exit(main())
