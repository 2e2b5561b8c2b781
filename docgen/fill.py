"""Fill Word templates: one sandboxed Jinja environment, compiled templates, exact bytes.

The only module that touches docxtpl and Jinja. A `CompiledTemplate` does docxtpl's
preprocessing (re-joining tags Word split across runs, ``{%p %}``/``{%tr %}`` handling) and
the Jinja compilation once; each render then only fills in values and writes the zip, copying
every part it did not render byte for byte.
"""

from __future__ import annotations

import copy
import io
import re
import threading
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any

import jinja2
from docxtpl import DocxTemplate
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment
from lxml import etree

from docgen import formatting
from docgen.errors import Issue, TemplateProblemError

#: Fixed zip timestamp, so the same input gives the same bytes.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
#: Limits on a template file (a real one is tens of KB with a few dozen entries).
MAX_TEMPLATE_BYTES = 50 * 1024 * 1024
MAX_TEMPLATE_ENTRIES = 2000
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_HEADER_FOOTER = re.compile(r"^word/(header|footer)\d*\.xml$")
_CORE = "docProps/core.xml"
_XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_TAG = re.compile(r"<[^>]+>")
#: docxtpl's escapes for literal braces in a template's text, made Jinja expressions in the
#: template source: never replaced in the rendered output, where they may be a report's text.
_LITERAL_BRACES = {"{_{": "{{ '{{' }}", "}_}": "{{ '}}' }}", "{_%": "{{ '{%' }}",
                   "%_}": "{{ '%}' }}"}
_LITERAL_BRACE = re.compile("|".join(re.escape(k) for k in _LITERAL_BRACES))


def _finalize(value: Any) -> Any:
    # -- None prints as nothing, and a Decimal never as 1E+3 --
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def make_environment() -> SandboxedEnvironment:
    """Return the Jinja environment every docgen template renders in.

    Sandboxed, so a template cannot reach Python internals; strict, so a misspelt field fails
    the render instead of leaving a blank in an official document; autoescaped, so ``&`` and
    ``<`` in data cannot corrupt the document XML (docxtpl does not escape by default).
    """
    env = SandboxedEnvironment(
        undefined=jinja2.StrictUndefined, autoescape=True, finalize=_finalize
    )
    env.filters.update(formatting.FILTERS)
    return env


#: The environment shared by every render (Jinja environments are safe to share).
ENVIRONMENT = make_environment()


@dataclass(frozen=True)
class _Part:
    """One XML part of the template that holds Jinja tags, compiled."""

    name: str
    source: str
    template: jinja2.Template


