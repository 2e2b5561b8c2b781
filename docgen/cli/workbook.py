"""``docgen export`` and ``docgen init -o report.xlsx``: report data as an Excel workbook."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from docgen.cli.lang import t
from docgen.cli.safety import visible
from docgen.errors import UsageError


def write_workbook_file(data: Mapping[str, Any], target: Path, *, force: bool,
                        source: Path | None = None) -> int:
    """Write `data` as the workbook of its format version at `target`; print where."""
    from docgen.engine.files import refuse_overwriting, write_atomic
    from docgen.kinds import select_kind
    from docgen.kinds.gov_info_annual.workbook import export_workbook

    if target.suffix.lower() != ".xlsx":
        raise UsageError(t(f"输出文件应以 .xlsx 结尾：{target}",
                           f"the output file must end in .xlsx: {target}"))
    if target.exists() and not force:
        raise UsageError(exists_message(target))
    refuse_overwriting(target, [source])  # -- also through a link, hard or symbolic --
    kind = select_kind(data)
    assert kind.version is not None
    write_atomic(target, export_workbook(data, kind.version))
    print(visible(t(f"已生成：{target}", f"written: {target}")))
    return 0


def exists_message(target: Path) -> str:
    """What to say when `target` exists and --force was not given."""
    return t(f"{target} 已存在；如要覆盖请加 --force",
             f"{target} exists; add --force to overwrite it")


def cmd_export(args: argparse.Namespace) -> int:
    """Write DATA (JSON, YAML or a workbook) as a workbook; --next-year starts next year's."""
    from docgen.api import load
    from docgen.kinds.gov_info_annual.workbook import next_year

    source = Path(args.data)
    data = load(source)
    if args.next_year:
        data = next_year(data)
    return write_workbook_file(data, Path(args.output), force=args.force, source=source)
