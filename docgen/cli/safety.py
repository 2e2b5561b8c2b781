"""What the ``docgen`` command does around every command so that nothing ends in a traceback:
signals, a closed or full or non-UTF-8 standard output, memory, and text from the data that
would drive the terminal (escape sequences) when printed."""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

from docgen.engine import limits
from docgen.engine.files import Terminated, signals_unwind

#: Characters printed as ``\xNN``/``\uNNNN``: C0 and C1 controls (ESC starts a terminal escape
#: sequence), DEL, and the bidirectional overrides that reorder what a terminal shows.
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """`text` with control characters shown as escapes, so data cannot drive the terminal.

    >>> visible("a\\x1b[2Jb")
    'a\\\\x1b[2Jb'
    """
    def show(found: re.Match[str]) -> str:
        code = ord(found.group())
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _CONTROL.sub(show, text)


def output_path(data: Path, option: str | None, suffix: str) -> Path:
    """The output file of ``render``: ``-o`` as given; ``-o dir/`` (a trailing slash) means
    ``dir/<data name><suffix>`` (the folder created if need be); no ``-o``, next to the data.
    (``-o dir`` naming an existing folder, without the slash, stays an error.)"""
    if not option:
        return data.with_suffix(suffix)
    if option.endswith(("/", os.sep)):
        return Path(option) / (data.stem + suffix)
    return Path(option)


def _utf8_streams() -> None:
    # -- a closed standard output or error (``>&-``): write into nothing, not into None --
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
    # -- a C/POSIX locale without UTF-8 (LC_ALL=C PYTHONUTF8=0): write UTF-8 all the same
    # rather than fail on the first Chinese character --
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        if encoding != "utf8" and hasattr(stream, "reconfigure"):
            with contextlib.suppress(Exception):
                stream.reconfigure(encoding="utf-8", errors="backslashreplace")


def _silence_stdout() -> None:
    # -- after a broken pipe: nothing more can reach the reader; keep the interpreter's final
    # flush from failing too --
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def run_safely(handler: Callable[[argparse.Namespace], int], args: argparse.Namespace,
               on_error: Callable[[BaseException], int]) -> int:
    """Run a command's `handler`; `on_error` turns docgen's own errors into a status."""
    _utf8_streams()
    try:
        with signals_unwind(), limits.memory_limit():
            try:
                status = handler(args)
            except Exception as exc:  # -- docgen's errors first; then the few others below --
                status = on_error(exc)
            sys.stdout.flush()
            return status
    except Terminated as exc:
        return 128 + exc.signum
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return 141
    except MemoryError:
        _report("docgen: 内存不足（上限 " f"{limits.current().memory_mb} MB，memory_mb）")
        return 1
    except RecursionError:
        _report("docgen: 输入嵌套过深，无法处理")
        return 1
    except OSError as exc:
        # -- the standard output cannot be written (a full disk, /dev/full), or another
        # file operation failed that docgen did not expect --
        _silence_stdout()
        _report(f"docgen: 无法写出：{exc.strerror or exc}")
        return 2


def _report(message: str) -> None:
    with contextlib.suppress(OSError, ValueError):
        print(message, file=sys.stderr)
