"""Limits on what a template may cost: time, memory, output, loops, strings, nesting.

A Word template is code written by someone else. Its Jinja tags run in a sandbox (no Python
internals); this module bounds what they may *cost*. Every limit has a documented default and
may be set by a user or a server:

* in Python: ``docgen.engine.limits.configure(seconds=5, part_chars=1_000_000)`` (process-wide)
  or ``with docgen.engine.limits.limits(seconds=5): …`` (this thread/context only);
* from the environment: ``DOCGEN_LIMITS="seconds=5,memory_mb=1024"`` (read at import).

The sandbox that enforces them is `docgen.engine.sandbox`. Breaking a limit raises
`LimitExceeded`, which the template filler reports as a located
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
``tags``
    How many ``{{ }}``/``{% %}`` tags one part may hold (compiling is not interruptible, so
    its cost is bounded by the template's size in tags).
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
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DEFAULTS",
    "LimitExceeded",
    "Limits",
    "apply_memory_limit",
    "budget",
    "configure",
    "current",
    "limits",
    "memory_limit",
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
    #: Tags ({{ … }} and {% … %}) in one part: compiling costs time and memory per tag (a
    #: report template has a few hundred; 20 000 compile in a few seconds).
    tags: int = 20_000
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


@contextlib.contextmanager
def memory_limit(megabytes: int | None = None) -> Iterator[None]:
    """`apply_memory_limit` within the block; the previous limit restored after it."""
    try:
        import resource
    except ImportError:
        yield
        return
    before = resource.getrlimit(resource.RLIMIT_AS)
    apply_memory_limit(megabytes)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, before)


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


def spend() -> Budget:
    # -- outside a render (Jinja folding constants at compile time) a fresh default budget --
    return _budget.get() or Budget(current())
