"""PDF through real LibreOffice, page images that are not blank, and the 公文 fonts requested."""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import EXAMPLES, ROOT

import docgen
from docgen.cli import main

pytestmark = pytest.mark.slow
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.json"))


def pdf_text(pdf: Path) -> str:
    done = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          check=True)
    return done.stdout.decode("utf-8")


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
    if artifacts:  # -- CI keeps a PNG of each first page --
        Path(artifacts).mkdir(parents=True, exist_ok=True)
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile",
                        str(out), str(Path(artifacts) / example.stem)], check=True)


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
