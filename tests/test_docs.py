"""The docs are true to the tool: every command shown runs and prints what is shown, the
command summary lists every option, every code docgen prints is in the README's table."""

from __future__ import annotations

import argparse
import ast
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

import docgen.errors
from docgen.batch import _code
from docgen.cli import build_parser

DOCS = [ROOT / "README.md", ROOT / "examples" / "README.md"]
#: A code: upper-case words joined by hyphens (``T3-ROW``, ``BATCH-DATA-FILE``).
CODE = re.compile(r"\b[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+\b")
#: Upper-case hyphenated strings in the source that are no codes.
NOT_CODES = {"UTF-8", "UTF-16", "GB-T", "ISO-8601"}


def blocks(path: Path, language: str) -> list[str]:
    """The fenced code blocks of `language` in the Markdown file `path` (indented ones too)."""
    found = re.findall(rf"^( *)```{language}\n(.*?)^\1```", path.read_text(encoding="utf-8"),
                       re.DOTALL | re.MULTILINE)
    return ["\n".join(line[len(indent):] for line in body.splitlines())
            for indent, body in found]


def transcripts() -> list[tuple[str, str, str]]:
    """(doc, command, expected output) for every ``$ docgen …`` in a console block."""
    found = []
    for doc in DOCS:
        for block in blocks(doc, "console"):
            for chunk in re.split(r"^\$ ", block, flags=re.MULTILINE)[1:]:
                command, _, output = chunk.partition("\n")
                output = output.rstrip("\n") + "\n" if output.strip() else ""
                found.append((doc.relative_to(ROOT).as_posix(), command, output))
    return found


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the repository's examples and fixtures, where the commands run."""
    where = tmp_path_factory.mktemp("docs")
    shutil.copytree(ROOT / "examples", where / "examples")
    shutil.copytree(ROOT / "tests" / "fixtures", where / "tests" / "fixtures")
    return where


@pytest.mark.parametrize(("doc", "command", "expected"), transcripts(),
                         ids=[f"{d}: {c}" for d, c, _ in transcripts()])
def test_every_command_shown_prints_what_is_shown(workdir: Path, doc: str, command: str,
                                                  expected: str) -> None:
    argv = shlex.split(command)
    assert argv[0] == "docgen", f"{doc}: only docgen commands are shown in transcripts"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", "LANG": "C.UTF-8"}
    env.pop("LC_ALL", None)
    env.pop("LC_MESSAGES", None)
    done = subprocess.run([sys.executable, "-m", "docgen", *argv[1:]], cwd=workdir, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          check=False)

    assert done.stdout == expected


def test_python_examples_run(workdir: Path) -> None:
    for block in blocks(ROOT / "examples" / "README.md", "python"):
        code = compile(block, "examples/README.md", "exec")
        cwd = os.getcwd()
        os.chdir(workdir)
        try:
            exec(code, {})
        finally:
            os.chdir(cwd)
    assert (workdir / "out" / "jindong-2019.docx").is_file()


def _commands(parser: argparse.ArgumentParser, prefix: str) -> dict[str, set[tuple[str, ...]]]:
    """Every command of `parser` (``docgen template check``) → its options (each as the tuple
    of its spellings), without -h."""
    options = {tuple(a.option_strings) for a in parser._actions
               if a.option_strings and "--help" not in a.option_strings}
    found = {prefix: options}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.update(_commands(sub, f"{prefix} {name}"))
    return found


def test_readme_command_summary_lists_every_command_and_option() -> None:
    summary = next(b for b in blocks(ROOT / "README.md", "sh") if "docgen [--lang" in b)
    shown: dict[str, set[str]] = {}
    for line in summary.splitlines():
        words = line.split()
        name = " ".join(w for w in words[:3] if re.fullmatch(r"[a-z]+", w))
        shown[name] = set(re.findall(r"(?<![\w.])--?[a-z][\w-]*", line)) - {"-h"}
    for command, options in _commands(build_parser(), "docgen").items():
        if command in ("docgen template",):
            continue  # -- only its subcommands have options --
        assert command in shown, f"README's command summary lacks {command}"
        missing = [o[-1] for o in options if not shown[command] & set(o)]
        assert not missing, f"{command}: README's summary lacks {missing}"
        spelled = {s for o in options for s in o}
        assert shown[command] <= spelled, f"{command}: no such options {shown[command] - spelled}"


def _source_codes() -> tuple[set[str], set[str]]:
    """Codes written as string literals in docgen's source, and families built as
    ``f"PREFIX-{…}"`` or ``"PREFIX-" + …`` (returned as ``PREFIX-``)."""
    codes: set[str] = set()
    families: set[str] = set()
    for path in (ROOT / "docgen").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and CODE.fullmatch(node.value) and node.value not in NOT_CODES:
                codes.add(node.value)
            elif isinstance(node, ast.JoinedStr) and node.values:
                first = node.values[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str) \
                        and re.fullmatch(r"[A-Z][A-Z0-9]*-", first.value):
                    families.add(first.value)
            elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) \
                    and isinstance(node.left, ast.Constant) and isinstance(node.left.value, str) \
                    and re.fullmatch(r"[A-Z][A-Z0-9]*-", node.left.value):
                families.add(node.left.value)
    return codes, families


def test_every_code_printed_is_in_the_readme_table() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = "\n".join(line for line in text.splitlines() if line.startswith("| "))
    listed = set(CODE.findall(table))
    codes, families = _source_codes()
    # -- batch names the errors that carry no issues after their class: BATCH-DATA-FILE… --
    for name in dir(docgen.errors):
        value = getattr(docgen.errors, name)
        if isinstance(value, type) and issubclass(value, docgen.errors.DocgenError) \
                and value not in (docgen.errors.InvalidReportError,
                                  docgen.errors.TemplateProblemError):
            codes.add(_code(value.__new__(value)))
    families.discard("BATCH-")

    missing = sorted(codes - listed)
    assert not missing, f"codes printed but not in README's code table: {missing}"
    assert codes >= {"T3-ROW", "REQUIRED-TEXT", "TEMPLATE-ERROR", "BATCH-DATA-FILE"}
    for family in families:
        assert f"| {family}…" in table, f"README's code table lacks a {family}… row"


def test_readme_first_lines_are_the_install_and_the_ci_test_command() -> None:
    first = blocks(ROOT / "README.md", "sh")[0].splitlines()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")

    assert first[0].startswith("python3 -m venv .venv && .venv/bin/pip install")
    assert first[1] == "bash .ci/setup && python -m pytest"
    assert "bash .ci/setup" in ci and "\npython -m pytest\n" in ci


@pytest.mark.slow
def test_readme_first_line_in_a_fresh_copy(tmp_path: Path) -> None:
    """The README's first line, run as written in a fresh copy of the tree (a new venv)."""
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                            check=False)
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    copy = tmp_path / "docgen"
    for name in listed.stdout.splitlines():
        if (ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    line = blocks(ROOT / "README.md", "sh")[0].splitlines()[0]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(["bash", "-c", line], cwd=copy, env=env, capture_output=True,
                          text=True, check=False)

    assert done.returncode == 0, done.stderr
    assert done.stdout == "已生成：out/jindong-2019.docx\n"
    assert (copy / "out" / "jindong-2019.docx").stat().st_size > 10_000
