"""The 公文 faces: what each becomes on this machine, an installed official face winning,
``docgen fonts`` and the render warning (fontconfig only; the PDFs are in test_pdf.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from docgen.cli import main
from docgen.cli.fonts import substitution_warning
from docgen.engine.fonts import OFFICIAL_FACES, fontconfig_environment, substitutions

#: The free faces docs/fonts.md chooses, each Simplified Chinese by name.
FREE_SC_FACES = {"FandolFang", "FandolHei", "FandolKai", "FandolSong", "FandolSong Bold",
                 "AR PL UKai CN", "AR PL UMing CN", "Noto Serif CJK SC", "Noto Sans CJK SC",
                 "Noto Serif CJK SC Bold", "WenQuanYi Zen Hei"}


@pytest.fixture
def fontconfig() -> None:
    if shutil.which("fc-match") is None:
        pytest.skip("fontconfig's fc-match is not installed")


def test_each_official_face_maps_to_a_simplified_chinese_face(fontconfig: None) -> None:
    faces = substitutions()

    assert faces is not None
    assert [f.official for f in faces] == [name for name, _ in OFFICIAL_FACES]
    for face in faces:
        assert face.chinese, face
        assert face.installed or face.used in FREE_SC_FACES, face
    by_name = {f.official: f for f in faces}
    if not by_name["方正小标宋简体"].installed:  # -- a bold Song stands in for 小标宋 --
        assert by_name["方正小标宋简体"].used.endswith("Bold")
    if not (by_name["仿宋_GB2312"].installed or by_name["黑体"].installed):
        assert by_name["仿宋_GB2312"].used != by_name["黑体"].used


def test_an_installed_official_face_wins(fontconfig: None, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # -- "install" 楷体_GB2312: a copy of a font file that fontconfig renames when scanning --
    source = Path("/usr/share/fonts/truetype/arphic/ukai.ttc")
    if not source.exists():
        pytest.skip("fonts-arphic-ukai is not installed")
    fonts = tmp_path / "fonts"
    fonts.mkdir()
    shutil.copy(source, fonts / "kaiti.ttc")
    system = tmp_path / "system.conf"
    system.write_text(f"""<?xml version="1.0"?>
<fontconfig>
  <cachedir>{tmp_path / "cache"}</cachedir>
  <include ignore_missing="yes">fonts.conf</include>
  <dir>{fonts}</dir>
  <match target="scan">
    <test name="file"><string>{fonts / "kaiti.ttc"}</string></test>
    <edit name="family" mode="assign_replace"><string>楷体_GB2312</string></edit>
  </match>
</fontconfig>
""", encoding="utf-8")
    monkeypatch.setenv("FONTCONFIG_FILE", str(system))

    faces = {f.official: f for f in substitutions() or []}

    assert faces["楷体_GB2312"].installed and faces["楷体_GB2312"].used == "楷体_GB2312"
    assert not faces["仿宋_GB2312"].installed
    line = substitution_warning(list(faces.values()))
    assert line is not None and "楷体_GB2312" not in line and "仿宋_GB2312 →" in line


def test_the_wrapper_includes_the_system_configuration(tmp_path: Path) -> None:
    env = fontconfig_environment(tmp_path, {"FONTCONFIG_FILE": "/etc/custom/fonts.conf",
                                            "HOME": "/home/x"})
    text = Path(env["FONTCONFIG_FILE"]).read_text(encoding="utf-8")

    assert env["HOME"] == "/home/x" and Path(env["FONTCONFIG_FILE"]).parent == tmp_path
    assert text.index("/etc/custom/fonts.conf") < text.index("docgen/engine/fonts.conf")
    default = Path(fontconfig_environment(tmp_path, {})["FONTCONFIG_FILE"])
    assert '<include ignore_missing="yes">fonts.conf</include>' in default.read_text("utf-8")


def test_docgen_fonts_lists_every_official_face(fontconfig: None,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fonts"]) == 0
    table = capsys.readouterr().out
    assert main(["fonts", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)

    assert table.startswith("| 公文字体 | 用途 | PDF 中使用 | 状态 |")
    for name, role in OFFICIAL_FACES:
        row = next(line for line in table.splitlines() if line.startswith(f"| {name} |"))
        assert role in row and ("替代" in row or "已安装" in row)
    assert [r["official"] for r in rows] == [name for name, _ in OFFICIAL_FACES]
    assert all(r["simplified_chinese"] for r in rows)


def test_docgen_fonts_in_english_with_lang_en(fontconfig: None,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--lang", "en", "fonts"]) == 0
    table = capsys.readouterr().out
    assert table.startswith("| official face | use | in the PDF | state |")
    states = {line.rsplit("|", 2)[-2].strip() for line in table.splitlines()[2:7]}
    assert states <= {"installed", "substituted"} and states


def test_without_fontconfig_the_situation_is_unknown(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # -- no fc-match anywhere --

    assert substitutions() is None
    assert main(["fonts"]) == 0
    assert "fc-match" in capsys.readouterr().out
    line = substitution_warning(None)
    assert line is not None and line.startswith("警告 [FONT-UNKNOWN]")
