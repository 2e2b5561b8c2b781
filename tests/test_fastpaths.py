"""The fast paths of #12 keep their promises: the template cache is safe, the once-per-template
well-formedness proof holds, values XML cannot hold are refused, JSON Lines are read by offset."""

from __future__ import annotations

import io
import json
import os
import stat
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, visible_texts

import docgen
from docgen.batch import collect_inputs, render_many
from docgen.engine import cache, fill, limits, xmlproof
from docgen.errors import TemplateProblemError
from docgen.kinds import custom_kind

CUSTOM = EXAMPLES / "custom-kind"


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("DOCGEN_CACHE_DIR", str(folder))
    monkeypatch.delenv("DOCGEN_CACHE", raising=False)
    fill._COMPILED.clear()
    return folder


def _entries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if not p.name.startswith("."))


def _notice(template: Path, data: Path = CUSTOM / "meeting-notice.json") -> list[str]:
    kind = custom_kind(CUSTOM / "meeting-notice.schema.json", template)
    return visible_texts(docgen.render(data, kind=kind))


def test_cache_is_private_and_reused(cache_dir: Path) -> None:
    first = docgen.render(EXAMPLES / "county-bureau-2025.json")
    assert stat.S_IMODE(cache_dir.stat().st_mode) == 0o700
    (entry,) = _entries(cache_dir)
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    before = entry.stat().st_mtime_ns
    fill._COMPILED.clear()

    assert docgen.render(EXAMPLES / "county-bureau-2025.json") == first
    assert entry.stat().st_mtime_ns == before  # -- read, not written again --


