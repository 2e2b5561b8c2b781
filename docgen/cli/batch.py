"""``docgen batch``: many reports, a progress line, a summary of what failed."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from docgen.batch import Outcome, collect_inputs, render_many
from docgen.cli.common import kind_option, print_issues
from docgen.errors import UsageError


class ProgressLine:
    """Show progress on `stream`: a redrawn bar on a terminal, one plain line per report
    otherwise (logs and pipes)."""

    WIDTH = 30

    def __init__(self, stream: TextIO, *, terminal: bool | None = None) -> None:
        self.stream = stream
        self.terminal = stream.isatty() if terminal is None else terminal

    def __call__(self, done: int, total: int, outcome: Outcome) -> None:
        if self.terminal:
            filled = self.WIDTH * done // total
            bar = "#" * filled + " " * (self.WIDTH - filled)
            end = "\n" if done == total else ""
            self.stream.write(f"\r[{bar}] {done}/{total}{end}")
        else:
            state = f"已生成 {'、'.join(map(str, outcome.written))}" if outcome.ok else "失败"
            self.stream.write(f"[{done}/{total}] {outcome.source}：{state}\n")
        self.stream.flush()


def _handed_over(items: list[Any]) -> Iterator[Any]:
    """Yield `items` in order, emptying the list as it goes (a 100,000-line JSON Lines batch
    keeps no second copy of its inputs here)."""
    items.reverse()
    while items:
        yield items.pop()


def cmd_batch(args: Any) -> int:
    """``docgen batch INPUT… -o OUTDIR``: render every report, then summarise; 1 if any failed."""
    reports = collect_inputs(args.inputs)
    if not reports:
        raise UsageError("输入中没有找到数据文件"
                         "（文件夹中应有 .json/.yaml/.yml 文件，或给出 .jsonl 文件）")
    kind = kind_option(args)
    template = None if getattr(args, "schema", None) else getattr(args, "template", None)
    result = render_many(_handed_over(reports), Path(args.output), jobs=args.jobs,
                         pdf=args.pdf, kind=kind, template=template,
                         progress=ProgressLine(sys.stderr))
    failed = result.failed
    for outcome in failed:
        print(f"\n{outcome.source} 未生成：", file=sys.stderr)
        print_issues(outcome.issues, stream=sys.stderr)
    warned = sum(1 for o in result.rendered if o.issues)
    note = f"（其中 {warned} 份有警告，可用 docgen check 查看）" if warned else ""
    print(f"已生成 {len(result.rendered)} 份{note}，失败 {len(failed)} 份；"
          f"输出文件夹：{args.output}")
    return 1 if failed else 0
