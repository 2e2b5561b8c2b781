"""Fill Word templates: compiled templates in the shared sandboxed environment, exact bytes.

The only module that touches docxtpl (the Jinja environment itself is `engine.environment`,
its bounds `engine.sandbox`). A `CompiledTemplate` does docxtpl's
preprocessing (re-joining tags Word split across runs, ``{%p %}``/``{%tr %}`` handling) and
the Jinja compilation once; each render then only fills in values and writes the zip, copying
every part it did not render byte for byte. The compiled result is kept in the user's cache
(`docgen.engine.cache`, `docgen.engine.compiled`): a later process loads it without importing
docxtpl, python-docx or lxml, and a body `docgen.engine.xmlproof` proved well-formed is spliced
into the document without parsing it again.
"""

from __future__ import annotations

import copy
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISREG
from types import CodeType
from typing import TYPE_CHECKING, Any
from xml.parsers import expat

import jinja2
from jinja2 import nodes

from docgen.engine import cache, compiled, limits, sandbox, xmlproof
from docgen.engine.environment import ENVIRONMENT as ENVIRONMENT  # -- re-export --
from docgen.engine.environment import RAW_MARKUP, describe_error, template_line
from docgen.engine.environment import make_environment as make_environment  # -- re-export --
from docgen.engine.files import InputTooLarge, read_bounded
from docgen.engine.memo import Memo, file_version
from docgen.engine.wordml import (
    MAX_COMPRESSION_RATIO,
    MAX_TEMPLATE_BYTES,
    MAX_TEMPLATE_ENTRIES,
    MAX_UNCOMPRESSED_BYTES,
    W_NS,
    safe_parser,
)
from docgen.errors import Issue, TemplateLocation, TemplateProblemError

if TYPE_CHECKING:  # -- docxtpl (python-docx) and lxml load only when a template is compiled --
    pass

#: Fixed zip timestamp, so the same input gives the same bytes.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
#: The parts that hold headers and footers; they are rendered like the body.
HEADER_FOOTER = re.compile(r"^word/(header|footer)\d*\.xml$")
_CORE = "docProps/core.xml"
_XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_TAG = re.compile(r"<[^>]+>")
#: docxtpl's escapes for literal braces in a template's text, made Jinja expressions in the
#: template source: never replaced in the rendered output, where they may be a report's text.
_LITERAL_BRACES = {"{_{": "{{ '{{' }}", "}_}": "{{ '}}' }}", "{_%": "{{ '{%' }}",
                   "%_}": "{{ '%}' }}"}
_LITERAL_BRACE = re.compile("|".join(re.escape(k) for k in _LITERAL_BRACES))


@dataclass(frozen=True)
class _Part:
    """One XML part of the template that holds Jinja tags, compiled."""

    name: str
    source: str
    template: jinja2.Template
    code: CodeType
    #: Every render is well-formed XML (`docgen.engine.xmlproof`): no parse per render.
    proven: bool = False
    #: The line breaks before paragraphs are out of the template's own text (`_join`).
    joined: bool = False


