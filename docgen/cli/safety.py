"""What the ``docgen`` command does so that nothing ends in a traceback or drives the terminal:
a closed or non-UTF-8 standard output, and text from the data (escape sequences) printed.
`docgen.cli.shell.run` uses both around every command."""

from __future__ import annotations

import contextlib
import os
import re
import sys

#: Characters printed as ``\xNN``/``\uNNNN``: C0 controls but tab and newline (ESC starts a
#: terminal escape sequence, CR overwrites a line), DEL, C1 controls, and the bidirectional
#: overrides that reorder what a terminal shows.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """`text` with control characters shown as escapes, so data cannot drive the terminal.

    >>> visible("a\\x1b[2Jb")
    'a\\\\x1b[2Jb'
    """
    def show(found: re.Match[str]) -> str:
        code = ord(found.group())
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _CONTROL.sub(show, text)


def utf8_streams() -> None:
    """Standard streams that exist and take any text (see the comments)."""
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
