"""The ``docgen`` command: a thin shell that prints issues and sets the exit code.

Exit status: 0 done; 1 the data or the template has problems (listed); 2 the command was used
wrongly (missing file, bad option, missing program); 141 the output pipe was closed.
Heavy modules are imported per command.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from docgen.cli.common import kind_option, previous_option, print_issues
from docgen.cli.lang import Parser, choose_language, t
from docgen.errors import Issue
from docgen.kinds import FORMAT_VERSIONS, YEARS

Handler = Callable[[argparse.Namespace], int]


def cmd_render(args: argparse.Namespace) -> int:
    """Render DATA to the file -o names (its suffix decides: .docx, .pdf, .html); --pdf adds a
    PDF."""
    from docgen.cli.render import render_outputs

    return render_outputs(args)


def cmd_check(args: argparse.Namespace) -> int:
    """Check DATA and list every problem."""
    from docgen.api import check
    from docgen.errors import DataFileError

    try:
        issues = check(Path(args.data), kind=kind_option(args), previous=previous_option(args))
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
        print(t("未发现问题。", "no problems found."))
    failing = [i for i in issues if i.is_error or args.strict]
    return 1 if failing else 0


def cmd_init(args: argparse.Namespace) -> int:
    """Write a data file with every field present, ready to fill in."""
    from docgen.engine.files import write_atomic
    from docgen.kinds.gov_info_annual.skeleton import annual_report_skeleton

    if not YEARS[0] <= args.year <= YEARS[1]:
        from docgen.errors import UsageError

        raise UsageError(t(f"报告年度应在 {YEARS[0]} 至 {YEARS[1]} 之间，实为 {args.year}",
                           f"the report year must be {YEARS[0]} to {YEARS[1]}, not {args.year}"))
    data = annual_report_skeleton(args.year, args.format)
    if args.output and Path(args.output).suffix.lower() == ".xlsx":
        from docgen.cli.workbook import write_workbook_file

        write_workbook_file(data, Path(args.output), force=args.force)
        print(t(f"请在浅黄色单元格中填写机关名称、各节正文和统计数字，"
                f"然后运行 docgen check {args.output}",
                f"fill in the yellow cells (agency, texts, figures), then run docgen check "
                f"{args.output}"), file=sys.stderr)
        return 0
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if args.output:
        target = Path(args.output)
        if target.exists() and not args.force:
            from docgen.cli.workbook import exists_message
            from docgen.errors import UsageError

            raise UsageError(exists_message(target))
        write_atomic(target, text.encode("utf-8"))
        print(t(f"已生成：{target}", f"written: {target}"))
        print(t(f"请填写其中的空白文字（机关名称、各节正文等）和统计数字，"
                f"然后运行 docgen check {target}",
                f"fill in the empty texts and the figures, then run docgen check {target}"),
              file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    """Print the JSON Schema of a format version."""
    from docgen.kinds import DEFAULT_FORMAT, get_kind

    path = get_kind(args.format or DEFAULT_FORMAT).schema_path
    sys.stdout.write(path.read_text(encoding="utf-8"))
    return 0


def _add_kind_options(parser: argparse.ArgumentParser, *, template: bool = True,
                      html_template: bool = True) -> None:
    parser.add_argument("--format", choices=FORMAT_VERSIONS,
                        help=t("格式版本（默认按 format 字段或年度推断）",
                               "format version (default: the data's format, or its year)"))
    if template and html_template:
        parser.add_argument("--template", metavar="T.docx",
                            help=t("使用自己的 Word 模板（输出网页时为 .html 模板）",
                                   "use your own Word template (.html for a web page)"))
    elif template:  # -- batch: a Word template and an HTML template, each its own option --
        parser.add_argument("--template", metavar="T.docx",
                            help=t("使用自己的 Word 模板", "use your own Word template"))
        parser.add_argument("--html-template", metavar="T.html",
                            help=t("网页使用自己的 HTML 模板（无需另加 --html）",
                                   "use your own HTML template for the web pages "
                                   "(implies --html)"))
    parser.add_argument("--schema", metavar="S.json",
                        help=t("自定义报告类型的 JSON Schema", "JSON Schema of a custom kind"))


def _add_allowances(parser: argparse.ArgumentParser) -> None:
    """The two overrides `render` and `batch` share: consistency errors, external content."""
    parser.add_argument("--allow-errors", action="store_true",
                        help=t("照原样重现已发布的报告：勾稽错误只作提示（数据格式错误仍会拒绝）",
                               "reproduce published reports: consistency errors only warn"))
    parser.add_argument("--allow-external", action="store_true",
                        help=t("允许模板引用外部内容（链接的图片或文件、INCLUDE/DDE 域、OLE 对象）",
                               "let the template refer to external content (linked pictures "
                               "or files, INCLUDE/DDE fields, OLE objects)"))


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``docgen`` command (in the language in use).

    Long, but only a declaration: one ``add_argument`` per option, each help in both languages.
    """
    from docgen import __version__

    parser = Parser(
        prog="docgen",
        description=t("从结构化数据生成正式的 Word 公文（政府信息公开工作年度报告等）。",
                      "Official Word reports from structured data (政府信息公开工作年度报告…)."),
    )
    parser.add_argument("--version", action="version", version=f"docgen {__version__}",
                        help=t("显示版本号并退出", "show the version and exit"))
    parser.add_argument("--lang", choices=("zh", "en"),
                        help=t("界面语言（默认中文；LANG=en_… 或 C 时为英文）",
                               "language of the command line (default: from LANG)"))
    commands = parser.add_subparsers(dest="command", metavar=t("命令", "COMMAND"),
                                     title=t("命令", "commands"))

    render = commands.add_parser("render", help=t("生成 Word（或 PDF、HTML 网页）报告",
                                                  "render a Word (or PDF, HTML) report"))
    render.add_argument("data", metavar="DATA", help=t("数据文件（JSON、YAML 或 Excel .xlsx）",
                                                       "data file (JSON, YAML or Excel .xlsx)"))
    render.add_argument("-o", "--output", metavar="OUT",
                        help=t("输出文件，扩展名决定格式：.docx、.pdf 或 .html"
                               "（默认与数据同名 .docx）",
                               "output file; its suffix decides: .docx, .pdf or .html "
                               "(default: DATA's name with .docx)"))
    render.add_argument("--pdf", action="store_true",
                        help=t("另外经 LibreOffice 输出同名 PDF", "also write a PDF next to it"))
    render.add_argument("--fragment", action="store_true",
                        help=t("HTML 只输出正文 <article> 片段（供粘贴或导入网站内容管理系统）",
                               "HTML: only the <article>, to paste into a CMS"))
    render.add_argument("--previous", metavar="LAST",
                        help=t("上一年度的报告（数据文件或已发布的文件）",
                               "last year's report (data or a published file)"))
    _add_allowances(render)
    _add_kind_options(render)
    render.set_defaults(handler=cmd_render)

    check = commands.add_parser("check", help=t("检查数据，列出全部问题",
                                                "check data, list every problem"))
    check.add_argument("data", metavar="DATA", help=t("数据文件（JSON、YAML 或 Excel .xlsx）",
                                                      "data file (JSON, YAML or Excel .xlsx)"))
    check.add_argument("--json", action="store_true",
                       help=t("以 JSON 数组输出（供其他系统读取）", "print a JSON array"))
    check.add_argument("--strict", action="store_true",
                       help=t("有警告时也以状态 1 退出", "exit 1 on warnings too"))
    check.add_argument("--previous", metavar="LAST",
                       help=t("上一年度的报告（数据文件或已发布的文件）",
                              "last year's report (data or a published file)"))
    _add_kind_options(check, template=False)
    check.set_defaults(handler=cmd_check, template=None)

    init = commands.add_parser("init", help=t("生成待填写的数据文件",
                                              "write a data file to fill in"))
    init.add_argument("--year", type=int, required=True,
                      help=t(f"报告年度（{YEARS[0]}–{YEARS[1]}）",
                             f"report year ({YEARS[0]}-{YEARS[1]})"))
    init.add_argument("--format", choices=FORMAT_VERSIONS,
                      help=t("格式版本（默认按年度）", "format version (default: by year)"))
    init.add_argument("-o", "--output", metavar="DATA.json",
                      help=t("写入文件（默认输出到屏幕）；"
                             "以 .xlsx 结尾则生成按官方表格排版的 Excel 工作簿",
                             "write to a file (default: print); .xlsx writes an Excel workbook"))
    init.add_argument("--force", action="store_true",
                      help=t("覆盖已有文件", "overwrite an existing file"))
    init.set_defaults(handler=cmd_init)

    export = commands.add_parser("export",
                                 help=t("把报告数据写成 Excel 工作簿（可作为下一年度的起点）",
                                        "write a report's data as an Excel workbook"))
    export.add_argument("data", metavar="DATA", help=t("数据文件（JSON、YAML 或 .xlsx）",
                                                       "data file (JSON, YAML or .xlsx)"))
    export.add_argument("-o", "--output", metavar="OUT.xlsx", required=True,
                        help=t("输出的 Excel 工作簿", "the workbook to write"))
    export.add_argument("--next-year", action="store_true",
                        help=t("生成下一年度的表格：上年结转、现行有效件数等带入，其余留空",
                               "start next year's workbook (carried-over figures filled in)"))
    export.add_argument("--force", action="store_true",
                        help=t("覆盖已有文件", "overwrite an existing file"))
    export.set_defaults(handler=_lazy("docgen.cli.workbook", "cmd_export"))

    schema = commands.add_parser("schema", help=t("输出 JSON Schema", "print the JSON Schema"))
    schema.add_argument("--format", choices=FORMAT_VERSIONS,
                        help=t("格式版本（默认 2021）", "format version (default 2021)"))
    schema.set_defaults(handler=cmd_schema)

    template = commands.add_parser(
        "template", help=t("模板维护工具（fields、check）", "template tools (fields, check)"))
    template_commands = template.add_subparsers(dest="template_command",
                                                metavar=t("子命令", "SUBCOMMAND"))
    template.set_defaults(handler=_missing_command(template))
    fields = template_commands.add_parser(
        "fields", help=t("列出模板可用的全部字段", "list every field a template may use"))
    fields.add_argument("--format", choices=FORMAT_VERSIONS, help=t("格式版本", "format version"))
    fields.add_argument("--schema", metavar="S.json",
                        help=t("自定义报告类型的 JSON Schema", "JSON Schema of a custom kind"))
    fields.add_argument("--json", action="store_true", help=t("以 JSON 输出", "print JSON"))
    fields.set_defaults(handler=_lazy("docgen.cli.template", "cmd_template_fields"))
    tcheck = template_commands.add_parser(
        "check", help=t("检查模板，列出全部问题及其位置", "check a template, locate every problem"))
    tcheck.add_argument("template", metavar="TEMPLATE.docx|.html",
                        help=t("Word 或 HTML 模板", "Word or HTML template"))
    tcheck.add_argument("--format", choices=FORMAT_VERSIONS, help=t("格式版本", "format version"))
    tcheck.add_argument("--schema", metavar="S.json",
                        help=t("自定义报告类型的 JSON Schema", "JSON Schema of a custom kind"))
    tcheck.add_argument("--json", action="store_true",
                        help=t("以 JSON 数组输出", "print a JSON array"))
    tcheck.add_argument("--annotate", metavar="OUT.docx",
                        help=t("输出一份以批注标出问题的模板副本",
                               "write a copy of the template with the problems as comments"))
    tcheck.set_defaults(handler=_lazy("docgen.cli.template", "cmd_template_check"))

    batch = commands.add_parser("batch", help=t("批量生成报告", "render many reports"))
    batch.add_argument("inputs", metavar="INPUT", nargs="+",
                       help=t("数据文件、文件夹（其中的 JSON/YAML/.xlsx 文件）或 JSON Lines 文件",
                              "data files, folders (their JSON/YAML/.xlsx) or JSON Lines files"))
    batch.add_argument("-o", "--output", metavar="OUTDIR", required=True,
                       help=t("输出文件夹", "output folder"))
    batch.add_argument("--jobs", "-j", type=int, default=0, metavar="N",
                       help=t("并行进程数（默认 CPU 核数）", "worker processes (default: CPUs)"))
    batch.add_argument("--pdf", action="store_true",
                       help=t("另外输出同名 PDF", "also write a PDF next to each .docx"))
    batch.add_argument("--html", action="store_true",
                       help=t("另外输出同名 HTML 网页", "also write a web page next to each .docx"))
    batch.add_argument("--fragment", action="store_true",
                       help=t("网页只输出正文 <article>，便于粘贴进网站后台（无需另加 --html）",
                              "write only each page's <article>, to paste into a CMS "
                              "(implies --html)"))
    batch.add_argument("--recursive", "-r", action="store_true",
                       help=t("也读取文件夹中的子文件夹", "also read the folders' subfolders"))
    _add_allowances(batch)
    _add_kind_options(batch, html_template=False)
    batch.set_defaults(handler=_lazy("docgen.cli.batch", "cmd_batch"))
    imp = commands.add_parser("import",
                              help=t("读取已发布的报告（Word/网页/PDF/文字），生成数据文件",
                                     "read a published report back into a data file"))
    imp.add_argument("file", metavar="FILE", help=t(".docx、.html、.pdf 或 .txt",
                                                    ".docx, .html, .pdf or .txt"))
    imp.add_argument("-o", "--output", metavar="DATA.json",
                     help=t("输出数据文件（默认输出到屏幕）",
                            "data file to write (default: print)"))
    imp.set_defaults(handler=_lazy("docgen.cli.importing", "cmd_import"))
    aud = commands.add_parser("audit",
                              help=t("审查已发布的报告：读取后做全部检查，指出问题所在位置",
                                     "audit published reports: every check, located"))
    aud.add_argument("files", metavar="FILE", nargs="+",
                     help=t("已发布的报告文件", "published report files"))
    aud.add_argument("--previous", metavar="LAST",
                     help=t("上一年度的报告（数据文件或已发布的文件）",
                            "last year's report (data or a published file)"))
    aud.add_argument("--json", action="store_true",
                     help=t("以 JSON 输出（每份报告一项）", "print JSON (one item per report)"))
    aud.add_argument("--strict", action="store_true",
                     help=t("有警告时也以状态 1 退出", "exit 1 on warnings too"))
    aud.add_argument("--csv", metavar="SUMMARY.csv",
                     help=t("另存一份汇总表（每份报告一行）", "also write a summary, one row each"))
    aud.set_defaults(handler=_lazy("docgen.cli.importing", "cmd_audit"))
    fonts = commands.add_parser("fonts", help=t("列出 PDF 中公文字体的使用与替代情况",
                                                "list the 公文 faces the PDF uses or replaces"))
    fonts.add_argument("--json", action="store_true", help=t("以 JSON 输出", "print JSON"))
    fonts.set_defaults(handler=_lazy("docgen.cli.fonts", "cmd_fonts"))
    parser.set_defaults(handler=_missing_command(parser))
    return parser


def _missing_command(parser: argparse.ArgumentParser) -> Handler:
    """A handler for `parser` given no command: list the commands with an example each."""

    def handler(args: argparse.Namespace) -> int:
        from docgen.cli.shell import command_list

        sys.stderr.write(command_list(parser))
        return 2

    return handler


def _lazy(module: str, name: str) -> Handler:
    """A handler that imports its module only when its command runs (fast start)."""

    def handler(args: argparse.Namespace) -> int:
        import importlib

        found: Handler = getattr(importlib.import_module(module), name)
        return found(args)

    return handler


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``docgen`` command with `argv`; return the exit status."""
    from docgen.cli.shell import run
    from docgen.engine.messages import language, set_language

    before = language()
    try:
        return run(build_parser, choose_language(sys.argv[1:] if argv is None else argv))
    finally:
        set_language(before)  # -- the library keeps its language when main() is called --


if __name__ == "__main__":
    sys.exit(main())
