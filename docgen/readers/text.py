"""Pasted text (``.txt``): one paragraph per non-empty line, located by its line number.

Text copied from a portal page puts each table cell on its own line; the kind's mapper puts
the cells back into rows by their labels.
"""

from __future__ import annotations

import re

from docgen.engine.published import (
    Paragraph,
    PublishedDocument,
    check_lines,
    clean_text,
    unjustify,
)
from docgen.errors import SourceLocation, UnreadableDocumentError

#: A page number line left by text extraction (— 3 —).
_PAGE_NUMBER = re.compile(r"^[—–\-－]\s*\d{1,4}\s*[—–\-－]$")
#: Control characters no text has (a few escape sequences pasted from a terminal are allowed).
_BINARY = re.compile("[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")


def decode_text(raw: bytes, name: str) -> str:
    """Return `raw` as text: UTF-8 (with or without BOM), else GB18030 (Chinese Windows)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableDocumentError(f"{name}：不是 UTF-8 或 GB18030 编码的文本")


def read_lines(lines: list[str], name: str) -> list[Paragraph]:
    """Return one paragraph per non-empty line of `lines`, located by line; a table row
    copied with tabs between its cells gives one paragraph per cell."""
    found = []
    for number, line in enumerate(lines, start=1):
        for cell in line.split("\t"):
            text = unjustify(clean_text(cell))
            if text and not _PAGE_NUMBER.match(text):
                found.append(Paragraph(text, SourceLocation(source=name, line=number)))
    return found


def read_text(raw: bytes, name: str) -> PublishedDocument:
    """Read pasted text: each non-empty line one paragraph."""
    text = decode_text(raw, name) if b"\x00" not in raw else ""
    controls = len(_BINARY.findall(text, 0, 65536))
    if (not text.strip() and raw.strip()) or controls > 8:
        raise UnreadableDocumentError(f"{name}：不是文本文件（含二进制内容）")
    lines = text.splitlines()
    check_lines(len(lines), name)
    document = PublishedDocument(source=name, kind="text")
    document.blocks.extend(read_lines(lines, name))
    return document
