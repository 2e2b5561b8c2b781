"""The ``docgen fonts`` command and the font warning of ``docgen render --pdf``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from docgen.cli.lang import t
from docgen.engine.fonts import FaceUse, substitutions

_UNKNOWN = ("无法查询 PDF 所用字体：本机没有 fontconfig 的 fc-match"
            "（Debian/Ubuntu：apt-get install fontconfig）")
_INSTALL = ("免费替代字体的安装：apt-get install texlive-lang-chinese fonts-arphic-ukai "
            "fonts-noto-cjk（详见 docs/fonts.md）")


def _used(face: FaceUse) -> str:
    return face.used if face.chinese else f"{face.used}（无简体中文字形）"


def substitution_warning(faces: list[FaceUse] | None) -> str | None:
    """One warning line naming each official face the PDF shows in another face, or None."""
    if faces is None:
        return t("警告", "warning") + f" [FONT-UNKNOWN] {_UNKNOWN}"
    swapped = [f for f in faces if f.substituted]
    if not swapped:
        return None
    pairs = "，".join(f"{f.official} → {_used(f)}" for f in swapped)
    return (t("警告", "warning")
            + f" [FONT-SUBSTITUTED] 本机未安装公文字体，PDF 中以替代字体排印：{pairs}"
            "（docgen fonts 查看详情）")


def warn_substitutions() -> None:
    """Print the substitution warning of ``docgen render --pdf`` to stderr (nothing if none)."""
    line = substitution_warning(substitutions())
    if line:
        print(line, file=sys.stderr)


def cmd_fonts(args: argparse.Namespace) -> int:
    """List each official face, what it is used for and what the PDF shows in its place."""
    faces = substitutions()
    if args.json:
        rows: list[dict[str, Any]] = [
            {"official": f.official, "role": f.role, "used": f.used, "file": f.file,
             "installed": f.installed, "simplified_chinese": f.chinese} for f in faces or []]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if faces is None:
        print(_UNKNOWN)
        return 0
    print(t("| 公文字体 | 用途 | PDF 中使用 | 状态 |",
            "| official face | use | in the PDF | state |"))
    print("|---|---|---|---|")
    for face in faces:
        state = t("已安装", "installed") if face.installed else t("替代", "substituted")
        print(f"| {face.official} | {face.role} | {_used(face)} | {state} |")
    if any(f.substituted for f in faces):
        print()
        print(t("安装正式字体后即自动使用；" + _INSTALL,
                "installed official faces are used at once; the free faces: apt-get install "
                "texlive-lang-chinese fonts-arphic-ukai fonts-noto-cjk (see docs/fonts.md)"))
    return 0
