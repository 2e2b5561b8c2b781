"""Safe file writing: complete or absent, never over an input, suffix matching the content."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from docgen.errors import UsageError


def refuse_wrong_suffix(target: Path, pdf: bool) -> None:
    """Refuse a PDF named ``.docx`` or a Word document named ``.pdf``: it would not open."""
    wrong = ".docx" if pdf else ".pdf"
    if target.suffix.lower() == wrong:
        right = "PDF（.pdf）" if pdf else "Word 文档（.docx）"
        raise UsageError(f"输出文件 {target} 的扩展名与内容不符：将生成 {right}")


def refuse_overwriting(target: Path, inputs: Sequence[Path]) -> None:
    """Refuse an output that is one of the `inputs` (also through a link)."""
    for source in inputs:
        if target.exists() and source.exists() and target.resolve() == source.resolve():
            raise UsageError(f"拒绝覆盖输入文件：{target}")


def write_atomic(target: Path, data: bytes, *, durable: bool = True) -> None:
    """Write `data` to `target` through a temporary file in the same folder, then rename.

    The file is complete or absent; an output docgen cannot write raises `UsageError`.
    With `durable` false the data is not synced to disk before the rename: the caller
    promises one `sync_folder` when it is done (a batch: one sync instead of one per file).
    """
    if target.is_dir():
        raise UsageError(f"无法写入 {target}：这是一个文件夹，请在其后加上文件名")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise UsageError(f"无法写入 {target}：{exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException as exc:
        Path(temp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise UsageError(f"无法写入 {target}：{exc.strerror or exc}") from exc
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
