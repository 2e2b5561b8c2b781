"""The command line in Chinese (default) or English: argparse's own words translated.

argparse writes its usage line, headings and option errors in English through the module-wide
``gettext``. Rather than patch that global, `Parser` and `Formatter` give the headings and the
usage prefix in the language in use, and `Parser.error` translates argparse's few error
sentences (matched by pattern, so the Python version's exact quoting does not matter).
A help text is given in both languages with `t`.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from docgen.engine.messages import language, language_from_environment, set_language

#: argparse's error sentences → Chinese (patterns on the English text argparse produced).
_ERRORS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), chinese) for pattern, chinese in (
        (r"^the following arguments are required: (.*)$", r"缺少必需的参数：\1"),
        (r"^unrecognized arguments: (.*)$", r"无法识别的参数：\1"),
        (r"^argument (\S+): invalid choice: (.*?) \(choose from (.*)\)$",
         r"参数 \1：无效的选项 \2（可选：\3）"),
        (r"^argument (\S+): invalid int value: (.*)$", r"参数 \1：应为整数，实为 \2"),
        (r"^argument (\S+): invalid (\S+) value: (.*)$", r"参数 \1：无效的值 \3"),
        (r"^argument (\S+): expected one argument$", r"参数 \1 后面需要一个值"),
        (r"^argument (\S+): expected at least one argument$", r"参数 \1 后面至少需要一个值"),
        (r"^argument (\S+): expected at most one argument$", r"参数 \1 后面至多一个值"),
        (r"^argument (\S+): expected (\d+) arguments?$", r"参数 \1 后面需要 \2 个值"),
        (r"^argument (\S+): not allowed with argument (\S+)$", r"参数 \1 不能与 \2 同时使用"),
        (r"^argument (\S+): ignored explicit argument (.*)$", r"参数 \1 不接受值 \2"),
        (r"^ambiguous option: (\S+) could match (.*)$", r"选项 \1 不明确，可能是：\2"),
        (r"^one of the arguments (.*) is required$", r"必须给出以下参数之一：\1"),
        (r"^argument (\S+): (.*)$", r"参数 \1：\2"),
    ))


def t(zh: str, en: str) -> str:
    """`zh` or `en`, whichever language the command line speaks."""
    return en if language() == "en" else zh


def translate_error(message: str) -> str:
    """argparse's English error `message` in the language in use.

    >>> translate_error("unrecognized arguments: --pfd")
    '无法识别的参数：--pfd'
    """
    if language() == "en":
        return message
    for pattern, chinese in _ERRORS:
        if pattern.match(message):
            return pattern.sub(chinese, message)
    return message


def choose_language(argv: Sequence[str]) -> list[str]:
    """Set the language from ``--lang zh|en`` in `argv` (or the locale); return `argv` without it.

    The language must be known before the parser is built, because help texts are chosen then.
    """
    args = list(argv)
    chosen = language_from_environment()
    for index, arg in enumerate(args):
        if arg == "--":
            break
        if arg.startswith("--lang="):
            chosen = arg.split("=", 1)[1]
            del args[index]
            break
        if arg == "--lang" and index + 1 < len(args):
            chosen = args[index + 1]
            del args[index:index + 2]
            break
    set_language(chosen if chosen in ("zh", "en") else "zh")
    return args


class Formatter(argparse.HelpFormatter):
    """Help with a translated usage prefix."""

    def add_usage(self, usage: str | None, actions: Any, groups: Any,
                  prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, t("用法：", "usage: ") if prefix is None
                          else prefix)


class Parser(argparse.ArgumentParser):
    """An `argparse.ArgumentParser` speaking the language in use; errors exit with status 2."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", Formatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = t("参数", "positional arguments")
        self._optionals.title = t("选项", "options")
        self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                          help=t("显示本帮助并退出", "show this help message and exit"))

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        prog = self.prog
        self.exit(2, t(f"{prog}: 错误：{translate_error(message)}（{prog} -h 查看帮助）\n",
                       f"{prog}: error: {message} (see {prog} -h)\n"))
