"""Where the shipped schemas and templates are, in a source checkout and in an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent

#: The source-checkout folder of each kind of shipped data file.
_SOURCE_FOLDERS = {"schemas": "schemas", "templates": "templates/docx", "html": "templates/html"}


def data_dir(name: str) -> Path:
    """Return the folder of shipped ``schemas``, ``templates`` (Word) or ``html`` templates.

    Inside an installed wheel they sit in ``docgen/_data``; in a source checkout they are the
    top-level ``schemas/``, ``templates/docx/`` and ``templates/html/`` that maintainers edit.
    """
    installed = _PACKAGE / "_data" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / _SOURCE_FOLDERS.get(name, name)
