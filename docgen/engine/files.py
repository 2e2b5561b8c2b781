"""Safe file writing: complete or absent, never over an input, suffix matching the content.

`write_atomic` writes through a temporary file in the target's folder and renames it over
the target, so a reader sees the old file or the new one, never half of one. What it promises:

* only a regular file is replaced: a device, FIFO or socket at the target (``-o /dev/null``,
  even as root) is refused with `UsageError`, never turned into a regular file;
* the new file's permissions are those of the file it replaces (a 0600 file stays 0600), or
  for a new file what the umask allows (0666 & ~umask), as any program's would be;
* the temporary name is short and fixed-length (``.docgen-<pid>-<random>.tmp``), so a valid
  output name is never pushed over the file-system limit (255 bytes) by it;
* an interrupted write (an error, Ctrl-C, SIGTERM/SIGHUP via `install_signal_handlers`)
  removes its temporary file; one left by a killed run (``kill -9``, a power cut) is
  recognised by its name — its process is gone — and removed by the next write into
  that folder (`remove_stale_temporaries`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import signal
import stat
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType

from docgen.engine.messages import os_error_text
from docgen.errors import UsageError

#: The prefix of every temporary file docgen writes (so a later run recognises it).
TEMP_PREFIX = ".docgen-"
TEMP_SUFFIX = ".tmp"
_TEMP_NAME = re.compile(r"^\.docgen-(\d+)-[A-Za-z0-9_]+\.tmp$")
#: A temporary file older than this is stale whatever its process id says (ids are reused).
STALE_AFTER_SECONDS = 24 * 3600


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP arrived: unwind like Ctrl-C (temporary files removed), then exit."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Terminated(signum)


def install_signal_handlers() -> None:
    """Make SIGTERM and SIGHUP unwind like Ctrl-C (in the main thread of the command)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None:
            signal.signal(number, _terminate)


@contextlib.contextmanager
def signals_unwind() -> Iterator[None]:
    """`install_signal_handlers` within the block; the previous handlers restored after it."""
    names = [n for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n)]
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = {name: signal.getsignal(getattr(signal, name)) for name in names}
    install_signal_handlers()
    try:
        yield
    finally:
        for name, handler in before.items():
            signal.signal(getattr(signal, name), handler)


#: File name suffixes of an HTML page or template.
HTML_SUFFIXES = (".html", ".htm")


def is_html(path: str | Path) -> bool:
    """Whether `path` names an HTML file (by its suffix).

    >>> is_html("out/report.HTML"), is_html("report.docx")
    (True, False)
    """
    return Path(path).suffix.lower() in HTML_SUFFIXES


class InputTooLarge(Exception):
    """An input holds more than the `limit` it is read under: `size` as the file system says
    it, or None when it said less and more came (a file that grew, a pipe, a device)."""

    def __init__(self, size: int | None, limit: int) -> None:
        super().__init__(size, limit)
        self.size = size
        self.limit = limit

    def amount(self, unknown: str = "超过上限") -> str:
        """How large, for a message: ``N 字节，上限 L 字节``, or `unknown` and the limit."""
        if self.size is not None:
            return f"{self.size} 字节，上限 {self.limit} 字节"
        return f"{unknown} {self.limit} 字节"


