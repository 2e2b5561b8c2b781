"""Limits on what a template may cost: time, memory, output, loops, strings, nesting.

A Word template is code written by someone else. Its Jinja tags run in a sandbox (no Python
internals); this module bounds what they may *cost*. Every limit has a documented default and
may be set by a user or a server:

* in Python: ``docgen.engine.limits.configure(seconds=5, part_chars=1_000_000)`` (process-wide)
  or ``with docgen.engine.limits.limits(seconds=5): …`` (this thread/context only);
* from the environment: ``DOCGEN_LIMITS="seconds=5,memory_mb=1024"`` (read at import).

Breaking a limit raises `LimitExceeded`, which the template filler reports as a located
``TEMPLATE-LIMIT`` problem (exit status 1) — never a hang, a `MemoryError` or a traceback.

What is bounded, and how (all in-process; no worker process is needed):

``seconds``
    Wall time of one render, checked at every loop step, call, operator and output chunk, and
    between the parts of a compile.
``loop_iterations``
    Loop steps of one render (``{% for %}`` over anything, nested loops multiply).
``string_chars``
    The length of any string or list a template builds with ``*``, ``%``, ``format``,
    ``center``/``ljust``/``rjust``/``zfill``/``indent``, ``replace``, ``lipsum``; checked
    *before* the value is built, so ``'x' * 10**9`` costs nothing.
``integer_digits``
    The size of an integer built with ``*`` or ``**`` (``7 ** (10 ** 9)`` is refused before
    it is computed; Jinja's compile-time constant folding of these operators is off).
``part_chars`` / ``total_chars``
    The characters one rendered part (the body, a header) and the whole document may hold.
``nesting`` / ``brackets``
    How deep ``{% for %}``/``{% if %}``… blocks and ``( [ {`` brackets may nest; refused from
    the token stream, before Jinja's or Python's parser could fail on it.
``memory_mb``
    The address space of a process docgen owns (the ``docgen`` command, each batch worker);
    0 for no limit. A library caller sets it with `apply_memory_limit` if it wants one.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.runtime import Context
from jinja2.sandbox import MAX_RANGE, SandboxedEnvironment
from jinja2.utils import generate_lorem_ipsum

__all__ = [
    "DEFAULTS",
    "LimitExceeded",
    "Limits",
    "apply_memory_limit",
    "check_nesting",
    "configure",
    "current",
    "limits",
]


@dataclass(frozen=True)
class Limits:
    """The limits a template's compile and render run under (see the module docstring)."""

    #: Wall-time seconds for one render (and for one compile, checked between parts).
    seconds: float = 60.0
    #: Loop steps in one render (a real report template makes a few hundred).
    loop_iterations: int = 2_000_000
    #: Characters (or items) in one string or list a template builds.
    string_chars: int = 20_000_000
    #: Decimal digits of an integer a template computes.
    integer_digits: int = 1000
    #: Characters of one rendered part (word/document.xml, a header…).
    part_chars: int = 100_000_000
    #: Characters of all rendered parts together.
    total_chars: int = 200_000_000
    #: Nesting depth of block tags ({% for %}, {% if %}, {% macro %}…).
    nesting: int = 12
    #: Nesting depth of brackets inside one tag.
    brackets: int = 24
    #: Header/footer parts rendered (Word uses at most a few per section).
    parts: int = 300
    #: Address space in MB of a process docgen owns (the command, batch workers); 0: none.
    memory_mb: int = 4096


#: The documented defaults.
DEFAULTS = Limits()


