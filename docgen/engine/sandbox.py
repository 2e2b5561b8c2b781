"""The Jinja sandbox with every cost bounded by `docgen.engine.limits` (see there)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.runtime import Context
from jinja2.sandbox import MAX_RANGE, SandboxedEnvironment
from jinja2.utils import generate_lorem_ipsum

from docgen.engine.limits import LimitExceeded, current
from docgen.engine.limits import spend as _spend

__all__ = ["BoundedSandbox", "check_nesting", "render_bounded"]


def render_bounded(template: jinja2.Template, context: Any) -> str:
    """Render `template` with `context`, counting its output against the budget.

    Every chunk's length is added up as it comes (no chunk passes a limit unnoticed); the
    budget itself is told, and the clock looked at, every `_STEP` characters and when a limit
    is near: a call per chunk cost as much as the render of a small template. (Loops look at
    the clock at every step, `_loop`; without a loop a template's run is bounded by its size.)
    """
    spent = _spend()
    limits = spent.limits
    written: list[str] = []
    append = written.append
    length = told = 0
    # -- the length at which the budget must hear of it: a step on, or a limit --
    stop = min(_STEP, limits.part_chars, limits.total_chars - spent.total)
    for chunk in template.generate(context):
        append(chunk)
        length += len(chunk)
        if length > stop:
            spent.output(length, length - told)  # -- raises past a limit --
            spent.check_time()
            told = length
            stop = min(length + _STEP, limits.part_chars,
                       length + limits.total_chars - spent.total)
    spent.output(length, length - told)
    return "".join(written)  # -- joined once: the output is copied once --


#: Characters of output between two reports to the budget.
_STEP = 1 << 16


# -- nesting, before any parser sees it ------------------------------------------------------

_OPENERS = frozenset({"for", "if", "macro", "call", "filter", "with", "block", "autoescape",
                      "raw", "trans"})
_CLOSERS = frozenset({"end" + name for name in _OPENERS})


def check_nesting(environment: jinja2.Environment, source: str) -> tuple[int, str] | None:
    """Return (line, message) where `source` nests blocks or brackets too deep or holds too
    many tags, else None.

    Uses Jinja's lexer only (flat, linear), so nesting that would make Jinja's parser or
    Python's compiler fail (RecursionError, "too many statically nested blocks") is refused
    first. Also ``{% set x %}…{% endset %}`` counts as a block. A lexer error is left to the
    parser, which locates it.
    """
    chosen = current()
    blocks = brackets = tags = 0
    after_begin = False
    try:
        for line, kind, value in environment.lex(source):
            if kind == "whitespace":
                continue
            if kind in ("block_begin", "variable_begin"):
                tags += 1
                if tags > chosen.tags:
                    return line, f"模板中的标签过多（超过 {chosen.tags} 个，tags）"
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


def _bounded_lipsum(n: int = 5, html: bool = True, min: int = 20,
                    max: int = 100) -> str:
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

    intercepted_binops = frozenset({"*", "**", "%", "+"})  # -- the ones that can grow --

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

    def call(__self, __context: Context, __obj: Any, *args: Any,
             **kwargs: Any) -> Any:
        """Calls as in the sandbox, with str methods bounded and every result measured."""
        _spend().tick()
        _bounded_call(__obj, args, kwargs)
        return _check_result(super().call(__context, __obj, *args, **kwargs))

    def _generate(self, source: nodes.Template, name: str | None, filename: str | None,
                  defer_init: bool = False) -> str:
        """Compile, after making every ``{% for %}`` count its steps (`_loop`) and every
        ``~`` check its length (`_concat`). `parse` is left alone, for the template tools."""
        check_constants(source)
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


# -- what a template costs whatever the data: refused when it is compiled ----------------------

_OPERATORS = {"Mul": "*", "Pow": "**", "Mod": "%", "Add": "+", "Sub": "-", "FloorDiv": "//"}
#: Filters whose cost their constant arguments decide, with the check each runs first.
_FILTER_CHECKS: dict[str, Callable[..., None]] = {}


class _NotConstant(Exception):
    pass


def _constant(node: nodes.Node) -> Any:
    """The value of a constant expression, each operator checked before it is computed."""
    if isinstance(node, nodes.Const):
        return node.value
    if isinstance(node, (nodes.List, nodes.Tuple)):
        return [_constant(item) for item in node.items]
    if isinstance(node, nodes.Neg):
        return -_constant(node.node)
    if isinstance(node, nodes.BinExpr) and type(node).__name__ in _OPERATORS:
        left, right = _constant(node.left), _constant(node.right)
        operator = _OPERATORS[type(node).__name__]
        _check_binop(operator, left, right)
        try:
            return SandboxedEnvironment.default_binop_table[operator](left, right)
        except Exception as exc:  # -- 1 // 0, 'a' - 1: the render says so, located --
            raise _NotConstant from exc
    raise _NotConstant


def check_constants(tree: nodes.Template) -> None:
    """Refuse, before it is compiled, what a template would cost whatever the data: constant
    operators (``7 ** (10 ** 9)``, ``'x' * 10 ** 9``), widths (``center(10 ** 9)``,
    ``.ljust(10 ** 9)``), calls with constant arguments (``lipsum(10 ** 6)``,
    ``range(10 ** 9)``) and loops nested over constant ranges. The `LimitExceeded` carries
    the line as ``lineno``."""
    for node in tree.find_all((nodes.BinExpr, nodes.Filter, nodes.Call)):
        try:
            _check_node(node)
        except LimitExceeded as exc:
            exc.lineno = node.lineno  # type: ignore[attr-defined]
            raise
    _loops(tree.body, 1)


def _constants(values: Iterable[nodes.Node]) -> list[Any]:
    return [_constant(value) for value in values]


def _check_node(node: nodes.Node) -> None:
    try:
        if isinstance(node, nodes.BinExpr):
            _constant(node)
        elif isinstance(node, nodes.Filter) and node.name in ("center", "indent") and node.args:
            width = _constant(node.args[0])
            _width_check("", width)
        elif isinstance(node, nodes.Filter) and node.name in _FILTER_CHECKS \
                and node.node is not None:
            args = _constants((node.node, *node.args))
            kwargs = {str(k.key): _constant(k.value) for k in node.kwargs}
            takes_context = node.name in ("slice", "replace", "join")
            _FILTER_CHECKS[node.name](*([None] if takes_context else []), *args, **kwargs)
        elif isinstance(node, nodes.Call):
            _check_call(node)
    except (_NotConstant, TypeError, ValueError):
        return


def _check_call(node: nodes.Call) -> None:
    callee = node.node
    if isinstance(callee, nodes.Name) and callee.name in ("lipsum", "range"):
        args = _constants(node.args)
        kwargs = {str(k.key): _constant(k.value) for k in node.kwargs}
        if callee.name == "range":
            _bounded_range(*args)
        else:
            _lipsum_size(*args, **kwargs)
    elif isinstance(callee, nodes.Getattr) and callee.attr in ("format", "format_map"):
        owner = _constant(callee.node)
        if isinstance(owner, str):
            _check_widths(owner)
    elif isinstance(callee, nodes.Getattr) and callee.attr in _WIDTH_METHODS:
        for arg in node.args:
            with contextlib.suppress(_NotConstant):
                width = _constant(arg)
                if isinstance(width, int):
                    _spend().size(width)


def _lipsum_size(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> None:
    if all(isinstance(v, int) for v in (n, min, max)):
        _spend().size(sorted((0, n))[-1] * sorted((0, min, max))[-1] * 12)


def _loops(body: Iterable[nodes.Node], factor: int) -> None:
    """Refuse loops nested over constant ranges whose steps multiply past the limit."""
    for node in body:
        inner = factor
        if isinstance(node, nodes.For):
            steps = _range_length(node.iter)
            if steps is not None:
                inner = factor * steps
                if inner > current().loop_iterations:
                    exc = LimitExceeded(f"模板中的循环次数过多（上限 {current().loop_iterations} "
                                        "次，loop_iterations）")
                    exc.lineno = node.lineno  # type: ignore[attr-defined]
                    raise exc
        _loops([c for c in node.iter_child_nodes() if isinstance(c, nodes.Stmt)], inner)


def _range_length(node: nodes.Node) -> int | None:
    if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name) \
            and node.node.name == "range" and not node.kwargs:
        try:
            return len(range(*_constants(node.args)))
        except (_NotConstant, TypeError, ValueError, OverflowError):
            return None
    return None


_FILTER_CHECKS.update(format=_format_check, slice=_slice_check, replace=_replace_check,
                      join=_join_check)