def read_bounded(path: Path, limit: int) -> bytes:
    """Return the bytes of the input file `path`; raise `InputTooLarge` if it holds more than
    `limit` (a file the file system says is larger is not read at all).

    At most ``limit + 1`` bytes are read, whatever the file system says of its size, so a file
    that grows, a pipe or a device (``/dev/zero``) stays bounded. Raises `OSError` as opening
    and reading it does (`IsADirectoryError` for a folder).
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
    try:
        found = os.fstat(fd)
        if stat.S_ISDIR(found.st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        if found.st_size > limit:
            raise InputTooLarge(found.st_size, limit)
        # -- as much as the file says it holds (not a `limit`-sized buffer for a small file),
        # then on to the limit in case it holds more (it grew, or it is a pipe or a device) --
        wanted = min(found.st_size, limit) + 1
        pieces = [os.read(fd, wanted)]
        total = len(pieces[0])
        ended = stat.S_ISREG(found.st_mode) and total < wanted  # -- a short read: its end --
        while not ended and total <= limit and pieces[-1]:
            pieces.append(os.read(fd, min(limit + 1 - total, 1 << 20)))
            total += len(pieces[-1])
    finally:
        os.close(fd)
    if total > limit:
        raise InputTooLarge(None, limit)
    return b"".join(pieces)


def refuse_wrong_suffix(target: Path, pdf: bool, *, html: bool = False) -> None:
    """Refuse a PDF named ``.docx``, a Word document named ``.pdf``, a web page named other
    than ``.html``/``.htm`` or a PDF named ``.html``: it would not open."""
    suffix = target.suffix.lower()
    if html:
        if pdf:
            raise UsageError(f"输出文件 {target}：不能同时生成 PDF 和 HTML 网页")
        if suffix not in HTML_SUFFIXES:
            raise UsageError(f"输出文件 {target} 的扩展名与内容不符：将生成 HTML 网页（.html）")
        return
    wrong = (".docx", ".html", ".htm") if pdf else (".pdf",)
    if suffix in wrong:
        right = "PDF（.pdf）" if pdf else "Word 文档（.docx）"
        raise UsageError(f"输出文件 {target} 的扩展名与内容不符：将生成 {right}")


def refuse_overwriting(target: Path, inputs: Sequence[Path | str | None]) -> None:
    """Refuse an output that is one of the `inputs` (also through a link, hard or symbolic)."""
    for source in inputs:
        if source is None:
            continue
        try:
            same = os.path.samefile(target, source)
        except OSError:
            same = False
        if same:
            raise UsageError(f"拒绝覆盖输入文件：{target}")


_umask_lock = threading.Lock()
_umask: int | None = None


def _current_umask() -> int:
    global _umask
    with _umask_lock:
        if _umask is None:
            _umask = os.umask(0o022)
            os.umask(_umask)
        return _umask


def _mode_for(target: Path) -> int:
    """The permissions the written file gets: the replaced file's, else 0666 & ~umask.

    Raises `UsageError` for a target that is not a regular file (`refuse_special`).
    """
    try:
        mode = target.stat().st_mode
    except OSError:
        return 0o666 & ~_current_umask()
    _refuse_mode(target, mode)
    return stat.S_IMODE(mode)


def refuse_special(target: Path) -> None:
    """Refuse a target that exists and is not a regular file (a folder, device, FIFO…)."""
    try:
        mode = target.stat().st_mode
    except OSError:
        return
    _refuse_mode(target, mode)


def _refuse_mode(target: Path, mode: int) -> None:
    if stat.S_ISDIR(mode):
        raise UsageError(f"无法写入 {target}：这是一个文件夹，请在其后加上文件名")
    if not stat.S_ISREG(mode):
        raise UsageError(f"无法写入 {target}：这不是普通文件（设备、管道或套接字），"
                         "docgen 只替换普通文件")


_cleaned: set[str] = set()


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Remove docgen's temporary files in `folder` whose process is gone (and that are more
    than a minute old), or that are older than a day; return them. Checked once per folder
    per process."""
    # -- not resolved (a system call per folder) nor normalised (``link/..`` is not ``.``) --
    key = os.path.join(os.getcwd(), folder)
    if key in _cleaned:
        return []
    _cleaned.add(key)
    removed = []
    try:
        names = [entry.name for entry in os.scandir(folder) if entry.name.startswith(TEMP_PREFIX)]
    except OSError:
        return []
    for name in names:
        found = _TEMP_NAME.match(name)
        if found is None:
            continue
        path = folder / name
        try:
            age = time.time() - path.lstat().st_mtime
            # -- a minute's grace: a writer in another PID namespace (a container sharing
            # the folder) may look dead from here while it writes --
            if age > STALE_AFTER_SECONDS or (age > 60 and not _alive(int(found.group(1)))):
                path.unlink()
                removed.append(path)
        except OSError:
            continue
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True
    return True


def write_atomic(target: Path, data: bytes, *, durable: bool = True) -> None:
    """Write `data` to `target` through a temporary file in the same folder, then rename.

    The file is complete or absent; an output docgen cannot write raises `UsageError`
    (see the module docstring for what else is promised). With `durable` false the data is
    not synced to disk before the rename: the caller promises one `sync_folder` when it is
    done (a batch: one sync instead of one per file).
    """
    mode = _mode_for(target)  # -- and a folder, FIFO or device at `target` refused --
    try:
        if not os.path.isdir(target.parent):
            target.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(target.parent)
        fd, temp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", suffix=TEMP_SUFFIX,
                                    dir=target.parent)
    except OSError as exc:
        raise UsageError(f"无法写入 {target}：{os_error_text(exc)}") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.chmod(temp, mode)
        refuse_special(target)  # -- a FIFO may have appeared at the name meanwhile --
        os.replace(temp, target)
    except BaseException as exc:
        Path(temp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise UsageError(f"无法写入 {target}：{os_error_text(exc)}") from exc
        raise


def sync_folder(folder: Path) -> None:
    """Make every file written to `folder`'s file system durable: one ``syncfs`` (Linux), or
    a whole-system ``sync`` where that is missing."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        os.sync()
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if getattr(libc, "syncfs", None) is None or libc.syncfs(fd) != 0:
            os.sync()
    except OSError:
        os.sync()
    finally:
        os.close(fd)
