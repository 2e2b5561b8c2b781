"""The built wheel carries the schemas and templates: installed in a clean venv, it renders."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest
from conftest import EXAMPLES, ROOT, visible_texts

pytestmark = pytest.mark.slow

def test_wheel_renders_from_a_clean_venv(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)],
                   check=True, capture_output=True)
    wheel = next(dist.glob("docgen_gov-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert any(n.endswith(".dist-info/licenses/LICENSE") or n.endswith(".dist-info/LICENSE")
               for n in names), sorted(names)
    assert {"docgen/_data/schemas/gov-info-annual-2019.schema.json",
            "docgen/_data/schemas/gov-info-annual-2021.schema.json",
            "docgen/_data/templates/gov-info-annual-2019.docx",
            "docgen/_data/templates/gov-info-annual-2021.docx",
            "docgen/_data/html/gov-info-annual-2019.html",
            "docgen/_data/html/gov-info-annual-2021.html",
            "docgen/engine/fonts.conf", "docgen/py.typed"} <= names

    env = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env)
    python = env / "bin" / "python"
    # -- the source tree on PYTHONPATH (and its .egg-info) would make pip skip the wheel --
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], check=True,
                   capture_output=True, env=clean)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = elsewhere / "report.docx"
    done = subprocess.run(
        [str(env / "bin" / "docgen"), "render", str(EXAMPLES / "county-bureau-2025.json"),
         "-o", str(out)],
        cwd=elsewhere, capture_output=True, text=True, check=False, env=clean,
    )

    assert done.returncode == 0, done.stderr
    assert "泽安县市场监督管理局2025年政府信息公开工作年度报告" in visible_texts(out)
    page = elsewhere / "report.html"
    done = subprocess.run(
        [str(env / "bin" / "docgen"), "render", str(EXAMPLES / "jindong-2019.json"),
         "-o", str(page)],
        cwd=elsewhere, capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "<h1" in page.read_text(encoding="utf-8")
    where = subprocess.run([str(python), "-c", "import docgen; print(docgen.__file__)"],
                           cwd=elsewhere, capture_output=True, text=True, check=True, env=clean)
    assert str(env) in where.stdout