class CompiledTemplate:
    """A .docx template prepared once and rendered many times.

    >>> # CompiledTemplate(Path("templates/docx/gov-info-annual-2021.docx")).render(context)
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.name
        raw = _read_template(path)
        self._entries = _check_zip(raw, self.name)
        self._raw = raw
        docx_template = DocxTemplate(io.BytesIO(raw))
        try:
            docx_template.init_docx()
        except Exception as exc:  # -- python-docx raises many kinds on a broken package --
            raise _problem(self.name, "TEMPLATE-FILE", f"不是有效的 Word 文档：{exc}") from exc
        self._docx_template = docx_template
        document = docx_template.docx.element
        body = document.body
        self._body_index = list(document).index(body)
        skeleton = copy.deepcopy(document)
        skeleton.remove(skeleton[self._body_index])
        self._skeleton = skeleton
        body_source = docx_template.patch_xml(docx_template.get_xml())
        self._body = self._compile("word/document.xml", body_source)
        self._parts = tuple(self._compile(n, self._part_source(n)) for n in self._entries
                            if _HEADER_FOOTER.match(n))

    def _part_source(self, name: str) -> str:
        with zipfile.ZipFile(io.BytesIO(self._raw)) as archive:
            root = etree.fromstring(archive.read(name), _SAFE_PARSER)
        return str(self._docx_template.patch_xml(etree.tostring(root, encoding="unicode")))

    def _compile(self, name: str, patched: str) -> _Part:
        source = re.sub(r"<w:p([ >])", r"\n<w:p\1", patched)
        source = _LITERAL_BRACE.sub(lambda m: _LITERAL_BRACES[m.group()], source)
        try:
            template = ENVIRONMENT.from_string(source)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateProblemError(self.name, [_located(name, source, exc.lineno, exc)]) \
                from exc
        return _Part(name, source, template)

    def render(self, context: Mapping[str, Any], properties: Mapping[str, str] | None = None
               ) -> bytes:
        """Return the .docx bytes of this template filled with `context`.

        `properties` sets core properties (``title``, ``created`` as an ISO date).
        """
        rendered = {self._body.name: self._render_body(context)}
        for part in self._parts:
            rendered[part.name] = _XML_DECLARATION + self._fill(part, context).encode("utf-8")
        rendered[_CORE] = _core_properties(properties or {})
        return self._write_zip(rendered)

    def _fill(self, part: _Part, context: Mapping[str, Any]) -> str:
        try:
            xml = part.template.render(context)
        except Exception as exc:  # -- the template's own code: 1/0, a bad filter argument --
            raise TemplateProblemError(
                self.name, [_located(part.name, part.source, _template_line(exc), exc)]
            ) from exc
        return re.sub(r"\n<w:p([ >])", r"<w:p\1", xml)

    def _render_body(self, context: Mapping[str, Any]) -> bytes:
        body = self._docx_template.fix_tables(self._fill(self._body, context))
        for index, element in enumerate(body.iter("{*}docPr"), start=1001):
            element.attrib["id"] = str(index)  # -- as docxtpl's fix_docpr_ids --
        document = copy.deepcopy(self._skeleton)
        document.insert(self._body_index, body)
        return bytes(etree.tostring(document, encoding="UTF-8", standalone=True))

    def _write_zip(self, replaced: Mapping[str, bytes]) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(self._raw)) as source, \
                zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            names = list(self._entries)
            if _CORE not in names:
                names.append(_CORE)
            for name in names:
                data = replaced[name] if name in replaced else source.read(name)
                info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                target.writestr(info, data)
        return out.getvalue()

    def undeclared_variables(self) -> set[str]:
        """Return the top-level names the template uses (for maintainers' checks)."""
        from jinja2 import meta

        names: set[str] = set()
        for part in (self._body, *self._parts):
            names |= meta.find_undeclared_variables(ENVIRONMENT.parse(part.source))
        return names


_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)

_cache: dict[tuple[Path, int, int], CompiledTemplate] = {}
_cache_lock = threading.Lock()


def compile_template(path: Path) -> CompiledTemplate:
    """Return the compiled template at `path`, cached per path and modification time."""
    resolved = path.resolve()
    try:
        stat = resolved.stat()
    except FileNotFoundError as exc:
        raise _problem(path.name, "TEMPLATE-FILE", f"找不到模板文件：{path}") from exc
    key = (resolved, stat.st_mtime_ns, stat.st_size)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is None:
        cached = CompiledTemplate(resolved)
        with _cache_lock:
            for old in [k for k in _cache if k[0] == resolved]:
                del _cache[old]
            _cache[key] = cached
    return cached


def render_docx(template: Path, context: Mapping[str, Any],
                properties: Mapping[str, str] | None = None) -> bytes:
    """Return the .docx bytes of `template` filled with `context`."""
    return compile_template(template).render(context, properties)


def render_with_docxtpl(template: Path, context: Mapping[str, Any]) -> bytes:
    """Render as plain docxtpl does (load, render, save), with docgen's environment.

    The reference the compiled renderer is tested against, and the benchmark baseline.
    """
    doc = DocxTemplate(str(template))
    doc.render(dict(context), ENVIRONMENT)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# -- helpers ---------------------------------------------------------------------------------