class CompiledTemplate:
    """A .docx template prepared once and rendered many times.

    The preparation (docxtpl's preprocessing, Jinja's compilation, the zip entries compressed
    once, the external content found) is kept in the user's cache (`docgen.engine.cache`),
    so a new process with a template it has compiled before imports neither docxtpl nor lxml.

    >>> # CompiledTemplate(Path("templates/docx/gov-info-annual-2021.docx")).render(context)
    """

    #: External content (linked pictures, INCLUDE/DDE fields, OLE objects): refused when
    #: rendering unless ``allow_external``; listed by ``docgen template check``.
    external: tuple[Issue, ...]
    #: The parts rendered: the body, then the headers and footers the body uses.
    part_names: tuple[str, ...]

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.name
        self._raw = raw = _read_template(path)
        self._docx_template: Any = None
        self._skeleton_element: Any = None
        self._unjoined_templates: dict[str, jinja2.Template] = {}
        key = compiled.cache_key(raw)
        payload = None if key is None else cache.read_entry(key)
        if payload is None or not self._restore(payload):
            self._build()
            stored = None if key is None else compiled.dump(self._state(), self.external)
            if key is not None and stored is not None:
                cache.write_entry(key, stored)
        self.part_names = (self._body.name, *(part.name for part in self._parts))

    def _build(self) -> None:
        from docxtpl import DocxTemplate
        from lxml import etree

        from docgen.engine import package

        raw = self._raw
        self._entries = _check_zip(raw, self.name)
        entries = package.read_entries(raw)
        self.external = tuple(package.external_issues(entries, self.name))
        docx_template = DocxTemplate(io.BytesIO(raw))
        try:
            docx_template.init_docx()
            document = docx_template.docx.element
            body = document.body
        except Exception as exc:  # -- python-docx raises many kinds on a broken package --
            raise _problem(self.name, "TEMPLATE-FILE", f"不是有效的 Word 文档：{exc}") from exc
        if not str(document.tag).endswith(f"{{{W_NS}}}document") or body is None:
            raise _problem(self.name, "TEMPLATE-FILE",
                           "word/document.xml 不是 Word 正文（根元素应为 w:document，且含 w:body）")
        self._docx_template = docx_template
        self._body_index = list(document).index(body)
        self._skeleton_element = skeleton = _skeleton(entries["word/document.xml"],
                                                      self._body_index)
        with limits.budget() as spent:
            body_source = docx_template.patch_xml(docx_template.get_xml())
            self._body = self._compile("word/document.xml", body_source)
            parts = []
            for name in _headers_and_footers(entries, self.name):
                try:
                    spent.check_time()
                except limits.LimitExceeded as exc:
                    raise _problem(self.name, "TEMPLATE-LIMIT", exc.message) from exc
                parts.append(self._compile(name, self._part_source(name, entries[name])))
        self._parts = tuple(parts)
        # -- the document around the body, as bytes, and whether the body may be spliced in
        # as rendered: no image ids to renumber, and tables docxtpl's fix_tables leaves alone --
        marker = etree.Comment("docgen-body")
        skeleton.insert(self._body_index, marker)
        head, tail = etree.tostring(skeleton, encoding="UTF-8", standalone=True).split(
            b"<!--docgen-body-->")
        skeleton.remove(marker)
        self._head, self._tail = bytes(head), bytes(tail)
        self._splice = "docPr" not in body_source and _tables_are_static(docx_template,
                                                                         body_source)
        # -- every part docgen does not render, compressed once, copied into each output --
        rendered = {self._body.name, _CORE, *(part.name for part in self._parts)}
        self._zip = _ZipTemplate.from_raw(raw, self._entries, rendered)

    def _state(self) -> tuple[Any, ...]:
        """What `_restore` takes back: plain values and Jinja's code objects."""
        parts = tuple((p.name, p.source, p.code, p.proven, p.joined)
                      for p in (self._body, *self._parts))
        return (self._entries, parts, self._body_index, self._head, self._tail, self._splice,
                self._zip.names, self._zip.records)

    def _restore(self, payload: bytes) -> bool:
        """Take the prepared state from a cache entry; False when it is not a sound one."""
        loaded = compiled.load(payload)
        if loaded is None:
            return False
        state, external = loaded
        try:
            entries, parts, body_index, head, tail, splice, names, records = state
            made = [_Part(name, source, compiled.from_code(code), code, bool(proven),
                          bool(joined))
                    for name, source, code, proven, joined in parts]
        except Exception:  # -- a damaged entry: compile again and write it anew --
            return False
        self.external = external
        self._entries, self._body_index = tuple(entries), int(body_index)
        self._body, self._parts = made[0], tuple(made[1:])
        self._head, self._tail, self._splice = bytes(head), bytes(tail), bool(splice)
        self._zip = _ZipTemplate(tuple(names), dict(records))
        return True

    @property
    def _docx(self) -> Any:
        """docxtpl's template object, made when first needed (not on a cache hit)."""
        if self._docx_template is None:
            from docxtpl import DocxTemplate

            docx_template = DocxTemplate(io.BytesIO(self._raw))
            docx_template.init_docx()
            self._docx_template = docx_template
        return self._docx_template

    @property
    def _skeleton(self) -> Any:
        """The document element without its body (for the tolerant render path)."""
        if self._skeleton_element is None:
            with zipfile.ZipFile(io.BytesIO(self._raw)) as archive:
                document = archive.read("word/document.xml")
            self._skeleton_element = _skeleton(document, self._body_index)
        return self._skeleton_element

    def _part_source(self, name: str, data: bytes) -> str:
        from lxml import etree

        try:
            root = etree.fromstring(data, safe_parser())
        except etree.XMLSyntaxError as exc:
            raise _problem(self.name, "TEMPLATE-FILE", f"{name} 不是有效的 XML（{exc}）") from exc
        return str(self._docx.patch_xml(etree.tostring(root, encoding="unicode")))

    def _compile(self, name: str, patched: str) -> _Part:
        source = re.sub(r"<w:p([ >])", r"\n<w:p\1", patched)
        source = _LITERAL_BRACE.sub(lambda m: _LITERAL_BRACES[m.group()], source)
        too_deep = sandbox.check_nesting(ENVIRONMENT, source)
        if too_deep is not None:
            line, message = too_deep
            raise TemplateProblemError(
                self.name, [_located(name, source, line, limits.LimitExceeded(message))])
        RAW_MARKUP.seen = False
        try:
            tree = ENVIRONMENT.parse(source)
            joined = _join(tree, source)
            code = ENVIRONMENT.compile(tree)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateProblemError(self.name, [_located(name, source, exc.lineno, exc)]) \
                from exc
        except (RecursionError, MemoryError, SyntaxError, ValueError, OverflowError,
                limits.LimitExceeded) as exc:  # -- what Python's compiler says of a monster --
            problem = exc if isinstance(exc, limits.LimitExceeded) else \
                limits.LimitExceeded(f"模板过于复杂，无法编译（{type(exc).__name__}）")
            raise TemplateProblemError(
                self.name, [_located(name, source, getattr(exc, "lineno", None), problem)]
            ) from exc
        # -- markup folded in at compile time (a constant ``|safe``) is not covered --
        proven = not getattr(RAW_MARKUP, "seen", False) and \
            xmlproof.proves_well_formed(source, ENVIRONMENT)
        return _Part(name, source, compiled.from_code(code), code, proven, joined)

    def render(self, context: Mapping[str, Any], properties: Mapping[str, str] | None = None,
               *, allow_external: bool = False) -> bytes:
        """Return the .docx bytes of this template filled with `context`.

        `properties` sets core properties (``title``, ``created`` as an ISO date). A template
        with external content (`external`) is refused unless `allow_external`. The render runs
        under the current `docgen.engine.limits`.
        """
        if self.external and not allow_external:
            raise TemplateProblemError(self.name, self.external)
        with limits.budget():
            rendered: dict[str, bytes | tuple[bytes, ...]] = {
                self._body.name: self._render_body(context)}
            for part in self._parts:
                rendered[part.name] = _XML_DECLARATION + \
                    self._fill(part, context).encode("utf-8")
        rendered[_CORE] = _core_properties(properties or {})
        return self._zip.write(rendered)

    def _fill(self, part: _Part, context: Mapping[str, Any]) -> str:
        template = part.template
        try:
            xml = sandbox.render_bounded(template, context)
            if part.joined and "\n" in xml and ("\n<w:p " in xml or "\n<w:p>" in xml):
                # -- a paragraph the template's own text did not write (markup in a value):
                # rendered again as every render was before, its line break then taken out;
                # rare, and charged to the same budget --
                template = self._unjoined(part)
                xml = sandbox.render_bounded(template, context)
        except Exception as exc:  # -- the template's own code: 1/0, a bad filter argument --
            raise TemplateProblemError(
                self.name, [_located(part.name, part.source, template_line(exc), exc)]
            ) from exc
        if template is part.template and part.joined:
            return xml
        return xml.replace("\n<w:p ", "<w:p ").replace("\n<w:p>", "<w:p>")

    def _unjoined(self, part: _Part) -> jinja2.Template:
        found = self._unjoined_templates.get(part.name)
        if found is None:
            found = self._unjoined_templates[part.name] = ENVIRONMENT.from_string(part.source)
        return found

    def _render_body(self, context: Mapping[str, Any]) -> bytes | tuple[bytes, ...]:
        """The body part: its bytes, or (on the fast path) the pieces to write one after the
        other (not joined: a copy of the whole part saved)."""
        RAW_MARKUP.seen = False
        xml = self._fill(self._body, context)
        if self._splice:
            data = xml.encode("utf-8")
            # -- proven once for the template, unless this render wrote raw markup --
            if (self._body.proven and not RAW_MARKUP.seen) or _well_formed(data):
                return self._head, data, self._tail
        from lxml import etree

        # -- as docxtpl does: a tolerant parse, the table grid fixed, image ids renumbered --
        body = self._docx.fix_tables(xml)
        for index, element in enumerate(body.iter("{*}docPr"), start=1001):
            element.attrib["id"] = str(index)  # -- as docxtpl's fix_docpr_ids --
        document = copy.deepcopy(self._skeleton)
        document.insert(self._body_index, body)
        return bytes(etree.tostring(document, encoding="UTF-8", standalone=True))


