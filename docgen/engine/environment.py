"""The one Jinja environment every docgen template renders in, Word and HTML alike.

Sandboxed, so a template cannot reach Python internals; strict, so a misspelt field fails the
render instead of leaving a blank in an official document; autoescaped, so ``&`` and ``<`` in
data can neither corrupt the document XML nor inject markup into an HTML page; bounded in
time, loops, string sizes and output (`docgen.engine.limits`). Every value written is checked
for characters XML cannot hold (`IllegalCharacterError`, code ``TEXT-CONTROL-CHAR``).
"""

from __future__ import annotations

import threading
from decimal import Decimal
from types import TracebackType
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from docgen.engine import formatting
from docgen.engine.fastcheck import XML_ILLEGAL
from docgen.engine.limits import LimitExceeded
from docgen.engine.sandbox import BoundedSandbox

#: Set when a render wrote a value that is markup already (not escaped): ``|safe``, a macro.
#: `docgen.engine.fill` resets it before a render and reads it after (see `xmlproof`).
RAW_MARKUP = threading.local()


class IllegalCharacterError(ValueError):
    """A value written into the document holds a character XML cannot hold."""


def _finalize(value: Any) -> Any:
    # -- None prints as nothing, and a Decimal never as 1E+3; every value written is checked
    # here for characters XML cannot hold (data is refused earlier by TEXT-CONTROL-CHAR; this
    # covers filters' output, custom kinds' context and direct callers) --
    kind = type(value)
    if kind is str:  # -- most values: a filter's text --
        if _ILLEGAL(value):
            _refuse(value)
        return value
    if kind is int or value is None:
        return "" if value is None else value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, str):
        text = value
    elif isinstance(value, (int, float)):
        return value
    else:
        text = str(value)
    if _ILLEGAL(text):
        _refuse(text)
    if type(value) is not str and (isinstance(value, Markup) or hasattr(value, "__html__")):
        RAW_MARKUP.seen = True
    return value


_ILLEGAL = XML_ILLEGAL.search


def _refuse(text: str) -> None:
    bad = XML_ILLEGAL.search(text)
    assert bad is not None
    raise IllegalCharacterError(
        f"模板写入的值含有 Word 文件无法保存的控制字符 U+{ord(bad.group()):04X}，已拒绝")


#: What a plain dict has as attributes (methods): ``x.items`` is the method, as in Jinja.
_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Environment(BoundedSandbox):
    """The bounded sandbox, with a plain dict's keys found without the failed attribute
    lookup (and its exception) the sandbox tries first: the same value, half the fill time.

    Only ``getattr`` is added: the sandbox's and the limits' ``call``, ``call_binop``,
    ``wrap_str_format`` and compile-time checks are `BoundedSandbox`'s, unchanged. A dict's
    keys are data, never Python internals; anything else goes through the sandbox.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


def make_environment() -> SandboxedEnvironment:
    """Return a new environment configured as every docgen render's: sandboxed, strict
    undefined, autoescaping, docgen's formatting filters registered; bounded, so a template
    cannot run for ever or fill the memory (`docgen.engine.limits`, `docgen.engine.sandbox`)."""
    env = _Environment(
        undefined=jinja2.StrictUndefined, autoescape=True, finalize=_finalize
    )
    env.filters.update(formatting.FILTERS)
    return env


#: The environment shared by every render (Jinja environments are safe to share).
ENVIRONMENT = make_environment()


#: What compiling a template with a syntax error raises (it carries ``lineno``).
TemplateSyntaxError = jinja2.TemplateSyntaxError


def describe_error(exc: BaseException) -> tuple[str, str]:
    """The stable code and the message of an error raised compiling or rendering a template."""
    if isinstance(exc, LimitExceeded):
        return "TEMPLATE-LIMIT", exc.message
    if isinstance(exc, IllegalCharacterError):
        return "TEXT-CONTROL-CHAR", str(exc)
    if isinstance(exc, MemoryError):
        return "TEMPLATE-LIMIT", "模板运算所需内存超过上限（memory_mb）"
    if isinstance(exc, RecursionError):
        return "TEMPLATE-LIMIT", "模板递归过深（宏或循环调用自身）"
    if not isinstance(exc, (jinja2.TemplateError, SecurityError)):
        return "TEMPLATE-ERROR", f"模板中的表达式运算出错（{type(exc).__name__}：{exc}）"
    code = "TEMPLATE-SECURITY" if isinstance(exc, SecurityError) else (
        "TEMPLATE-SYNTAX" if isinstance(exc, jinja2.TemplateSyntaxError) else "TEMPLATE-FIELD")
    return code, str(getattr(exc, "message", None) or exc)


def template_line(exc: BaseException) -> int | None:
    """The template source line a render error happened on, from Jinja's rewritten traceback."""
    line = getattr(exc, "lineno", None)
    tb: TracebackType | None = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