def _read_template(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_TEMPLATE_BYTES:
            raise _problem(path.name, "TEMPLATE-FILE",
                           f"模板文件过大（{size} 字节，上限 {MAX_TEMPLATE_BYTES} 字节）")
        return path.read_bytes()
    except OSError as exc:
        raise _problem(path.name, "TEMPLATE-FILE", f"无法读取模板文件：{exc}") from exc


def _check_zip(raw: bytes, name: str) -> tuple[str, ...]:
    """Refuse what is not a sound .docx package; return its entry names in order."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile as exc:
        raise _problem(name, "TEMPLATE-FILE", "不是 Word 文档（.docx 应为 zip 格式）") from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_TEMPLATE_ENTRIES:
            raise _problem(name, "TEMPLATE-FILE",
                           f"文档包内文件过多（{len(infos)} 个，上限 {MAX_TEMPLATE_ENTRIES}）")
        total = sum(i.file_size for i in infos)
        packed = sum(i.compress_size for i in infos) or 1
        if total > MAX_UNCOMPRESSED_BYTES or total / packed > MAX_COMPRESSION_RATIO:
            raise _problem(name, "TEMPLATE-FILE", "文档包解压后过大，疑似压缩炸弹，已拒绝")
        names = [i.filename for i in infos]
        for required in ("[Content_Types].xml", "word/document.xml"):
            if required not in names:
                raise _problem(name, "TEMPLATE-FILE",
                               f"文档包缺少 {required}，不是有效的 Word 文档")
        for info in infos:
            try:
                data = archive.read(info)  # -- sizes are bounded above; a lie fails the CRC --
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError,
                    RuntimeError) as exc:
                raise _problem(name, "TEMPLATE-FILE",
                               f"文档包已损坏，无法读取 {info.filename}（{exc}）") from exc
            if info.filename.endswith((".xml", ".rels")) and _declares_doctype(data):
                raise _problem(name, "TEMPLATE-FILE", f"{info.filename} 含有 DOCTYPE/实体声明"
                                                      "（可能是 XXE 攻击），已拒绝")
        return tuple(names)


def _declares_doctype(data: bytes) -> bool:
    """Whether an XML part has a DOCTYPE (where entities are declared), in any encoding."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        info = etree.fromstring(data, parser).getroottree().docinfo
    except etree.XMLSyntaxError:
        return b"<!DOCTYPE" in data or b"<!ENTITY" in data  # -- broken parts fail later --
    return bool(info.doctype) or info.internalDTD is not None


def _core_properties(properties: Mapping[str, str]) -> bytes:
    """Return docProps/core.xml with fixed, data-derived values (no clock, no user name)."""
    from xml.sax.saxutils import escape

    title = escape(properties.get("title", ""))
    stamp = properties.get("created", "2000-01-01")
    stamp = f"{stamp}T00:00:00Z" if len(stamp) == 10 else stamp
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
        'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{title}</dc:title><dc:creator>docgen</dc:creator>"
        "<cp:lastModifiedBy>docgen</cp:lastModifiedBy><cp:revision>1</cp:revision>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
        "</cp:coreProperties>"
    ).encode()


def _problem(template: str, code: str, message: str) -> TemplateProblemError:
    return TemplateProblemError(template, [Issue(code=code, path=template, message=message)])


def _template_line(exc: BaseException) -> int | None:
    """The template source line a render error happened on, from Jinja's rewritten traceback."""
    line = getattr(exc, "lineno", None)
    tb: TracebackType | None = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _located(part: str, source: str, line: int | None, exc: BaseException) -> Issue:
    """An issue for a Jinja error at `line` of a part's source, with the paragraph's text."""
    lines = source.splitlines()
    text = ""
    if line is not None and 0 < line <= len(lines):
        text = _TAG.sub("", lines[line - 1]).strip()
    where = {"word/document.xml": "正文"}.get(part, "页眉/页脚 " + part.removeprefix("word/"))
    paragraph = f" 第{line}段" if line else ""
    code = "TEMPLATE-SECURITY" if isinstance(exc, SecurityError) else (
        "TEMPLATE-SYNTAX" if isinstance(exc, jinja2.TemplateSyntaxError) else "TEMPLATE-FIELD")
    message = str(getattr(exc, "message", None) or exc)
    if not isinstance(exc, (jinja2.TemplateError, SecurityError)):
        code = "TEMPLATE-ERROR"
        message = f"模板中的表达式运算出错（{type(exc).__name__}：{exc}）"
    return Issue(code=code, path=f"{where}{paragraph}", message=message, context=text or None)


def iter_paragraph_texts(source: str) -> Iterator[str]:
    """Yield the visible text of each paragraph line of a compiled part's source."""
    for line in source.splitlines():
        yield _TAG.sub("", line)
