"""Shared fixtures: paths, report data, and readers of what a .docx shows."""

from __future__ import annotations

import copy
import io
import json
import os
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import docx
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True, scope="session")
def _private_template_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Compiled templates go to a cache of this test session, not the user's (subprocesses
    inherit it); a test that sets its own DOCGEN_CACHE_DIR wins."""
    os.environ.setdefault("DOCGEN_CACHE_DIR", str(tmp_path_factory.mktemp("docgen-cache")))
#: The published reference report as text (a copy of shared/reference/jindong-2019-report.txt).
REFERENCE_TEXT = FIXTURES / "jindong-2019-report.txt"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def read_json(path: Path) -> dict[str, Any]:
    """Load a data file as docgen does (exact decimals)."""
    return json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)


@pytest.fixture
def jindong() -> dict[str, Any]:
    """The reference report (2019 format), corrected."""
    return read_json(EXAMPLES / "jindong-2019.json")


@pytest.fixture
def county() -> dict[str, Any]:
    """The current-format (2021) example."""
    return read_json(EXAMPLES / "county-bureau-2025.json")


def _cell_text(tc: Any) -> str:
    return "\n".join("".join(t.text or "" for t in p.iter(W + "t")) for p in tc.iter(W + "p"))


def _is_continued(tc: Any) -> bool:
    merge = tc.find(f"{W}tcPr/{W}vMerge")
    return merge is not None and merge.get(W + "val") not in ("restart",)


def table_rows(table: Any) -> list[list[str]]:
    """The rows of a w:tbl as lists of cell texts, each merged cell once (where it starts)."""
    return [
        [_cell_text(tc) for tc in tr.iterchildren(W + "tc") if not _is_continued(tc)]
        for tr in table.iterchildren(W + "tr")
    ]


def open_docx(source: bytes | Path) -> Any:
    """Open a .docx from bytes or a path with python-docx."""
    return docx.Document(io.BytesIO(source) if isinstance(source, bytes) else str(source))


def visible_texts(source: bytes | Path) -> list[str]:
    """Every paragraph and table cell text in document order, empty ones left out."""
    body = open_docx(source).element.body
    found: list[str] = []
    for block in body.iterchildren():
        if block.tag == W + "p":
            found.append("".join(t.text or "" for t in block.iter(W + "t")))
        elif block.tag == W + "tbl":
            found += [cell for row in table_rows(block) for cell in row]
    return [t for t in found if t.strip()]


def tables(source: bytes | Path) -> list[list[list[str]]]:
    """Every top-level table as rows of unique cell texts."""
    body = open_docx(source).element.body
    return [table_rows(t) for t in body.iterchildren(W + "tbl")]


def deep(data: dict[str, Any]) -> dict[str, Any]:
    """A deep copy, to change a fixture without touching another test's."""
    return copy.deepcopy(data)


@pytest.fixture
def libreoffice() -> Iterator[str]:
    """The soffice program; skipped when missing, except in CI where it must be there."""
    program = shutil.which("soffice")
    if program is None:
        if os.environ.get("DOCGEN_REQUIRE_LIBREOFFICE"):
            pytest.fail("LibreOffice is required here (DOCGEN_REQUIRE_LIBREOFFICE) but missing")
        pytest.skip("LibreOffice is not installed")
    yield program