def test_damaged_entry_is_ignored_and_rewritten(cache_dir: Path) -> None:
    first = docgen.render(EXAMPLES / "jindong-2019.json")
    (entry,) = _entries(cache_dir)
    data = bytearray(entry.read_bytes())
    data[len(data) // 2] ^= 0xFF
    entry.write_bytes(bytes(data[: len(data) - 100]))
    fill._COMPILED.clear()

    assert docgen.render(EXAMPLES / "jindong-2019.json") == first
    assert cache.read_entry(entry.name) is not None  # -- written anew, sound --


@pytest.mark.parametrize("loose", ["folder", "file"])
def test_entries_others_can_write_are_never_read(cache_dir: Path, loose: str) -> None:
    docgen.render(EXAMPLES / "jindong-2019.json")
    (entry,) = _entries(cache_dir)
    assert cache.read_entry(entry.name) is not None
    (cache_dir if loose == "folder" else entry).chmod(0o777 if loose == "folder" else 0o666)

    assert cache.read_entry(entry.name) is None


def test_cache_off(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCGEN_CACHE", "0")
    docgen.render(EXAMPLES / "jindong-2019.json")
    assert not cache_dir.exists()


def _swapped(template: Path, old: str, new: str) -> bytes:
    """The template with `old` text replaced by `new` (same length), stored uncompressed."""
    out = io.BytesIO()
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "word/document.xml":
                data = data.replace(old.encode(), new.encode())
            target.writestr(info.filename, data, zipfile.ZIP_STORED)
    return out.getvalue()


def test_swapped_template_with_same_size_and_time(cache_dir: Path, tmp_path: Path) -> None:
    template = tmp_path / "notice.docx"
    original = _swapped(CUSTOM / "meeting-notice.docx", "会议议程", "会议议程")
    changed = _swapped(CUSTOM / "meeting-notice.docx", "会议议程", "会议日程")
    assert len(original) == len(changed) and original != changed
    template.write_bytes(original)
    os.utime(template, ns=(1_000_000_000, 1_000_000_000))
    assert "一、会议议程" in _notice(template)

    template.write_bytes(changed)
    os.utime(template, ns=(1_000_000_000, 1_000_000_000))
    assert "一、会议日程" in _notice(template)  # -- in this process --
    fill._COMPILED.clear()
    assert "一、会议日程" in _notice(template)  # -- and from the disk cache --
    assert len(_entries(cache_dir)) == 2


def test_cache_hit_keeps_external_content_refused(cache_dir: Path, tmp_path: Path,
                                                  county: dict[str, Any]) -> None:
    """A template with external content (#15) is refused the same from the disk cache."""
    from test_untrusted import external_template

    template = external_template(tmp_path / "ext.docx", "INCLUDEPICTURE")
    first = fill.CompiledTemplate(template)
    (entry,) = _entries(cache_dir)
    before = entry.stat().st_mtime_ns
    again = fill.CompiledTemplate(template)  # -- from the entry --

    assert entry.stat().st_mtime_ns == before
    assert again.external == first.external and again.part_names == first.part_names
    (issue,) = again.external
    assert issue.code == "TEMPLATE-EXTERNAL" and issue.where == first.external[0].where
    with pytest.raises(TemplateProblemError) as caught:
        again.render(county)
    assert caught.value.issues[0].code == "TEMPLATE-EXTERNAL"


def test_cache_entry_is_per_limits(cache_dir: Path, county: dict[str, Any]) -> None:
    """A template compiled (and cached) under the default limits is checked again under
    stricter ones, and refused; the render-time limits hold on a cache hit."""
    template = docgen.get_kind("2021").template_path
    docgen.render(county)
    fill._COMPILED.clear()

    with limits.limits(tags=100), pytest.raises(TemplateProblemError) as caught:
        docgen.render(county)
    assert caught.value.issues[0].code == "TEMPLATE-LIMIT"
    assert "tags" in caught.value.issues[0].message

    fill._COMPILED.clear()
    hit = fill.compile_template(template)  # -- from the default limits' entry --
    prepared = docgen.prepare(county)
    assert prepared.context is not None
    with limits.limits(part_chars=20_000), pytest.raises(TemplateProblemError) as caught:
        hit.render(prepared.context)
    assert caught.value.issues[0].code == "TEMPLATE-LIMIT"
    assert len(_entries(cache_dir)) == 1  # -- nothing cached for a refused template --


def test_control_character_written_by_a_template_is_refused() -> None:
    prepared = docgen.prepare(EXAMPLES / "county-bureau-2025.json")
    assert prepared.context is not None
    context: dict[str, Any] = dict(prepared.context, title="标题\x07")

    with pytest.raises(TemplateProblemError) as caught:
        fill.render_docx(prepared.kind.template_path, context)

    (issue,) = caught.value.issues
    assert issue.code == "TEXT-CONTROL-CHAR" and "U+0007" in issue.message


@pytest.mark.parametrize(("source", "proven"), [
    ("<a><b>{{ x }}</b>{% if y %}<c/><d>{{ y }}</d>{% else %}<e/>{% endif %}</a>", True),
    ('<a k="{{ x }}">{% for i in y %}<b>{{ i }}</b>{% endfor %}</a>', True),
    ("<a>{% set z = 1 %}{{ z }}</a>", True),
    ("<a>{% if y %}<b>{% endif %}</b></a>", False),  # -- an element open across a branch --
    ("<a>{% for i in y %}</a><a>{% endfor %}</a>", False),
    ("<a {{ x }}>t</a>", False),  # -- an expression among the attributes --
    ("<a>{{ x|safe }}</a>", True),  # -- raw markup at render time: parsed then (below) --
    ("<a>{% macro m() %}<b>{% endmacro %}{{ m() }}</a>", False),
    ("<a>{% filter upper %}<b/>{% endfilter %}</a>", False),
    ("<a><!-- {{ x }} --></a>", False),
])
def test_well_formedness_proof(source: str, proven: bool) -> None:
    assert xmlproof.proves_well_formed(source, fill.ENVIRONMENT) is proven


def test_shipped_templates_are_proven(cache_dir: Path) -> None:
    for version in ("2019", "2021"):
        compiled = fill.compile_template(docgen.get_kind(version).template_path)
        assert compiled._body.proven


def test_raw_markup_makes_that_render_be_parsed(tmp_path: Path) -> None:
    """A value that is markup already (``|safe``) is not covered by the proof: the render
    that writes one is parsed, as every render was before, and never spliced in broken."""
    from lxml import etree

    template = tmp_path / "safe.docx"
    shipped = docgen.get_kind("2021").template_path
    template.write_bytes(_swapped(shipped, "{{ title }}", "{{ title|safe }}"))
    compiled = fill.CompiledTemplate(template)
    assert compiled._body.proven  # -- the |safe value is seen at render time --
    prepared = docgen.prepare(EXAMPLES / "county-bureau-2025.json")
    assert prepared.context is not None
    context = dict(prepared.context, title="</w:t></w:r></w:p>甲")

    with zipfile.ZipFile(io.BytesIO(compiled.render(context))) as package:
        body = package.read("word/document.xml")
    etree.fromstring(body)  # -- well-formed: the broken markup went through the parse --
    assert "甲" in visible_texts(compiled.render(dict(prepared.context, title="甲")))


def test_json_lines_with_bom_crlf_and_cjk(tmp_path: Path) -> None:
    county = (EXAMPLES / "county-bureau-2025.json").read_text(encoding="utf-8")
    line = json.dumps(json.loads(county), ensure_ascii=False)
    lines = tmp_path / "报告.jsonl"
    lines.write_bytes(b"\xef\xbb\xbf" + f"{line}\r\n\r\n{{broken\r\n{line}".encode())

    reports = collect_inputs([lines])
    result = render_many(reports, tmp_path / "out", jobs=1)

    assert [o.name for o in result.rendered] == ["报告-1", "报告-4"]
    assert result.failed[0].source == f"{lines}:3"
    title = "泽安县市场监督管理局2025年政府信息公开工作年度报告"
    assert title in visible_texts(tmp_path / "out" / "报告-4.docx")


def test_warm_cache_render_imports_no_heavy_library(tmp_path: Path) -> None:
    """With the template in the cache, a valid report renders without jsonschema, docxtpl,
    python-docx or lxml (each costs the one-off command start-up time)."""
    import subprocess
    import sys

    code = ("import sys; from docgen.cli import main; "
            f"main(['render', {str(EXAMPLES / 'jindong-2019.json')!r}, '-o', "
            f"{str(tmp_path / 'out.docx')!r}]); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'jsonschema', 'docxtpl', 'docx', 'lxml'}))")
    env = {**os.environ, "DOCGEN_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("DOCGEN_CACHE", None)
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env=env, check=True).stdout.splitlines()[-1] for _ in range(2)]
    assert runs[0] != "[]"  # -- the first compiled the template --
    assert runs[1] == "[]"


def test_large_batch_workers_start_fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A large batch's workers come from a fresh process (not a fork of the parent holding
    every input); they write the same documents."""
    from docgen import batch

    monkeypatch.setattr(batch, "LARGE_BATCH", 2)
    county = json.loads((EXAMPLES / "county-bureau-2025.json").read_text(encoding="utf-8"))
    reports = [(f"r{i}", county) for i in range(3)]

    fresh = render_many(reports, tmp_path / "fresh", jobs=2)
    monkeypatch.setattr(batch, "LARGE_BATCH", 10**9)
    assert render_many(reports, tmp_path / "forked", jobs=2).ok

    assert fresh.ok and len(fresh.rendered) == 3
    for name in ("r0", "r1", "r2"):
        assert (tmp_path / "fresh" / f"{name}.docx").read_bytes() == \
            (tmp_path / "forked" / f"{name}.docx").read_bytes()
