"""Prove once, per compiled template, that every render of it is well-formed XML.

A part's Jinja source is XML text with Jinja tags in it. Every render is well-formed when

* each ``{{ … }}`` stands in element text or inside a quoted attribute value (autoescaping
  makes its output plain text there: ``& < > " '`` are escaped);
* each ``{% … %}`` stands between tags, and is one of ``if/elif/else/endif``,
  ``for/else/endfor``, ``with/endwith`` or an assigning ``set``;
* the elements open at every tag of an ``if``/``for``/``with`` (its start, each branch, its
  end) are the same: whichever branch runs, however often a loop turns, nothing is left open
  or closed twice;
* the text with the tags taken out is well-formed (one expat parse, at compile time).

What the proof does not cover is checked as values are written (`docgen.engine.environment`'s
finalize): a character XML cannot hold is refused, and a value that is already markup
(``|safe``, a macro's output) makes that one render be parsed as before.
"""

from __future__ import annotations

import re
from typing import Any
from xml.parsers import expat

__all__ = ["proves_well_formed"]

_OPEN_BLOCKS = {"if": "endif", "for": "endfor", "with": "endwith"}
_MIDDLE_BLOCKS = {"elif", "else"}
_NAME = re.compile(r"<(/?)([^\s/>]+)")
_TAG_END = re.compile(r"[\"'>]")


class _Unproven(Exception):
    """The source has a shape the proof does not cover."""


class _Scanner:
    """Follows the XML structure of a part's text, chunk by chunk (Jinja tags in between)."""

    def __init__(self) -> None:
        self.state = "text"  # -- text | tag | " | ' (inside a quoted attribute value) --
        self.tag: list[str] = []
        self.stack: list[str] = []
        self.plain: list[str] = []  # -- the text with every Jinja tag taken out --

    def feed(self, data: str) -> None:
        self.plain.append(data)
        pos = 0
        while pos < len(data):
            if self.state == "text":
                start = data.find("<", pos)
                if start < 0:
                    return
                self.state, self.tag, pos = "tag", [], start
                if data.startswith(("<!", "<?"), start):
                    raise _Unproven("comment, CDATA or processing instruction")
            elif self.state == "tag":
                found = _TAG_END.search(data, pos)
                if found is None:
                    self.tag.append(data[pos:])
                    return
                self.tag.append(data[pos:found.end()])
                pos = found.end()
                if found.group() == ">":
                    self._close_tag("".join(self.tag))
                    self.state = "text"
                else:
                    self.state = found.group()
            else:
                end = data.find(self.state, pos)
                if end < 0:
                    return
                self.tag.append(data[pos:end + 1])
                pos, self.state = end + 1, "tag"

    def _close_tag(self, tag: str) -> None:
        match = _NAME.match(tag)
        if match is None:
            raise _Unproven(f"tag {tag[:40]!r}")
        closing, name = match.groups()
        if closing:
            if not self.stack or self.stack.pop() != name:
                raise _Unproven(f"</{name}> closes nothing open")
        elif not tag.endswith("/>"):
            self.stack.append(name)


def _blocks(source: str, env: Any) -> list[tuple[str, str, str]]:
    """The source as (kind, value, block keyword) pieces: data, variable or block."""
    pieces: list[tuple[str, str, str]] = []
    kind, words = "", list[str]()
    for _, token, value in env.lexer.tokeniter(source, None):
        if token == "data":
            pieces.append(("data", value, ""))
        elif token in ("variable_begin", "block_begin"):
            kind, words = token.split("_")[0], []
        elif token in ("variable_end", "block_end"):
            pieces.append((kind, "", " ".join(words)))
        elif token in ("name", "operator") and kind:
            words.append(value)
        elif token in ("raw_begin", "raw_end", "comment_begin", "comment", "comment_end",
                       "whitespace", "integer", "float", "string"):
            continue
        elif token.startswith("linestatement") or token.startswith("linecomment"):
            raise _Unproven("line statements")
    return pieces


def _prove(source: str, env: Any) -> None:
    scanner = _Scanner()
    open_blocks: list[tuple[str, list[str]]] = []
    for kind, value, words in _blocks(source, env):
        if kind == "data":
            scanner.feed(value)
        elif kind == "variable":
            if scanner.state == "tag":
                raise _Unproven("an expression inside a tag, outside an attribute value")
            if scanner.state == "text":
                scanner.plain.append("x")
        else:
            if scanner.state != "text":
                raise _Unproven("a block tag inside an XML tag")
            keyword = words.split(" ", 1)[0]
            if keyword in _OPEN_BLOCKS:
                open_blocks.append((_OPEN_BLOCKS[keyword], list(scanner.stack)))
            elif keyword in _MIDDLE_BLOCKS or keyword in _OPEN_BLOCKS.values():
                if not open_blocks or open_blocks[-1][1] != scanner.stack:
                    raise _Unproven(f"elements open or close across {{% {keyword} %}}")
                if keyword == open_blocks[-1][0]:
                    open_blocks.pop()
            elif keyword == "set" and "=" in words.split():
                continue
            else:
                raise _Unproven(f"{{% {keyword} %}}")
    if open_blocks or scanner.stack or scanner.state != "text":
        raise _Unproven("unbalanced")
    parser = expat.ParserCreate(namespace_separator=" ")
    try:
        parser.Parse("".join(scanner.plain).encode("utf-8"), True)
    except expat.ExpatError as exc:
        raise _Unproven(str(exc)) from exc


def proves_well_formed(source: str, env: Any) -> bool:
    """Whether every render of the Jinja `source` (compiled in `env`, autoescaped) is
    well-formed XML, given values that hold no character XML cannot hold."""
    try:
        _prove(source, env)
    except _Unproven:
        return False
    return True