#: The line break docgen puts before every paragraph, so that a template's lines are its
#: paragraphs in messages; no render keeps it.
_BREAK_BEFORE_PARAGRAPH = re.compile("\n(?=<w:p[ >])")
#: Whitespace control (``{%-``, ``-%}``, ``{{-``…): it may take a break away before `_join`.
_WHITESPACE_CONTROL = re.compile(r"[{][%{#]-|-[%}#][}]")
#: Tags under which the template's own text is not written as it is (filtered, captured,
#: unescaped, or from elsewhere): a template with one is not joined.
_NOT_JOINABLE = (nodes.FilterBlock, nodes.AssignBlock, nodes.Macro, nodes.CallBlock,
                 nodes.EvalContextModifier, nodes.Block, nodes.Extends, nodes.Include,
                 nodes.Import, nodes.FromImport)


def _join(tree: nodes.Template, source: str) -> bool:
    """Take the paragraph line breaks out of `tree`'s own text before it is compiled, instead
    of out of every render (two passes over the output, a sixth of a fill); False, leaving
    `tree` as it is, when a tag could make the two differ.

    Every render before took out one line break before each ``<w:p`` of its output. Each
    ``<w:p`` of the template's own text has its break right before it, in the same text, so
    taking those out at compile time gives the same output — unless a tag filters, captures
    or unescapes that text, or whitespace control (``-%}``) takes a break away first (then the
    template is not joined), or the output has a ``<w:p`` of its own (markup in a value;
    `_fill` sees a break before it and renders the part unjoined).
    """
    if _WHITESPACE_CONTROL.search(source) or next(tree.find_all(_NOT_JOINABLE), None):
        return False
    for data in tree.find_all(nodes.TemplateData):
        data.data = _BREAK_BEFORE_PARAGRAPH.sub("", data.data)
    return True


