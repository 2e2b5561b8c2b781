"""The 公文 typefaces in the PDF: a fontconfig setup for LibreOffice and what it substitutes.

The templates ask for 仿宋_GB2312 (body, header block, tables), 黑体 and 楷体_GB2312 (headings),
方正小标宋简体 (title) and 宋体 (page numbers). Linux machines rarely have them; LibreOffice's
silent fallback is one sans face with Japanese glyph forms. `fontconfig_environment` gives the
LibreOffice process a fontconfig file that includes the system configuration and then the
rules shipped beside this module (``fonts.conf``): each official face maps to the best free
face with Simplified Chinese forms, and an installed official face still wins.
`substitutions` says what each official face becomes on this machine (``docgen fonts``).
See docs/fonts.md for why each free face was chosen.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

#: The rules shipped with docgen (a complete fontconfig document, included after the system's).
RULES = Path(__file__).with_name("fonts.conf")

#: The official faces the shipped templates ask for, with what each is used for.
OFFICIAL_FACES: tuple[tuple[str, str], ...] = (
    ("仿宋_GB2312", "正文、版头信息、表格"),
    ("黑体", "一级标题"),
    ("楷体_GB2312", "二级标题"),
    ("方正小标宋简体", "标题"),
    ("宋体", "页码"),
)

_PLAIN_STYLES = ("Regular", "Book", "Normal", "Medium", "R")

_WRAPPER = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">{system}</include>
  <include>{rules}</include>
</fontconfig>
"""


@dataclass(frozen=True)
class FaceUse:
    """What one official face becomes: itself when installed, else a substitute.

    `used` is the family fontconfig picks, `file` its font file, `chinese` whether that face
    covers Simplified Chinese (``lang`` zh-cn) at all.
    """

    official: str
    role: str
    used: str
    file: str
    installed: bool
    chinese: bool

    @property
    def substituted(self) -> bool:
        """True when the PDF shows another face in place of the official one."""
        return not self.installed


def fontconfig_environment(folder: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return a copy of `base` (default: this process's environment) that uses docgen's rules.

    Writes ``fonts.conf`` into `folder` (a private working folder): it includes the system
    configuration (the one `base` names in FONTCONFIG_FILE, else fontconfig's default) and then
    `RULES`, and FONTCONFIG_FILE in the returned environment points at it.
    """
    env = dict(os.environ if base is None else base)
    system = env.get("FONTCONFIG_FILE") or "fonts.conf"  # -- relative: fontconfig's own folder --
    wrapper = folder / "fonts.conf"
    wrapper.write_text(_WRAPPER.format(system=escape(system), rules=escape(str(RULES))),
                       encoding="utf-8")
    env["FONTCONFIG_FILE"] = str(wrapper)
    return env


def substitutions(faces: tuple[tuple[str, str], ...] = OFFICIAL_FACES) -> list[FaceUse] | None:
    """Return what each official face in `faces` becomes in the PDF, or None when unknown.

    Asks ``fc-match`` (fontconfig) with docgen's rules, as LibreOffice does; None when
    fontconfig's tools are not installed.
    """
    program = shutil.which("fc-match")
    if program is None:
        return None
    with tempfile.TemporaryDirectory(prefix="docgen-fonts-") as work:
        env = fontconfig_environment(Path(work))
        return [_match(program, name, role, env) for name, role in faces]


def _match(program: str, name: str, role: str, env: Mapping[str, str]) -> FaceUse:
    # -- \x1f separates the fields; family lists every (localised) family name of the face --
    fields = "%{family}\x1f%{family[0]}\x1f%{file}\x1f%{lang}\x1f%{style[0]}"
    pattern = f"{name}:lang=zh-cn:weight=regular"
    try:
        done = subprocess.run([program, "-f", fields, pattern], env=dict(env),
                              capture_output=True, timeout=30, check=False,
                              stdin=subprocess.DEVNULL)
        out = done.stdout.decode("utf-8", "replace")
    except (OSError, subprocess.TimeoutExpired):
        out = ""
    families, first, file, langs, style = ([*out.split("\x1f"), "", "", "", "", ""])[:5]
    installed = name in families.split(",")
    if style and style not in _PLAIN_STYLES:
        first = f"{first} {style}"  # -- e.g. FandolSong Bold for the title --
    used = name if installed else first
    chinese = "zh-cn" in langs.split("|")
    return FaceUse(official=name, role=role, used=used or "（无）", file=file,
                   installed=installed, chinese=chinese)
