"""Render HTML templates: the page a portal publishes, from the same context as the Word file.

Kind-agnostic. An HTML template is compiled once (cached per path and modification time) in
the one docgen Jinja environment (`docgen.engine.environment`: sandboxed, strict, autoescaped)
and renders a whole page; `fragment=True` returns only its ``<article>`` element, for a CMS.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from docgen.engine import limits
from docgen.engine.environment import (
    ENVIRONMENT,
    TemplateSyntaxError,
    describe_error,
    template_line,
)
from docgen.engine.files import InputTooLarge, read_bounded
from docgen.engine.limits import LimitExceeded, budget
from docgen.engine.memo import Memo, file_version
from docgen.engine.sandbox import check_nesting, render_bounded
from docgen.errors import Issue, TemplateProblemError

#: Largest HTML template accepted (a real one is tens of KB).
MAX_HTML_TEMPLATE_BYTES = 2 * 1024 * 1024
_ARTICLE_START = "<article"
_ARTICLE_END = "</article>"


class CompiledHtml:
    """An HTML template compiled once and rendered many times.

    >>> # CompiledHtml(Path("templates/html/gov-info-annual-2021.html")).render(context)
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.name
        self.source = read_html_template(path)
        too_deep = check_nesting(ENVIRONMENT, self.source)
        if too_deep is not None:
            raise TemplateProblemError(self.name, [self._located(
                too_deep[0], LimitExceeded(too_deep[1]))])
        try:
            self._template = ENVIRONMENT.from_string(self.source)
        except TemplateSyntaxError as exc:
            raise TemplateProblemError(self.name, [self._located(exc.lineno, exc)]) from exc
        except (RecursionError, MemoryError, SyntaxError, ValueError, OverflowError,
                LimitExceeded) as exc:  # -- what Python's compiler says of a monster --
            problem = exc if isinstance(exc, LimitExceeded) else \
                LimitExceeded(f"模板过于复杂，无法编译（{type(exc).__name__}）")
            raise TemplateProblemError(
                self.name, [self._located(getattr(exc, "lineno", None), problem)]) from exc

    def render(self, context: Mapping[str, Any], *, fragment: bool = False) -> str:
        """Return the page filled with `context`; with `fragment`, only its ``<article>``."""
        try:
            with budget():  # -- under docgen.engine.limits, as a Word render --
                page = render_bounded(self._template, context)
        except Exception as exc:  # -- the template's own code: 1/0, a bad filter argument --
            raise TemplateProblemError(self.name, [self._located(template_line(exc), exc)]) \
                from exc
        if not fragment:
            return page
        start, end = page.find(_ARTICLE_START), page.rfind(_ARTICLE_END)
        if start < 0 or end < start:
            raise TemplateProblemError(self.name, [Issue(
                code="TEMPLATE-SYNTAX", path=self.name, stage="template",
                message="HTML 模板中没有 <article> … </article>，无法只输出正文片段")])
        return page[start:end + len(_ARTICLE_END)] + "\n"

    def _located(self, line: int | None, exc: BaseException) -> Issue:
        lines = self.source.splitlines()
        text = lines[line - 1].strip() if line is not None and 0 < line <= len(lines) else ""
        code, message = describe_error(exc)
        where = f"第{line}行" if line else self.name
        return Issue(code=code, path=where, message=message, context=text[:80] or None,
                     stage="template")


def read_html_template(path: Path) -> str:
    """Return the text of the HTML template at `path` (UTF-8, a BOM allowed), within limits."""
    try:
        raw = read_bounded(path, MAX_HTML_TEMPLATE_BYTES)  # -- a device stays bounded --
        return raw.decode("utf-8-sig").replace("\r\n", "\n")
    except InputTooLarge as exc:
        raise _problem(path.name, f"模板文件过大（{exc.amount('上限')}）") from None
    except FileNotFoundError as exc:
        raise _problem(path.name, f"找不到模板文件：{path}") from exc
    except UnicodeDecodeError as exc:
        raise _problem(path.name, f"HTML 模板不是 UTF-8 编码的文本（第 {exc.start + 1} 个字节）"
                       "；请以 UTF-8 编码保存") from exc
    except OSError as exc:
        raise _problem(path.name, f"无法读取模板文件：{exc}") from exc


def _problem(template: str, message: str) -> TemplateProblemError:
    return TemplateProblemError(template, [Issue(code="TEMPLATE-FILE", path=template,
                                                 message=message, stage="template")])


#: Compiled HTML templates (docgen.engine.memo: per file version and the limits in force).
_COMPILED: Memo[CompiledHtml] = Memo(limit=32)


def compile_html(path: Path) -> CompiledHtml:
    """Return the compiled HTML template at `path`, cached per file version and limits."""
    try:
        version = file_version(path)
    except OSError as exc:
        raise _problem(path.name, f"找不到模板文件：{path}") from exc
    return _COMPILED.get((version, limits.current()), lambda: CompiledHtml(Path(version[0])))


def render_html(template: Path, context: Mapping[str, Any], *, fragment: bool = False) -> str:
    """Return the HTML page (or with `fragment` only its ``<article>``) of `template`."""
    return compile_html(template).render(context, fragment=fragment)
