"""The neutral shape of a published document read back: paragraphs and table grids, each with
its place in the source. Readers (docgen.readers) make it; a kind's mapper reads a report out
of it. Kind-agnostic; no third-party import.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from docgen.errors import Issue, SourceLocation, UnreadableDocumentError

#: Lines, paragraphs and table cells a published document may have: a long report has a few
#: thousand; 3 000 000 short lines took 23 s and 1.4 GB to read, 1 500 000 cells 17 s, 1.7 GB.
MAX_LINES = 200_000


def check_lines(count: int, name: str) -> None:
    """Refuse a document of more than `MAX_LINES` lines before they are built."""
    if count > MAX_LINES:
        raise UnreadableDocumentError(
            f"{name}：行、段落或单元格过多（{count} 个，上限 {MAX_LINES}），"
            "不像一份年度报告，已拒绝",
            "IMPORT-LIMIT")


@dataclass(frozen=True)
class Cell:
    """One cell of a table grid as printed: its text and where it is."""

    text: str
    location: SourceLocation
    #: True for the continuation of a merged cell (not the cell that holds the text).
    merged: bool = False


@dataclass(frozen=True)
class Paragraph:
    """One paragraph (or one line of pasted text) and where it is."""

    text: str
    location: SourceLocation


@dataclass(frozen=True)
class Table:
    """A table grid: rows of distinct cells (a merged cell appears once, where it starts)."""

    rows: tuple[tuple[Cell, ...], ...]
    location: SourceLocation


Block = Paragraph | Table


@dataclass
class PublishedDocument:
    """A published document read back: its blocks in order, and what the reader noticed.

    `outside` holds the text of a web page around the article (its header block 索引号/发布机构…,
    the title, the page chrome), when the reader could tell the article apart; `issues` what
    could not be read (with their places).
    """

    source: str
    kind: str
    blocks: list[Block] = field(default_factory=list)
    outside: list[Paragraph] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)

    def paragraphs(self) -> list[Paragraph]:
        """The paragraphs, tables left out."""
        return [b for b in self.blocks if isinstance(b, Paragraph)]


_SPACES = re.compile(r"[ \t\u00a0\u3000\u2002\u2003\u2009\u200b\ufeff]+")


_CJK = r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef“”‘’—…]"
_JUSTIFIED = re.compile(rf"(?<={_CJK}) +| +(?={_CJK})")


def unjustify(text: str) -> str:
    """Return `text` without the spaces text extraction puts next to Chinese characters.

    >>> unjustify("2025 年 1 月，共 3 件 。 见 https://a.cn 下载")
    '2025年1月，共3件。见https://a.cn下载'
    """
    return _JUSTIFIED.sub("", text)


def clean_text(text: str) -> str:
    """Return `text` with its spaces (``&nbsp;``, full-width, zero-width) collapsed and trimmed.

    >>> clean_text("\\u00a0 总\\u3000计 ")
    '总 计'
    """
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()