def _skeleton(document_xml: bytes, body_index: int) -> Any:
    """The document element without its body, parsed afresh (deep-copying or detaching a
    large body costs lxml seconds per 10 000 paragraphs; emptying it first costs nothing)."""
    from lxml import etree

    #: As python-docx parses a part (blank text between elements dropped), without entities.
    parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True,
                             huge_tree=False)
    root = etree.fromstring(document_xml, parser)
    body = root[body_index]
    body[:] = []
    root.remove(body)
    return root


def _well_formed(data: bytes) -> bool:
    """Whether `data` is well-formed, namespace-correct XML (expat: no tree is built)."""
    parser = expat.ParserCreate(namespace_separator=" ")
    try:
        parser.Parse(data, True)
    except expat.ExpatError:
        return False
    return True


def _tables_are_static(docx_template: Any, source: str) -> bool:
    """Whether rendering `source` cannot change any table's rows, cells or grid.

    True when no table holds a block tag (``{%tr``/``{%tc``/``{%p``/merges become ``{% %}``),
    a tag in an attribute (``colspan``) or ``safe`` output, and docxtpl's ``fix_tables``
    leaves the template's own tables as they are: then it would leave every render's too.
    """
    from lxml import etree

    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True)
    tree = etree.fromstring(source, parser)
    for table in tree.iter(f"{{{W_NS}}}tbl"):
        text = "".join(table.itertext())
        if "{%" in text or re.search(r"{{[^}]*\bsafe\b", text):
            return False
        for element in table.iter():
            if any("{{" in value or "{%" in value for value in element.attrib.values()):
                return False
    fixed = docx_template.fix_tables(source)
    return bool(etree.tostring(fixed) == etree.tostring(tree))


