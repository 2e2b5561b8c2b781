"""What in a .docx package reaches outside it: linked files and URLs, fields, OLE objects.

A Word document may *refer* to content instead of holding it: a picture linked to
``http://…`` or ``file:///…``, an attached template, an ``INCLUDEPICTURE``/``INCLUDETEXT``/
``DDE`` field, an embedded or linked OLE object. Opened or converted to PDF, such a document
may fetch URLs or read local files on the machine that renders it. A template comes from
someone else, so docgen finds all of these here — in one place, used by the renderer (which
refuses them unless the caller passes ``allow_external=True``) and by ``docgen template check``
(code ``TEMPLATE-EXTERNAL``, located). Hyperlinks (a reader clicks them; nothing is fetched)
are not external content.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import PurePosixPath
from typing import Any

from lxml import etree

from docgen.errors import Issue, TemplateLocation

__all__ = ["EXTERNAL_CODE", "external_issues", "find_external", "strip_external"]

#: The issue code for external content.
EXTERNAL_CODE = "TEMPLATE-EXTERNAL"

_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
#: Relationship types that only make a clickable link: nothing is fetched.
_HARMLESS = ("/hyperlink",)
#: Field instructions that pull content in from a file, a URL or another program.
_FIELDS = re.compile(r"(?:^|\s)(INCLUDEPICTURE|INCLUDETEXT|INCLUDE|DDEAUTO|DDE|LINK|IMPORT|RD)"
                     r"(?=\s|$)", re.IGNORECASE)
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                          recover=True)
#: How each kind of part is named to a Word user.
_AREAS = (("word/document.xml", "正文"), ("word/header", "页眉"), ("word/footer", "页脚"),
          ("word/settings.xml", "文档设置"), ("word/footnotes.xml", "脚注"),
          ("word/endnotes.xml", "尾注"))


def _area(part: str) -> str:
    return next((name for prefix, name in _AREAS if part.startswith(prefix)), part)


def _source_part(rels: str) -> str:
    # -- word/_rels/document.xml.rels → word/document.xml --
    path = PurePosixPath(rels)
    return str(path.parent.parent / path.name.removesuffix(".rels"))


def find_external(entries: Mapping[str, bytes]) -> Iterator[tuple[str, str]]:
    """Yield (part, what) for each piece of external content in the package `entries`.

    `what` is a Chinese description (the link's target, the field, the object).
    """
    for name, data in entries.items():
        if name.endswith(".rels"):
            yield from _relations(name, data)
        elif name.endswith(".xml") and (b"instr" in data or b"OLEObject" in data
                                        or b"<w:object" in data):
            yield from _fields_and_objects(name, data)
        if name.startswith("word/embeddings/") and name.lower().endswith(".bin"):
            yield name, f"嵌入的 OLE 对象 {name}"


def _root(data: bytes) -> Any:
    """The root element of a part, or None for a part that is not XML (nothing to report)."""
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError:
        return None


def _relations(name: str, data: bytes) -> Iterator[tuple[str, str]]:
    root = _root(data)
    if root is None:
        return
    for rel in root.iter(f"{{{_REL_NS}}}Relationship"):
        kind = rel.get("Type", "")
        target = rel.get("Target", "")
        if kind.endswith("/oleObject"):
            yield _source_part(name), f"OLE 对象（{target}）"
        elif rel.get("TargetMode", "").lower() == "external" and not kind.endswith(_HARMLESS):
            what = kind.rsplit("/", 1)[-1] or "外部链接"
            yield _source_part(name), f"外部链接 {what} → {target}"


def _fields_and_objects(name: str, data: bytes) -> Iterator[tuple[str, str]]:
    root = _root(data)
    if root is None:
        return
    instructions = [e.text or "" for e in root.iter(f"{{{_W}}}instrText")]
    instructions += [e.get(f"{{{_W}}}instr", "") for e in root.iter(f"{{{_W}}}fldSimple")]
    # -- a field's instruction may be split over runs: all of a part's, joined --
    found = _FIELDS.search(" ".join(instructions))
    if found:
        yield name, f"域 {found.group(1).upper()}"
    for element in root.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag.endswith("}OLEObject") or tag == f"{{{_W}}}object":
            yield name, "OLE 对象"
            break


def external_issues(entries: Mapping[str, bytes], template: str) -> list[Issue]:
    """The external content of a package as located ``TEMPLATE-EXTERNAL`` issues."""
    issues: dict[tuple[str, str], Issue] = {}
    for part, what in find_external(entries):
        area = _area(part)
        issues.setdefault((part, what), Issue(
            code=EXTERNAL_CODE, path=area,
            message=(f"模板引用了外部内容：{what}；生成或转换 PDF 时可能访问网络或读取本机"
                     "文件，已拒绝（确需使用请加 --allow-external）"),
            stage="template",
            location=TemplateLocation(part=part, area=area, place=f"{area}（{part}）")))
    return list(issues.values())


def read_entries(raw: bytes, names: Iterable[str] | None = None) -> dict[str, bytes]:
    """The entries of the zip `raw` (those in `names`, or all) as a mapping."""
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        wanted = archive.namelist() if names is None else list(names)
        return {name: archive.read(name) for name in wanted}


def strip_external(docx: bytes) -> bytes:
    """Return `docx` with every external relationship (but hyperlinks) removed.

    Used before LibreOffice converts a document, so that a linked picture or template can
    neither be fetched nor read from the disk even if the document was rendered with
    ``allow_external``. A package with none is returned unchanged (the same bytes).
    """
    entries = read_entries(docx)
    changed: dict[str, bytes] = {}
    for name, data in entries.items():
        if not name.endswith(".rels") or b"xternal" not in data:
            continue
        root = etree.fromstring(data, _PARSER)
        if root is None:
            continue
        removed = False
        for rel in list(root.iter(f"{{{_REL_NS}}}Relationship")):
            if rel.get("TargetMode", "").lower() == "external" and \
                    not rel.get("Type", "").endswith(_HARMLESS):
                parent = rel.getparent()
                if parent is not None:
                    parent.remove(rel)
                    removed = True
        if removed:
            changed[name] = etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                           standalone=True)
    if not changed:
        return docx
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, changed.get(info.filename, source.read(info)))
    return out.getvalue()
