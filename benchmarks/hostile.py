"""Timing figures for hostile inputs (issue #15): how long docgen takes to refuse or finish.

Not a test (no timing assertions in tests); run ``python benchmarks/hostile.py``. Each line is
the input, the seconds it took, and what docgen said.
"""

from __future__ import annotations

import copy
import json
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # -- run from a clean checkout, docgen not installed --
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # -- the hostile templates of tests/test_untrusted.py --

import docgen  # noqa: E402
from docgen.engine import fill, limits  # noqa: E402


def narrative() -> None:
    county = json.loads((ROOT / "examples" / "county-bureau-2025.json").read_text("utf-8"),
                        parse_float=Decimal)
    for phrase, repeat in (("予以公开999999件，", 40_000), ("上年予以公开999999件，", 40_000),
                           ("上年予以公开999999件，", 400_000),
                           ("上年予以公开999999件，", 700_000)):
        data = copy.deepcopy(county)
        data["overview"]["intro"] = phrase * repeat
        start = time.perf_counter()
        issues = [i for i in docgen.check(data) if i.code == "NARRATIVE"]
        size = len(data["overview"]["intro"].encode()) / 1e6
        print(f"NARRATIVE, {phrase} × {repeat} ({size:4.1f} MB): "
              f"{time.perf_counter() - start:6.2f} s, {len(issues)} warnings")


def templates() -> None:
    from test_hardening import kind_with, template_variant
    from test_untrusted import COSTLY, NESTED

    county = json.loads((ROOT / "examples" / "county-bureau-2025.json").read_text("utf-8"),
                        parse_float=Decimal)
    limits.apply_memory_limit()
    with tempfile.TemporaryDirectory() as work:
        for name, expression in [*((n, e) for n, (e, _) in COSTLY.items()), *NESTED.items()]:
            template = template_variant(Path(work) / "t.docx", title=expression)
            fill._cache.clear()
            start = time.perf_counter()
            try:
                docgen.render(county, kind=kind_with(template))
                said = "rendered"
            except docgen.TemplateProblemError as exc:
                said = f"{exc.issues[0].code}: {exc.issues[0].message[:60]}"
            print(f"{name:24} {time.perf_counter() - start:6.2f} s  {said}")


if __name__ == "__main__":
    narrative()
    templates()