class _ZipTemplate:
    """Writes a template's zip package again with some parts replaced, fast and the same bytes
    every time: the other parts are compressed once and copied; fixed timestamps and order.

    Byte for byte what `zipfile` writes on Unix (deflate level 6, no data descriptors). No
    zip64: the template limits and the data file limit keep every size far below 4 GiB.
    """

    _DATE, _TIME = (ZIP_EPOCH[0] - 1980) << 9 | ZIP_EPOCH[1] << 5 | ZIP_EPOCH[2], 0

    def __init__(self, names: tuple[str, ...], records: dict[str, tuple[bytes, bytes]]) -> None:
        self.names = names
        self.records = records

    @classmethod
    def from_raw(cls, raw: bytes, names: tuple[str, ...], replaced: set[str]) -> _ZipTemplate:
        """The package `raw` with the parts in `replaced` left to each render."""
        made = cls(names + ((_CORE,) if _CORE not in names else ()), {})
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            for name in made.names:
                if name not in replaced:
                    made.records[name] = made._record(name, archive.read(name))
        return made

    def _record(self, name: str, data: bytes | tuple[bytes, ...]) -> tuple[bytes, bytes]:
        """(local header + compressed data, central directory header with offset 0).

        `data` may come in pieces: compressed as one stream, the same bytes as joined.
        """
        pieces = (data,) if isinstance(data, bytes) else data
        compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
        packed = b"".join([*map(compressor.compress, pieces), compressor.flush()])
        encoded = name.encode("utf-8")
        flags = 0 if name.isascii() else 0x800
        crc = 0
        for piece in pieces:
            crc = zlib.crc32(piece, crc)
        size = sum(map(len, pieces))
        local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, flags, zipfile.ZIP_DEFLATED,
                            self._TIME, self._DATE, crc, len(packed), size, len(encoded), 0)
        central = struct.pack("<4s6H3L5HL", b"PK\x01\x02", 3 << 8 | 20, 20, flags,
                              zipfile.ZIP_DEFLATED, self._TIME, self._DATE, crc, len(packed),
                              size, len(encoded), 0, 0, 0, 0, 0o644 << 16)
        return local + encoded + packed, central + b"\0\0\0\0" + encoded

    def write(self, replaced: Mapping[str, bytes | tuple[bytes, ...]]) -> bytes:
        """Return the package with the parts in `replaced` (all of them must be given; a part
        may come in pieces)."""
        body: list[bytes] = []
        directory: list[bytes] = []
        offset = 0
        for name in self.names:
            local, central = self.records[name] if name in self.records else \
                self._record(name, replaced[name])
            directory.append(central[:42] + struct.pack("<L", offset) + central[46:])
            body.append(local)
            offset += len(local)
        central_bytes = b"".join(directory)
        end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(self.names), len(self.names),
                          len(central_bytes), offset, 0)
        return b"".join(body) + central_bytes + end


#: Compiled templates in this process (docgen.engine.memo: per file version and limits).
_COMPILED: Memo[CompiledTemplate] = Memo(limit=32)


def compile_template(path: Path) -> CompiledTemplate:
    """Return the compiled template at `path`, cached per path and file identity.

    In memory per file version (path, size, modification and change time, inode: a file
    swapped for another keeps none of them all); on disk per content hash. Both also per the
    limits in force: the checks made while compiling depend on them.
    """
    try:
        version = file_version(path)
    except FileNotFoundError as exc:
        raise _problem(path.name, "TEMPLATE-FILE", f"找不到模板文件：{path}") from exc
    return _COMPILED.get((version, limits.current()),
                         lambda: CompiledTemplate(Path(version[0])))


def render_docx(template: Path, context: Mapping[str, Any],
                properties: Mapping[str, str] | None = None, *,
                allow_external: bool = False) -> bytes:
    """Return the .docx bytes of `template` filled with `context` (external content refused
    unless `allow_external`)."""
    return compile_template(template).render(context, properties, allow_external=allow_external)