class LimitExceeded(Exception):
    """A template broke a limit; `message` says which, in Chinese, with the limit's name."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _from_environment(text: str | None) -> Limits:
    """Limits from ``DOCGEN_LIMITS`` (``name=value,…``); unknown names or bad values ignored."""
    found: dict[str, Any] = {}
    fields = {f.name: f.type for f in dataclasses.fields(Limits)}
    for item in (text or "").split(","):
        name, _, value = item.partition("=")
        name = name.strip()
        if name in fields:
            with contextlib.suppress(ValueError):
                found[name] = float(value) if name == "seconds" else int(value)
    return dataclasses.replace(DEFAULTS, **found)


_configured = _from_environment(os.environ.get("DOCGEN_LIMITS"))
_override: contextvars.ContextVar[Limits | None] = contextvars.ContextVar(
    "docgen_limits", default=None)


def current() -> Limits:
    """The limits in force here (a `limits` block, else `configure`, else the environment)."""
    return _override.get() or _configured


def configure(**changes: Any) -> Limits:
    """Set limits for the whole process (names as `Limits`' fields); return the new ones."""
    global _configured
    _configured = dataclasses.replace(_configured, **changes)
    return _configured


@contextlib.contextmanager
def limits(**changes: Any) -> Iterator[Limits]:
    """Within the block, in this thread or task only, use the given limits."""
    token = _override.set(dataclasses.replace(current(), **changes))
    try:
        yield current()
    finally:
        _override.reset(token)


def apply_memory_limit(megabytes: int | None = None) -> None:
    """Cap this process's address space (soft ``RLIMIT_AS``) at `megabytes` (default: the
    ``memory_mb`` limit), so that a runaway allocation is a `MemoryError`, not the OOM killer.

    Called by the ``docgen`` command and in each batch worker. Child processes started by
    docgen (LibreOffice) lift it again. Never lowers below what is in use; no-op off Unix.
    """
    size = current().memory_mb if megabytes is None else megabytes
    try:
        import resource
    except ImportError:  # -- not on Unix --
        return
    if size <= 0:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = size * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    if soft == resource.RLIM_INFINITY or wanted < soft:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))


def lift_memory_limit() -> None:
    """Raise the soft ``RLIMIT_AS`` to the hard one (in a child before exec: LibreOffice)."""
    try:
        import resource
    except ImportError:
        return
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (resource.getrlimit(resource.RLIMIT_AS)[1],) * 2)


# -- one render's budget ---------------------------------------------------------------------


class Budget:
    """What one compile or render may still spend."""

    def __init__(self, chosen: Limits) -> None:
        self.limits = chosen
        self.deadline = time.monotonic() + chosen.seconds
        self.iterations = 0
        self.total = 0
        self._ticks = 0

    def tick(self) -> None:
        """Check the clock (cheaply: every 64th call)."""
        self._ticks += 1
        if self._ticks & 63 == 0 and time.monotonic() > self.deadline:
            raise LimitExceeded(f"模板运行超时（上限 {self.limits.seconds:g} 秒，seconds）")

    def check_time(self) -> None:
        """Check the clock now."""
        if time.monotonic() > self.deadline:
            raise LimitExceeded(f"模板运行超时（上限 {self.limits.seconds:g} 秒，seconds）")

    def step(self) -> None:
        """One loop step."""
        self.iterations += 1
        if self.iterations > self.limits.loop_iterations:
            raise LimitExceeded(f"模板中的循环次数过多（上限 {self.limits.loop_iterations} 次，"
                                "loop_iterations）")
        self.tick()

    def size(self, length: int, what: str = "字符串") -> None:
        """Refuse a string or list of `length` before it is built."""
        if length > self.limits.string_chars:
            raise LimitExceeded(f"模板生成的{what}过长（{length} 个，上限 "
                                f"{self.limits.string_chars}，string_chars）")

    def output(self, part_length: int, added: int) -> None:
        """Account `added` output characters of a part now `part_length` long."""
        self.total += added
        if part_length > self.limits.part_chars:
            raise LimitExceeded(f"模板生成的内容过多（一个部件超过 {self.limits.part_chars} "
                                "个字符，part_chars）")
        if self.total > self.limits.total_chars:
            raise LimitExceeded(f"模板生成的内容过多（全部超过 {self.limits.total_chars} "
                                "个字符，total_chars）")
        self.tick()


_budget: contextvars.ContextVar[Budget | None] = contextvars.ContextVar(
    "docgen_budget", default=None)


