"""Around every command: parse, run, turn errors into messages and exit codes, end quietly
when the reader of the output goes away (``docgen check --json … | head``)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from docgen.cli.common import print_issues
from docgen.cli.lang import t
from docgen.cli.safety import utf8_streams, visible
from docgen.engine.messages import os_error_text
from docgen.errors import DocgenError, InvalidReportError, TemplateProblemError

#: One example per command, shown when no command is given.
EXAMPLES = {
    "docgen init": "docgen init --year 2025 -o 报告.json",
    "docgen check": "docgen check 报告.json",
    "docgen render": "docgen render 报告.json -o 报告.docx",
    "docgen batch": "docgen batch 数据文件夹 -o 输出文件夹",
    "docgen schema": "docgen schema --format 2021",
    "docgen template": "docgen template check 模板.docx",
    "docgen template fields": "docgen template fields --format 2021",
    "docgen template check": "docgen template check 模板.docx",
    "docgen export": "docgen export 上年报告.json -o 报告.xlsx --next-year",
    "docgen import": "docgen import 已发布的报告.html -o 上年报告.json",
    "docgen audit": "docgen audit 报告.html --previous 上年报告.json",
    "docgen fonts": "docgen fonts",
}

#: The exit status after the reader of the output went away (as ``grep`` and ``cat`` end).
BROKEN_PIPE = 141


def command_list(parser: argparse.ArgumentParser) -> str:
    """The commands of `parser` with what each does and an example, for a call without one."""
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    lines = [t(f"用法：{parser.prog} 命令 …", f"usage: {parser.prog} COMMAND …"), "",
             t("命令：", "commands:")]
    first = ""
    for action in actions:
        helps = {c.dest: c.help or "" for c in action._choices_actions}
        for name in action.choices:
            first = first or name
            example = EXAMPLES.get(f"{parser.prog} {name}", f"{parser.prog} {name} -h")
            lines.append(f"  {name:<10}{_pad(helps.get(name, ''), 32)}"
                         f"{t('例：', 'e.g. ')}{example}")
    lines += ["", t(f"每个命令的选项：{parser.prog} 命令 -h（如 {parser.prog} {first} -h）；"
                    "英文界面：--lang en",
                    f"options of a command: {parser.prog} COMMAND -h (e.g. {parser.prog} "
                    f"{first} -h); Chinese: --lang zh"), ""]
    return "\n".join(lines)


def _pad(text: str, width: int) -> str:
    """`text` padded with spaces to `width` terminal columns (a CJK character takes two)."""
    import unicodedata

    used = sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)
    return text + " " * max(1, width - used)


def run(build: Callable[[], argparse.ArgumentParser], argv: Sequence[str]) -> int:
    """Parse `argv` with the parser `build` makes, run the command's handler, return the status.

    Around the handler: standard streams that take any text (`safety.utf8_streams`), SIGTERM
    and SIGHUP unwinding like Ctrl-C (temporary files removed), the memory limit
    (`docgen.engine.limits`), and text from the data shown with its control characters
    escaped (`safety.visible`)."""
    from docgen.engine import limits
    from docgen.engine.files import Terminated, signals_unwind

    utf8_streams()
    try:
        with signals_unwind(), limits.memory_limit():
            args = build().parse_args(list(argv))
            status: int = args.handler(args)
            sys.stdout.flush()
            return status
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except InvalidReportError as exc:
        print_issues(exc.issues)
        print(t("报告未生成。", "No report was written."), file=sys.stderr)
        return exc.exit_code
    except TemplateProblemError as exc:
        print(visible(t(f"模板 {exc.template} 有问题：",
                        f"the template {exc.template} has problems:")), file=sys.stderr)
        print_issues(exc.issues)
        return exc.exit_code
    except DocgenError as exc:
        print(visible(f"docgen: {exc}"), file=sys.stderr)
        return exc.exit_code
    except OSError as exc:  # -- a file the command itself reads or writes; a full stdout --
        where = f"{exc.filename}：" if exc.filename else ""
        _quiet_broken_pipe()  # -- nothing more can be written there either --
        print(visible(f"docgen: {where}{os_error_text(exc)}"), file=sys.stderr)
        return 2
    except Terminated as exc:
        return 128 + exc.signum
    except KeyboardInterrupt:
        return 130
    except MemoryError:
        print(t(f"docgen: 内存不足（上限 {limits.current().memory_mb} MB，memory_mb）",
                f"docgen: out of memory (limit {limits.current().memory_mb} MB, memory_mb)"),
              file=sys.stderr)
        return 1
    except RecursionError:
        print(t("docgen: 输入嵌套过深，无法处理", "docgen: the input is nested too deeply"),
              file=sys.stderr)
        return 1


def _quiet_broken_pipe() -> int:
    """The reader went away: say nothing, and keep Python from complaining at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # -- stdout replaced by a test's capture --
        pass
    return BROKEN_PIPE