def render_with_docxtpl(template: Path, context: Mapping[str, Any]) -> bytes:
    """Render as plain docxtpl does (load, render, save), with docgen's environment.

    The reference the compiled renderer is tested against, and the benchmark baseline.
    """
    from docxtpl import DocxTemplate

    doc = DocxTemplate(str(template))
    doc.render(dict(context), ENVIRONMENT)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# -- helpers ---------------------------------------------------------------------------------


def _read_template(path: Path) -> bytes:
    try:
        stat = path.stat()
        if not S_ISREG(stat.st_mode):  # -- a FIFO would block the open --
            raise _problem(path.name, "TEMPLATE-FILE", f"模板不是普通文件：{path}")
        return read_bounded(path, MAX_TEMPLATE_BYTES)  # -- a file that grows stays bounded --
    except InputTooLarge as exc:
        raise _problem(path.name, "TEMPLATE-FILE",
                       f"模板文件过大（{exc.amount('上限')}）") from None
    except OSError as exc:
        raise _problem(path.name, "TEMPLATE-FILE", f"无法读取模板文件：{exc}") from exc


def _headers_and_footers(entries: Mapping[str, bytes], template: str) -> list[str]:
    """The header and footer parts the body refers to, in package order (others are copied
    as they are, never rendered: a template with 1000 unused headers costs nothing)."""
    rels = entries.get("word/_rels/document.xml.rels")
    used: set[str] = set()
    if rels is not None:
        from lxml import etree

        parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True)
        root = etree.fromstring(rels, parser)
        for rel in [] if root is None else root.iter("{*}Relationship"):
            if rel.get("Type", "").endswith(("/header", "/footer")):
                used.add("word/" + rel.get("Target", "").removeprefix("/word/").lstrip("/"))
    names = [n for n in entries if HEADER_FOOTER.match(n) and n in used]
    most = limits.current().parts
    if len(names) > most:
        raise _problem(template, "TEMPLATE-LIMIT",
                       f"模板的页眉页脚过多（{len(names)} 个，上限 {most}，parts）")
    return names


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
        repeated = sorted({n for n in names if names.count(n) > 1}) if \
            len(set(names)) != len(names) else []
        if repeated:
            raise _problem(name, "TEMPLATE-FILE",
                           f"文档包内有重复的部件 {repeated[0]}（可能是被篡改的文件），已拒绝")
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
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        info = etree.fromstring(data, parser).getroottree().docinfo
    except etree.XMLSyntaxError:
        return b"<!DOCTYPE" in data or b"<!ENTITY" in data  # -- broken parts fail later --
    return bool(info.doctype) or info.internalDTD is not None


def _core_properties(properties: Mapping[str, str]) -> bytes:
    """Return docProps/core.xml with fixed, data-derived values (no clock, no user name)."""
    # -- as xml.sax.saxutils.escape, whose import (urllib, http) costs the CLI 12 ms --
    title = properties.get("title", "").replace("&", "&amp;").replace("<", "&lt;") \
        .replace(">", "&gt;")
    created = properties.get("created", "")
    # -- only an ISO date is a W3CDTF date; anything else (a custom kind's free text) is not --
    day = created if re.fullmatch(r"\d{4}-\d{2}-\d{2}", created) else "2000-01-01"
    stamp = f"{day}T00:00:00Z"
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
    location = TemplateLocation(place=template)
    return TemplateProblemError(template, [Issue(code=code, path="", message=message,
                                                 stage="template", location=location)])


def _located(part: str, source: str, line: int | None, exc: BaseException) -> Issue:
    """An issue for a Jinja error at `line` of a part's source, with the paragraph's text."""
    lines = source.splitlines()
    text = ""
    if line is not None and 0 < line <= len(lines):
        text = _TAG.sub("", lines[line - 1]).strip()
    where = {"word/document.xml": "正文"}.get(part, "页眉/页脚 " + part.removeprefix("word/"))
    paragraph = f" 第{line}段" if line else ""
    code, message = describe_error(exc)
    location = TemplateLocation(part, place=f"{where}{paragraph}")
    return Issue(code=code, path="", message=message, context=text or None, stage="template",
                 location=location)