@contextlib.contextmanager
def budget() -> Iterator[Budget]:
    """A fresh budget for one render (or compile) under the current limits."""
    found = Budget(current())
    token = _budget.set(found)
    try:
        yield found
    finally:
        _budget.reset(token)


def _spend() -> Budget:
    # -- outside a render (Jinja folding constants at compile time) a fresh default budget --
    return _budget.get() or Budget(current())


def render_bounded(template: jinja2.Template, context: Any) -> str:
    """Render `template` with `context`, counting its output against the budget."""
    spent = _spend()
    chunks: list[str] = []
    length = 0
    for chunk in template.generate(context):
        length += len(chunk)
        spent.output(length, len(chunk))
        chunks.append(chunk)
    return "".join(chunks)


# -- nesting, before any parser sees it ------------------------------------------------------

_OPENERS = frozenset({"for", "if", "macro", "call", "filter", "with", "block", "autoescape",
                      "raw", "trans"})
_CLOSERS = frozenset({"end" + name for name in _OPENERS})


def check_nesting(environment: jinja2.Environment, source: str) -> tuple[int, str] | None:
    """Return (line, message) where `source` nests blocks or brackets too deep, else None.

    Uses Jinja's lexer only (flat, linear), so nesting that would make Jinja's parser or
    Python's compiler fail (RecursionError, "too many statically nested blocks") is refused
    first. Also ``{% set x %}…{% endset %}`` counts as a block. A lexer error is left to the
    parser, which locates it.
    """
    chosen = current()
    blocks = brackets = 0
    after_begin = False
    try:
        for line, kind, value in environment.lex(source):
            if kind == "whitespace":
                continue
            if kind == "block_begin":
                after_begin = True
                continue
            if after_begin and kind == "name":
                if value in _OPENERS or value == "set":
                    blocks += value != "set"
                elif value in _CLOSERS or value == "endset":
                    blocks = max(0, blocks - 1)
                if blocks > chosen.nesting:
                    return line, (f"模板中的块标签嵌套过深（超过 {chosen.nesting} 层，nesting）")
            after_begin = False
            if kind == "operator" and value in "([{":
                brackets += 1
                if brackets > chosen.brackets:
                    return line, (f"模板表达式中的括号嵌套过深（超过 {chosen.brackets} 层，"
                                  "brackets）")
            elif kind == "operator" and value in ")]}":
                brackets = max(0, brackets - 1)
            elif kind in ("block_end", "variable_end"):
                brackets = 0
    except jinja2.TemplateSyntaxError:
        return None
    return None


# -- the sandbox, bounded --------------------------------------------------------------------

_WIDTH = re.compile(r"\d+")
#: ``str`` methods whose integer arguments say how long the result is.
_WIDTH_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})


def _sized(value: Any) -> int | None:
    return len(value) if isinstance(value, (str, list, tuple, bytes)) else None


def _check_result(value: Any) -> Any:
    spent = _spend()
    length = _sized(value)
    if length is not None:
        spent.size(length)
    elif isinstance(value, int) and not isinstance(value, bool):
        _check_int_bits(value.bit_length())
    return value


def _check_int_bits(bits: int) -> None:
    digits = current().integer_digits
    if bits > digits * 3.33 + 4:
        raise LimitExceeded(f"模板计算出的整数过大（超过 {digits} 位，integer_digits）")


def _check_widths(format_string: str) -> None:
    # -- a width written in a format string ('{:>1000000000}', '%1000000000d') --
    spent = _spend()
    for digits in _WIDTH.findall(format_string):
        if len(digits) > 9 or int(digits) > spent.limits.string_chars:
            spent.size(10 ** min(len(digits), 12))


