"""The one Jinja environment every docgen template renders in, Word and HTML alike.

Sandboxed, so a template cannot reach Python internals; strict, so a misspelt field fails the
render instead of leaving a blank in an official document; autoescaped, so ``&`` and ``<`` in
data can neither corrupt the document XML nor inject markup into an HTML page; bounded in
time, loops, string sizes and output (`docgen.engine.limits`).
"""

from __future__ import annotations

from decimal import Decimal
from types import TracebackType
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from docgen.engine import formatting
from docgen.engine.limits import LimitExceeded
from docgen.engine.sandbox import BoundedSandbox


def _finalize(value: Any) -> Any:
    # -- None prints as nothing, and a Decimal never as 1E+3 --
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def make_environment() -> SandboxedEnvironment:
    """Return a new environment configured as every docgen render's: sandboxed, strict
    undefined, autoescaping, docgen's formatting filters registered; bounded, so a template
    cannot run for ever or fill the memory (`docgen.engine.limits`, `docgen.engine.sandbox`)."""
    env = BoundedSandbox(
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
