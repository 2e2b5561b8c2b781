"""The user's docgen cache: compiled templates kept on disk between runs.

A compiled template holds Python code objects (Jinja's compiled template), stored with
`marshal`: loading one is running code. So an entry is only ever read from a directory that
is owned by the current user and writable by nobody else (created 0700), and only from a
file owned by the user and writable by nobody else, opened without following links; anything
else is ignored, never trusted. Where it lives:

* ``$DOCGEN_CACHE_DIR`` when set, else ``$XDG_CACHE_HOME/docgen``, else ``~/.cache/docgen``;
* ``DOCGEN_CACHE=0`` turns it off (every process compiles its templates again).

Entries are written to a temporary file and renamed into place (concurrent writers each
write a complete entry; the last rename wins); each carries a checksum, so a damaged entry is
ignored and written again. Keys are hashes of the template's content and of the code that
compiles it, so a template swapped for another with the same size and time is never mistaken
for the old one. Not on Windows (no owner checks there): the cache is off.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import stat
from pathlib import Path

__all__ = ["cache_dir", "read_entry", "write_entry"]

_MAGIC = b"docgen-cache-1\n"


def cache_dir() -> Path | None:
    """The cache directory to use, or None when the cache is off."""
    if os.environ.get("DOCGEN_CACHE", "1").strip() in ("0", "false", "no", "off") or \
            os.name != "posix" or not hasattr(os, "O_NOFOLLOW"):
        return None
    explicit = os.environ.get("DOCGEN_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "docgen"


def _open_dir(create: bool) -> int | None:
    """A descriptor of the cache directory when it is safe to trust, else None."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        if create:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return None
    info = os.fstat(fd)
    if info.st_uid != os.getuid() or info.st_mode & 0o022:
        os.close(fd)  # -- someone else could put code here: never read from it --
        return None
    return fd


def read_entry(key: str) -> bytes | None:
    """The payload stored under `key`, or None (absent, untrusted or damaged)."""
    folder = _open_dir(create=False)
    if folder is None:
        return None
    try:
        fd = os.open(key, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=folder)
    except OSError:
        return None
    finally:
        os.close(folder)
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or \
                info.st_mode & 0o022:
            return None
        data = handle.read()
    head, digest, payload = data[:len(_MAGIC)], data[len(_MAGIC):len(_MAGIC) + 32], \
        data[len(_MAGIC) + 32:]
    if head != _MAGIC or hashlib.sha256(payload).digest() != digest:
        return None
    return payload


def write_entry(key: str, payload: bytes) -> None:
    """Store `payload` under `key`, atomically; a cache that cannot be written is skipped."""
    folder = _open_dir(create=True)
    if folder is None:
        return
    temp = f".{key}.{secrets.token_hex(8)}.tmp"
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600,
                     dir_fd=folder)
        with os.fdopen(fd, "wb") as handle:
            handle.write(_MAGIC + hashlib.sha256(payload).digest() + payload)
        os.replace(temp, key, src_dir_fd=folder, dst_dir_fd=folder)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temp, dir_fd=folder)
    finally:
        os.close(folder)