def _check_binop(operator: str, left: Any, right: Any) -> None:
    """Refuse ``*``, ``**`` and ``%`` whose result would break a limit, before computing it."""
    spent = _spend()
    if operator == "*":
        for seq, times in ((left, right), (right, left)):
            if _sized(seq) is not None and isinstance(times, int):
                spent.size(len(seq) * max(times, 0))
        if isinstance(left, int) and isinstance(right, int):
            _check_int_bits(abs(left).bit_length() + abs(right).bit_length())
    elif operator == "**":
        if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
            _check_int_bits(abs(left).bit_length() * right if right < 10**7 else 10**9)
        elif isinstance(right, (int, float)) and abs(right) > 10**6 and \
                isinstance(left, (int, float)) and abs(left) > 1:
            _check_int_bits(10**9)
    elif operator == "%" and isinstance(left, str):
        _check_widths(left)
        for arg in right if isinstance(right, tuple) else (right,):
            if isinstance(arg, int) and arg > spent.limits.string_chars:
                spent.size(arg)


def _bounded_call(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Refuse a ``str`` method call whose result would be too long, before it runs."""
    owner = getattr(func, "__self__", None)
    if not isinstance(owner, str):
        return
    name = getattr(func, "__name__", "")
    spent = _spend()
    numbers = [a for a in (*args, *kwargs.values()) if isinstance(a, int)]
    if name in _WIDTH_METHODS:
        for number in numbers:
            spent.size(number * (max(1, owner.count("\t")) if name == "expandtabs" else 1))
    elif name == "replace" and len(args) >= 2 and isinstance(args[0], str) and \
            isinstance(args[1], str):
        hits = owner.count(args[0]) if args[0] else len(owner) + 1
        if len(args) > 2 and isinstance(args[2], int) and args[2] >= 0:
            hits = min(hits, args[2])
        spent.size(len(owner) + hits * max(0, len(args[1]) - len(args[0])))
    elif name in ("format", "format_map"):
        _check_widths(owner)
        for number in numbers:
            if number > spent.limits.string_chars:
                spent.size(number)


def _bounded_range(*args: int) -> Iterable[int]:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise LimitExceeded(f"range 过大（{len(numbers)} 个数，上限 {MAX_RANGE}）")
    return numbers


def _bounded_lipsum(n: int = 5, html: bool = True, min: int = 20,  # noqa: A002
                    max: int = 100) -> str:  # noqa: A002
    """Jinja's ``lipsum``, refused when it would write more than ``string_chars``."""
    words = (n, min, max)
    if not all(isinstance(value, int) for value in words):
        raise TypeError("lipsum() 的参数应为整数")
    longest = sorted((0, min, max))[-1]
    _spend().size(sorted((0, n))[-1] * longest * 12)
    return str(generate_lorem_ipsum(n, html, min, max))


@jinja2.pass_context
def _loop(context: Context, iterable: Any) -> Iterator[Any]:
    """Wraps every ``{% for %}``'s iterable: each step counts and checks the clock."""
    spent = _spend()
    for item in iterable:
        spent.step()
        yield item


def _bounded_filter(name: str, original: Callable[..., Any],
                    check: Callable[..., None]) -> Callable[..., Any]:
    """The built-in filter `original`, with `check(args…)` before it runs."""

    def bounded(*args: Any, **kwargs: Any) -> Any:
        check(*args, **kwargs)
        return _check_result(original(*args, **kwargs))

    bounded.__name__ = name
    for attribute in ("jinja_pass_arg",):
        if hasattr(original, attribute):
            setattr(bounded, attribute, getattr(original, attribute))
    return bounded


def _width_check(value: Any, width: Any = 4, *args: Any, **kwargs: Any) -> None:
    # -- center(width), indent(width): each line padded by `width` (a number or a string) --
    width = kwargs.get("width", width)
    size = width if isinstance(width, int) else len(width) if isinstance(width, str) else 0
    _spend().size(size * (str(value).count("\n") + 1))


def _slice_check(context: Any, value: Any, slices: Any = 1, *args: Any, **kwargs: Any) -> None:
    if isinstance(slices, int) and slices > 100_000:
        raise LimitExceeded(f"slice 的份数过多（{slices}，上限 100000）")


def _replace_check(context: Any, value: Any, old: Any = "", new: Any = "",
                   count: Any = None) -> None:
    if isinstance(value, str) and isinstance(old, str) and isinstance(new, str):
        hits = value.count(old) if old else len(value) + 1
        if isinstance(count, int) and count >= 0:
            hits = min(hits, count)
        _spend().size(len(value) + hits * max(0, len(new) - len(old)))


def _format_check(value: Any, *args: Any, **kwargs: Any) -> None:
    _check_binop("%", str(value), tuple(args) or kwargs)


def _join_check(context: Any, value: Any, d: Any = "", attribute: Any = None) -> None:
    if isinstance(value, (list, tuple)):
        total = sum(len(v) if isinstance(v, str) else 24 for v in value)
        _spend().size(total + len(value) * (len(d) if isinstance(d, str) else 0))


@jinja2.pass_eval_context
def _concat(eval_ctx: Any, items: list[Any]) -> str:
    """``a ~ b ~ c``: the same as Jinja's, with the result's length checked first."""
    from jinja2.runtime import markup_join, str_join

    texts = [v if isinstance(v, str) else str(v) for v in items]
    _spend().size(sum(map(len, texts)))
    return str(markup_join(items) if eval_ctx.autoescape else str_join(items))


class BoundedSandbox(SandboxedEnvironment):
    """The sandbox with every cost bounded by the current `Limits` (see the module)."""

    intercepted_binops = frozenset({"*", "**", "%", "//", "/", "+", "-"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.globals["range"] = _bounded_range
        self.globals["lipsum"] = _bounded_lipsum
        self.filters["docgen_loop"] = _loop
        self.filters["docgen_concat"] = _concat
        for name, check in (("center", _width_check), ("indent", _width_check),
                            ("format", _format_check), ("slice", _slice_check),
                            ("replace", _replace_check), ("join", _join_check)):
            self.filters[name] = _bounded_filter(name, self.filters[name], check)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """``str.format``/``format_map`` as in the sandbox, with widths checked first."""
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        owner = value.__self__

        def bounded(*args: Any, **kwargs: Any) -> str:
            _check_widths(owner)
            for number in (*args, *kwargs.values()):
                if isinstance(number, int) and number > _spend().limits.string_chars:
                    _spend().size(number)
            return str(_check_result(wrapped(*args, **kwargs)))

        return bounded

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        """Operators as usual, refused before they would build something too large."""
        _spend().tick()
        _check_binop(operator, left, right)
        return _check_result(super().call_binop(context, operator, left, right))

    def call(__self, __context: Context, __obj: Any, *args: Any,  # noqa: N805
             **kwargs: Any) -> Any:
        """Calls as in the sandbox, with str methods bounded and every result measured."""
        _spend().tick()
        _bounded_call(__obj, args, kwargs)
        return _check_result(super().call(__context, __obj, *args, **kwargs))

    def _generate(self, source: nodes.Template, name: str | None, filename: str | None,
                  defer_init: bool = False) -> str:
        """Compile, after making every ``{% for %}`` count its steps (`_loop`) and every
        ``~`` check its length (`_concat`). `parse` is left alone, for the template tools."""
        for loop in source.find_all(nodes.For):
            loop.iter = nodes.Filter(loop.iter, "docgen_loop", [], [], None, None,
                                     lineno=loop.lineno)
        for parent in [source, *source.find_all(nodes.Node)]:
            for field in parent.fields:
                value = getattr(parent, field, None)
                if isinstance(value, nodes.Concat):
                    setattr(parent, field, _bounded_concat(value))
                elif isinstance(value, list):
                    value[:] = [_bounded_concat(v) if isinstance(v, nodes.Concat) else v
                                for v in value]
        return str(super()._generate(source, name, filename, defer_init))


def _bounded_concat(node: nodes.Concat) -> nodes.Expr:
    return nodes.Filter(nodes.List(node.nodes, lineno=node.lineno), "docgen_concat", [], [],
                        None, None, lineno=node.lineno)
