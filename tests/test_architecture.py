"""The house rules of the layout: imports point one way, `import docgen` stays light, and the
library gives the caller the same issues the command line prints."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, ROOT

import docgen
from docgen.cli import main

LINT_IMPORTS = shutil.which("lint-imports")
THIRD_PARTY = ("docxtpl", "docx", "jinja2", "jsonschema", "babel", "lxml", "yaml", "openpyxl")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    if LINT_IMPORTS is None:
        pytest.fail("import-linter is required: pip install -e '.[test]'")
    return subprocess.run([LINT_IMPORTS, "--config", str(root / "setup.cfg")], cwd=root,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, check=False)


def test_the_tree_keeps_the_one_way_rule() -> None:
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_a_function_local_back_edge_is_caught(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "docgen", tmp_path / "docgen",
                    ignore=shutil.ignore_patterns("__pycache__", "_data"))
    shutil.copy(ROOT / "setup.cfg", tmp_path / "setup.cfg")
    files = tmp_path / "docgen" / "engine" / "files.py"
    files.write_text(files.read_text(encoding="utf-8") + (
        "\n\ndef _kind_name() -> str:\n"
        "    from docgen.kinds import get_kind  # -- the engine must not know the kinds --\n\n"
        "    return get_kind('2021').name\n"), encoding="utf-8")

    done = lint_imports(tmp_path)

    assert done.returncode == 1
    assert "docgen.engine.files -> docgen.kinds" in done.stdout
    assert "BROKEN" in done.stdout


def test_import_docgen_imports_no_third_party_library() -> None:
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import docgen; "
            f"print(sorted(m for m in {THIRD_PARTY!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code, str(ROOT)], capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_reading_a_published_report_loads_no_renderer() -> None:
    # -- `docgen import`/`audit` of a text report: the readers' shared Word constants live
    # in engine/wordml.py, not in the Word renderer (Jinja, the sandbox, the cache) --
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from pathlib import Path; "
            "import docgen; docgen.import_report(Path(sys.argv[2])); "
            "print(sorted(m for m in ('jinja2', 'docgen.engine.fill', 'docgen.engine.sandbox')"
            " if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code, str(ROOT),
                           str(ROOT / "tests" / "fixtures" / "jindong-2019-report.txt")],
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_public_names_resolve() -> None:
    for name in docgen.__all__:
        assert getattr(docgen, name) is not None, name
    assert docgen.pointer("a", "b") == "/a/b"
    assert docgen.render_many.__module__ == "docgen.batch"
    with pytest.raises(AttributeError):
        docgen.no_such_name  # noqa: B018


def test_library_and_cli_report_the_same_issues(capsys: pytest.CaptureFixture[str],
                                                tmp_path: Path) -> None:
    data: dict[str, Any] = json.loads((EXAMPLES / "county-bureau-2025.json").read_text("utf-8"))
    data["published"] = "2026-03-15"                  # -- PUBLISHED-LATE, a warning --
    data["overview"]["intro"] = "本年度予以公开99件。"    # -- NARRATIVE, a warning --
    source = tmp_path / "late.json"
    source.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    result = docgen.render(source, tmp_path / "late.docx")
    code = main(["check", "--json", str(source)])
    printed = json.loads(capsys.readouterr().out)
    main(["render", str(source), "-o", str(tmp_path / "cli.docx")])
    rendered_err = capsys.readouterr().err

    assert code == 0 and result.path.is_file()
    assert {i.code for i in result.warnings} >= {"PUBLISHED-LATE", "NARRATIVE"}
    assert [i.to_dict() for i in result.issues] == printed
    assert [i.to_dict() for i in docgen.prepare(source).issues] == printed
    for issue in result.issues:
        assert str(issue) in rendered_err


def test_prepared_is_checked_once_and_renders_itself(tmp_path: Path) -> None:
    data: dict[str, Any] = docgen.load(EXAMPLES / "county-bureau-2025.json")
    total = data["applications"]["results"].pop("total")
    prepared = docgen.prepare(data)

    assert prepared.kind.name == "gov-info-annual-2021" and prepared.errors == ()
    assert prepared.data["applications"]["results"]["total"] == total  # -- derived --
    assert "total" not in data["applications"]["results"]  # -- the caller's data untouched --
    data = prepared.render()
    written = prepared.render(tmp_path / "out.docx")
    assert written.path.read_bytes() == data
    assert Path(written) == tmp_path / "out.docx"  # -- a Rendered is path-like --
