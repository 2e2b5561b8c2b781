"""PDF through real LibreOffice, page images that are not blank, and the 公文 fonts requested."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import zipfile
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    EXAMPLES,
    ROOT,
    W,
    deep,
    open_docx,
    read_json,
    table_rows,
    visible_texts,
)

import docgen
from docgen.cli import main
from docgen.cli.fonts import substitution_warning
from docgen.engine.fonts import substitutions

pytestmark = pytest.mark.slow
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.json"))


def pdf_text(pdf: Path) -> str:
    done = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          check=True)
    return done.stdout.decode("utf-8")


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, check=True).stdout
    return int(re.search(rb"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))  # type: ignore[union-attr]


def dark_share(pgm: Path) -> float:
    """The share of pixels darker than mid-grey in a binary PGM (P5) image."""
    data = pgm.read_bytes()
    fields: list[bytes] = []
    at = 0
    while len(fields) < 4:  # -- magic, width, height, maxval; whitespace separated --
        while data[at:at + 1].isspace():
            at += 1
        end = at
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[at:end])
        at = end
    width, height = int(fields[1]), int(fields[2])
    pixels = data[at + 1: at + 1 + width * height]
    return sum(1 for p in pixels if p < 128) / len(pixels)


@pytest.mark.parametrize("example", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_every_example_converts_to_pdf(example: Path, tmp_path: Path, libreoffice: str,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    if shutil.which("pdftotext") is None:
        pytest.fail("poppler-utils (pdftotext, pdftoppm) is required: bash .ci/setup")
    out = tmp_path / f"{example.stem}.pdf"
    report = docgen.load(example)

    assert main(["render", str(example), "--pdf", "-o", str(out)]) == 0

    assert out.read_bytes().startswith(b"%PDF")
    warning = substitution_warning(substitutions())  # -- 公文 faces replaced: one warning line --
    err = capsys.readouterr().err
    assert (warning in err.splitlines()) if warning else "[FONT-" not in err, err
    text = "".join(pdf_text(out).split())
    assert "".join(report.get("title", f"{report['agency']}{report['year']}年").split()) in text
    assert "予以公开" in text and "行政诉讼" in text
    columns = ("natural_person", "commercial", "research", "social_welfare", "legal_service",
               "other", "total")
    for label, row in (("四、结转下年度继续办理", report["applications"]["carried_forward"]),
                       ("（七）总计", report["applications"]["results"]["total"])):
        assert label + "".join(str(row[c]) for c in columns) in text, label
    page = tmp_path / "page"
    subprocess.run(["pdftoppm", "-gray", "-r", "40", "-f", "1", "-l", "1", str(out), str(page)],
                   check=True)
    image = next(tmp_path.glob("page*.pgm"))
    assert 0.002 < dark_share(image) < 0.5, "page 1 looks blank (or black)"
    artifacts = os.environ.get("DOCGEN_ARTIFACTS")
    if artifacts:  # -- CI keeps a PNG of every page (<stem>-<page>.png) for a reviewer --
        Path(artifacts).mkdir(parents=True, exist_ok=True)
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(out),
                        str(Path(artifacts) / example.stem)], check=True)
        pngs = sorted(Path(artifacts).glob(f"{example.stem}-*.png"))
        assert len(pngs) == page_count(out)


def test_python_pdf_bytes(libreoffice: str) -> None:
    data = docgen.render(EXAMPLES / "jindong-2019.json", pdf=True)

    assert isinstance(data, bytes) and data.startswith(b"%PDF")


def test_missing_libreoffice_is_a_clear_usage_error(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DOCGEN_SOFFICE", str(tmp_path / "no-such-soffice"))
    out = tmp_path / "report.pdf"

    code = main(["render", str(EXAMPLES / "jindong-2019.json"), "--pdf", "-o", str(out)])

    err = capsys.readouterr().err
    assert code == 2
    assert "LibreOffice" in err and "apt-get install" in err and "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize("version", ["2019", "2021"])
def test_templates_request_the_official_fonts(version: str) -> None:
    template = ROOT / "templates" / "docx" / f"gov-info-annual-{version}.docx"
    with zipfile.ZipFile(template) as archive:
        styles = archive.read("word/styles.xml").decode("utf-8")
        document = archive.read("word/document.xml").decode("utf-8")
        settings = archive.read("word/settings.xml").decode("utf-8")
    xml = styles + document

    for font in ("仿宋_GB2312", "黑体", "楷体_GB2312", "方正小标宋简体"):
        assert f'w:eastAsia="{font}"' in xml, font
    assert 'w:w="11906"' in document and 'w:h="16838"' in document  # -- A4 --
    for margin in ('w:top="2098"', 'w:bottom="1984"', 'w:left="1587"', 'w:right="1474"'):
        assert margin in document
    assert "evenAndOddHeaders" in settings


def test_html_with_pdf_writes_both(tmp_path: Path, libreoffice: str,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    # -- one rule for every output: --pdf adds a PDF of the same name, printed from Word --
    out = tmp_path / "report.html"
    assert main(["render", str(EXAMPLES / "county-bureau-2025.json"), "-o", str(out),
                 "--pdf"]) == 0
    assert "report.html" in capsys.readouterr().out
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert "泽安县市场监督管理局" in pdf_text(out.with_suffix(".pdf"))


# -- Printing like a 公文 (#18): the faces, the 落款, the page numbers, the figures ------------

#: Noto CJK's collections share one CFF named ...jp, so pdffonts cannot tell a Noto SC face
#: from a JP one; docgen's rules pick faces that are Simplified Chinese by name.
_OTHER_VARIANT = re.compile(r"(?i)cjk(jp|kr|tc|hk)|\b(jp|kr|tc|hk)\b|u(kai|ming)(tw|hk)")
_LATIN = ("LiberationSerif", "LiberationSans", "DejaVuSerif", "DejaVuSans", "TimesNewRoman")


def _compact(text: str) -> str:
    return "".join(text.split())


def _render_pdf(data: dict[str, Any], folder: Path, name: str, *,
                allow_errors: bool = False) -> tuple[Path, bytes]:
    """The PDF of `data`, and its Word document."""
    prepared = docgen.prepare(data)
    word = prepared.render(allow_errors=allow_errors)
    pdf = folder / f"{name}.pdf"
    pdf.write_bytes(prepared.render(pdf=True, allow_errors=allow_errors))
    return pdf, word


def _page_texts(pdf: Path) -> list[str]:
    return [pdf_text_page(pdf, page) for page in range(1, page_count(pdf) + 1)]


def pdf_text_page(pdf: Path, page: int) -> str:
    done = subprocess.run(["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf),
                           "-"], capture_output=True, check=True)
    return done.stdout.decode("utf-8")


def _text_fonts(pdf: Path) -> list[tuple[str, float, str]]:
    """Every text piece of `pdf` with the face and size it is set in (pdftohtml -xml)."""
    xml = subprocess.run(["pdftohtml", "-xml", "-i", "-stdout", "-q", str(pdf)],
                         capture_output=True, check=True).stdout.decode("utf-8")
    faces = {m["id"]: (m["family"].split("+")[-1], float(m["size"])) for m in re.finditer(
        r'<fontspec id="(?P<id>\d+)" size="(?P<size>[\d.]+)" family="(?P<family>[^"]+)"', xml)}
    return [(*faces[m["font"]], re.sub(r"<[^>]+>", "", m["text"])) for m in re.finditer(
        r'<text [^>]*font="(?P<font>\d+)"[^>]*>(?P<text>.*?)</text>', xml)]


def tables_of(word: Any) -> list[list[list[str]]]:
    return [table_rows(t) for t in word.element.body.iterchildren(W + "tbl")]


@pytest.mark.parametrize("example", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_simplified_chinese_faces_for_body_headings_and_title(
        example: Path, tmp_path: Path, libreoffice: str) -> None:
    data = read_json(example)
    pdf, _ = _render_pdf(data, tmp_path, example.stem)
    listing = subprocess.run(["pdffonts", str(pdf)], capture_output=True, check=True,
                             text=True).stdout
    names = [line.split()[0].split("+")[-1] for line in listing.splitlines()[2:]]
    pieces = _text_fonts(pdf)

    assert not [n for n in names if _OTHER_VARIANT.search(n)], listing
    assert not [n for n in names if "NotoSansCJK" in n or "NotoSerifCJK" in n], listing
    chinese = [(face, size, text) for face, size, text in pieces if re.search(r"[一-龥]", text)]
    title = max(chinese, key=lambda piece: piece[1])[0]  # -- the largest type: 2号 --
    heading = next(face for face, _, text in chinese if text == "一、总体情况")
    share = Counter[str]()
    for face, _, text in chinese:
        share[face] += len(text)
    body = share.most_common(1)[0][0]  # -- the face that sets the most text --
    assert len({title, heading, body}) == 3, (title, heading, body)
    assert not {title, heading, body} & set(_LATIN)


def test_page_numbers_at_the_outer_edges(tmp_path: Path, libreoffice: str) -> None:
    pdf, _ = _render_pdf(read_json(EXAMPLES / "county-bureau-2025.json"), tmp_path, "county")
    bbox = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True,
                          check=True).stdout.decode("utf-8")
    pages = re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', bbox, re.S)
    left, right = 1587 / 20, 1474 / 20  # -- the template's margins, in points --
    one_char = 280 / 20  # -- 一字 from the edge of the type area (GB/T 9704 §7.5) --

    assert len(pages) >= 2
    for number, (width, height, xml) in enumerate(pages, start=1):
        words = [(float(x0), float(x1), float(y1), word) for x0, x1, y1, word in re.findall(
            r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
            xml)]
        numbers = [w for w in words if w[3].strip("—") == str(number)]
        assert numbers, f"page {number}: no page number"
        baseline = max(w[2] for w in numbers)  # -- the lowest: the footer --
        line = [w for w in words if abs(w[2] - baseline) < 1]  # -- "— 7 —" --
        x0, x1 = min(w[0] for w in line), max(w[1] for w in line)
        assert baseline > 0.85 * float(height)
        if number % 2:  # -- odd pages: right, 一字 inside the type area's right edge --
            assert abs(x1 - (float(width) - right - one_char)) < 2, (number, x1)
        else:  # -- even pages: left, 一字 inside the left edge --
            assert abs(x0 - (left + one_char)) < 2, (number, x0)


def _filler(lines: int) -> str:
    """A paragraph of about `lines` full body lines (28 characters each, 2 indented)."""
    words = "政务公开工作持续推进，信息发布更加规范及时。" * (lines * 2 + 1)
    return "（四）其他情况。" + words[: max(0, 26 + 28 * (lines - 1) - 8)]


def _last_page_lines(pdf: Path) -> tuple[list[str], list[str]]:
    pages = _page_texts(pdf)
    last = [_compact(line) for line in pages[-1].splitlines()
            if line.strip() and not re.fullmatch(r"\s*—\s*\d+\s*—\s*", line)]
    return pages, last


@pytest.mark.parametrize(("where", "lengths"), [
    # -- a paragraph of 0…24 lines before section 六's own: the text ends at every line --
    ("before", range(25)),
    # -- the last paragraph itself grows (up to the 450 characters it is kept whole for) --
    ("last", (6, 11, 15)),
])
def test_signature_never_splits_wherever_the_text_ends(where: str, lengths: range,
                                                       tmp_path: Path, libreoffice: str) -> None:
    base = read_json(EXAMPLES / "county-bureau-2025.json")
    ends = set()
    for extra in lengths:
        data = deep(base)
        added = _filler(extra) if extra else ""
        data["other_matters"] = "\n".join(
            part for part in ((added, base["other_matters"]) if where == "before"
                              else (base["other_matters"], added)) if part)
        pdf, word = _render_pdf(data, tmp_path, f"{where}-{extra}")
        signature = [_compact(p.text) for p in open_docx(word).paragraphs
                     if p.style.name == "docgen 落款" and p.text.strip()]
        pages, last = _last_page_lines(pdf)
        ends.add(len(last))

        assert len(signature) == 2, signature
        assert last[-2:] == signature, (extra, last[-4:])
        assert len(last) > 2, f"{extra} lines more: the last page holds only the 落款"
        assert not any(signature[1] in _compact(page) for page in pages[:-1]), extra
    if where == "before":  # -- the 落款 has sat on every line of a page --
        assert len(ends) >= 15, sorted(ends)


def _largest(data: Any, count: int) -> int:
    """Replace every count in `data` (in place) by `count`; return how many were replaced."""
    replaced = 0
    items = data.items() if isinstance(data, dict) else enumerate(data)
    for key, value in list(items):
        if isinstance(value, int) and not isinstance(value, bool):
            data[key] = count
            replaced += 1
        elif isinstance(value, (dict, list)):
            replaced += _largest(value, count)
    return replaced


@pytest.mark.parametrize("example", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_largest_figures_never_break_across_lines(example: Path, tmp_path: Path,
                                                  libreoffice: str) -> None:
    data = read_json(example)
    assert _largest(data["applications"], 9999999) and _largest(data["reviews"], 8888888)
    assert _largest(data["proactive"], 7777777)
    fees = data["proactive"].get("fees")
    if isinstance(fees, dict) and "amount" in fees:
        fees["amount"] = Decimal("123456.789")
    pdf, word = _render_pdf(data, tmp_path, example.stem, allow_errors=True)
    cells = [c for t in tables_of(open_docx(word)) for row in t for c in row]
    shown = visible_texts(word)
    text = pdf_text(pdf)

    for figure in ("9999999", "8888888", "7777777", "123456.789"):
        whole = rf"(?<![\d.]){re.escape(figure)}(?![\d.])"
        expected = sum(len(re.findall(whole, t)) for t in shown)
        found = len(re.findall(whole, text))
        assert found == expected, f"{figure}: {expected} in the document, {found} whole in the PDF"
    assert sum(c in {"9999999", "8888888"} for c in cells) >= 30
    for key in ("index_no", "document_no"):  # -- the header block: each value on one line --
        value = (data.get("header") or {}).get(key)
        if value:
            assert any(_compact(value) in _compact(line) for line in text.splitlines()), value
