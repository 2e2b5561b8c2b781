"""The one cache policy for what docgen derives from a file.

A schema and its validator, a compiled template and a template's check are each kept per
process, keyed by the file's version — its absolute path, size, modification and change time
in nanoseconds and inode — and by whatever else the result depends on. A changed file is a
new key (a file swapped for another with the same size and modification time still has a new
change time), so a stale result is never served; each cache holds at most `limit` entries
and drops the least recently used first; lookups are thread-safe (a result may be made twice
by racing threads, never half-made).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Generic, TypeVar

V = TypeVar("V")

FileVersion = tuple[str, int, int, int, int]


def file_version(path: Path) -> FileVersion:
    """Return the absolute path, size, modification and change time (ns) and inode of `path`.

    The path is made absolute, not resolved (resolving costs a system call per folder, on
    every render) nor normalised (``link/../t.docx`` is not ``t.docx`` when ``link`` is a
    symbolic link): a link swapped to another file still changes the inode and times. Raises
    `OSError` when the file cannot be looked at.
    """
    absolute = os.path.join(os.getcwd(), path)  # -- an absolute `path` is kept as it is --
    stat = os.stat(absolute)
    return (absolute, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)


class Memo(Generic[V]):
    """A bounded, thread-safe, least-recently-used cache of values made from files."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._values: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], V]) -> V:
        """Return the value cached under `key`, making and keeping it on a miss."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = make()
        with self._lock:
            self._values[key] = value
            while len(self._values) > self.limit:
                self._values.popitem(last=False)
        return value

    def clear(self) -> None:
        """Forget every value (tests, or a long-running server that wants memory back)."""
        with self._lock:
            self._values.clear()
