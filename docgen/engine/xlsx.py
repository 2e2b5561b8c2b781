"""Open an .xlsx file bounded like any other input; openpyxl, an optional dependency.

A workbook is refused (`DataFileError`) when it is too large, not a zip package, a zip bomb
(too many entries, too large unpacked or too compressed) or declares XML entities (DOCTYPE)
in any part; macros and external links are never loaded, formulas never evaluated. Only the
workbook modules import openpyxl (``pip install 'docgen-gov[xlsx]'``).
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
import zlib
from pathlib import Path
from typing import Any

from docgen.engine.files import InputTooLarge, read_bounded
from docgen.engine.loading import MAX_BYTES
from docgen.engine.messages import os_error_text
from docgen.errors import DataFileError, UsageError

#: More zip entries than this are refused (a docgen workbook has about 15).
MAX_ENTRIES = 500
#: A workbook unpacking to more than this is refused (a zip bomb).
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
#: More cells than this in all sheets are refused before openpyxl builds them (a docgen
#: workbook has about 600; 400 000 took 9 s and 900 MB).
MAX_CELLS = 50_000
_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")


def require_openpyxl() -> Any:
    """Return the openpyxl module, or raise `UsageError` naming the install command."""
    try:
        import openpyxl
    except ImportError as exc:
        raise UsageError("读写 Excel 工作簿需要 openpyxl：pip install 'docgen-gov[xlsx]'") from exc
    return openpyxl


def open_workbook(path: Path) -> Any:
    """Return the openpyxl workbook at `path`, bounded and checked like any input.

    Raises `UsageError` for a missing file, `DataFileError` for a file that is too large, not
    an .xlsx package, a zip bomb, or declares XML entities.
    """
    openpyxl = require_openpyxl()
    name = str(path)
    try:
        raw = read_bounded(path, MAX_BYTES)  # -- a device or a growing file stays bounded --
    except InputTooLarge as exc:
        raise DataFileError(f"[XLSX-FILE] {name}：文件过大（{exc.amount()}）") from None
    except FileNotFoundError as exc:
        raise UsageError(f"找不到数据文件：{name}") from exc
    except IsADirectoryError as exc:
        raise UsageError(f"{name} 是文件夹，不是数据文件") from exc
    except OSError as exc:
        raise UsageError(f"无法读取数据文件 {name}：{os_error_text(exc)}") from exc
    _check_package(raw, name)
    try:
        with warnings.catch_warnings():
            # -- openpyxl warns about Excel/WPS extensions it skips (slicers, conditional
            # -- formats…); none of them holds data docgen reads --
            warnings.simplefilter("ignore")
            return openpyxl.load_workbook(io.BytesIO(raw), data_only=False, keep_vba=False,
                                          keep_links=False, rich_text=False)
    except Exception as exc:  # -- openpyxl raises many kinds on a damaged part; all mean this --
        raise DataFileError(f"[XLSX-FILE] {name}：工作簿已损坏，无法读取（{type(exc).__name__}）") \
            from exc


def _check_package(raw: bytes, name: str) -> None:
    """Refuse a package that is not an .xlsx, too large, tampered with or declaring a DTD."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile as exc:
        raise DataFileError(f"[XLSX-FILE] {name}：不是 Excel 工作簿（.xlsx 应为 zip 格式）") \
            from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ENTRIES:
            raise DataFileError(f"[XLSX-UNSAFE] {name}：工作簿包内文件过多"
                                f"（{len(infos)} 个，上限 {MAX_ENTRIES}）")
        total = sum(i.file_size for i in infos)
        packed = sum(i.compress_size for i in infos) or 1
        if total > MAX_UNPACKED_BYTES or total / packed > MAX_COMPRESSION_RATIO:
            raise DataFileError(f"[XLSX-UNSAFE] {name}：工作簿解压后过大，疑似压缩炸弹，已拒绝")
        names = [i.filename for i in infos]
        if len(set(names)) != len(names):
            twice = sorted({n for n in names if names.count(n) > 1})[0]
            raise DataFileError(f"[XLSX-UNSAFE] {name}：工作簿包内有重复的部件 {twice}"
                                "（可能是被篡改的文件），已拒绝")
        if "xl/workbook.xml" not in names:
            raise DataFileError(f"[XLSX-FILE] {name}：工作簿包缺少 xl/workbook.xml，"
                                "不是有效的 .xlsx 文件")
        cells = 0
        for info in infos:
            cells += _check_part(archive, info, name)
            if cells > MAX_CELLS:
                raise DataFileError(f"[XLSX-UNSAFE] {name}：工作簿中的单元格过多"
                                    f"（超过 {MAX_CELLS} 个），已拒绝")


def _check_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> int:
    """Check one part (every part, whatever its name: openpyxl follows the relationships);
    return how many cells it holds."""
    try:
        data = archive.read(info)  # -- sizes are bounded above; a lie fails the CRC --
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError,
            RuntimeError) as exc:
        raise DataFileError(f"[XLSX-FILE] {name}：工作簿已损坏，无法读取 {info.filename}") \
            from exc
    if info.filename.startswith(("xl/media/", "docProps/thumbnail")) \
            or info.filename.endswith(".bin"):
        return 0
    cells = len(_CELL.findall(data)) if info.filename.startswith("xl/worksheets/") else 0
    if cells <= MAX_CELLS and _declares_doctype(data):
        raise DataFileError(f"[XLSX-UNSAFE] {name}：{info.filename} 含有 DOCTYPE/实体声明"
                            "（可能是 XXE 攻击），已拒绝")
    return cells


def _declares_doctype(data: bytes) -> bool:
    """Whether the XML `data` declares a DTD: read up to its root element only (the DTD comes
    before it), so a large sheet is not built here."""
    from lxml import etree  # -- only when a workbook is read: `docgen render x.json` needs none --

    try:
        for _, element in etree.iterparse(io.BytesIO(data), events=("start",),
                                          resolve_entities=False, no_network=True,
                                          load_dtd=False):
            info = element.getroottree().docinfo
            return bool(info.doctype) or info.internalDTD is not None
    except etree.XMLSyntaxError:
        pass
    return b"<!DOCTYPE" in data or b"<!ENTITY" in data
