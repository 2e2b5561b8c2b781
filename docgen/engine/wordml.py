"""What every reader and writer of a Word package shares: the WordprocessingML namespace, the
limits on a package, and the XML parser that never expands an entity or fetches anything.

Kept apart from `docgen.engine.fill` so that reading a published report (`docgen.readers`) or
checking a template does not load the Word renderer (Jinja, the sandbox, the compiled-template
cache) for a few constants.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lxml import etree

__all__ = ["MAX_COMPRESSION_RATIO", "MAX_TEMPLATE_BYTES", "MAX_TEMPLATE_ENTRIES",
           "MAX_UNCOMPRESSED_BYTES", "W_NS", "safe_parser"]

#: Limits on a .docx file (a real template or report is tens of KB with a few dozen entries).
MAX_TEMPLATE_BYTES = 50 * 1024 * 1024
MAX_TEMPLATE_ENTRIES = 2000
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200

#: The WordprocessingML namespace.
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

_SAFE_PARSER: etree.XMLParser | None = None


def safe_parser() -> etree.XMLParser:
    """Parses a package's XML without expanding entities or fetching anything (no XXE); made
    on first use (lxml is imported then)."""
    global _SAFE_PARSER
    if _SAFE_PARSER is None:
        from lxml import etree

        _SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True,
                                       huge_tree=False)
    return _SAFE_PARSER
