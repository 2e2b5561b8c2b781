"""Render many reports at once: one compiled template per kind, parallel workers, no early stop.

A city or province renders the reports of hundreds of agencies in one run. Every worker
process compiles each template once (`docgen.engine.fill.compile_template` caches it per file
version) and then only fills in values; a report that fails keeps its issues and the others go
on. The inputs are read by `docgen.batch.inputs`; the outcomes kept by `docgen.batch.outcomes`.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import signal
import tempfile
from collections.abc import Generator, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from docgen.batch.inputs import (
    Inputs,
    Job,
    JsonLine,
    Source,
    collect_inputs,
    make_jobs,
    safe_name,
    scan_inputs,
    source_text,
)
from docgen.batch.outcomes import BatchResult, Outcome, Outcomes, Progress
from docgen.engine import limits
from docgen.engine.files import Terminated, is_html
from docgen.errors import DocgenError, Issue, UsageError
from docgen.kinds import FORMAT_VERSIONS, ReportKind, get_kind

__all__ = [
    "BatchResult",
    "Inputs",
    "JsonLine",
    "Outcome",
    "Progress",
    "Source",
    "collect_inputs",
    "render_many",
    "safe_name",
    "scan_inputs",
]


@dataclass(frozen=True)
class _Config:
    """What every worker needs besides the report itself (sent once per worker)."""

    outdir: Path
    pdf: bool
    kind: ReportKind | str | None
    template: Path | None
    allow_external: bool = False
    html: bool = False
    allow_errors: bool = False
    html_template: Path | None = None
    fragment: bool = False


def render_many(reports: Iterable[tuple[str, Source]], outdir: str | Path, *, jobs: int = 0,
                pdf: bool = False, kind: ReportKind | str | None = None,
                template: str | Path | None = None,
                progress: Progress | None = None, html: bool = False,
                allow_external: bool = False, allow_errors: bool = False,
                html_template: str | Path | None = None,
                fragment: bool = False) -> BatchResult:
    """Render every report in `reports` into `outdir`; return each one's outcome.

    `reports` are ``(name, source)`` pairs (a report dict, a JSON/YAML file or a `JsonLine`);
    the output is ``outdir/<name>.docx``, the name made safe and unique (``-2``, ``-3``…).
    `jobs` worker processes (0: one per CPU; 1: this process). A failing report keeps its
    issues and stops nothing. `pdf` adds a PDF, `html` the web page (the kind's HTML template
    or `html_template`; `fragment`: its ``<article>`` only; either implies `html`). `kind` and
    `template` apply to every report; `allow_external` and `allow_errors` as in
    `docgen.render`. A template that does not compile raises `TemplateProblemError`, `pdf`
    without LibreOffice `LibreOfficeMissingError`, `html` without an HTML template
    `UsageError`, before any report. A failed report's older outputs are removed
    (`Outcome.removed`); `foreign` lists other documents in `outdir`. A dying worker fails
    only its report; every output of a report is made before any is written.
    """
    folder = Path(outdir)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"输出位置 {folder} 不是文件夹")
    if pdf:
        from docgen.engine.pdf import require_libreoffice

        require_libreoffice()  # -- say it once, not once per report --
    work, names = make_jobs(reports)
    del reports  # -- the jobs hold what is needed (a caller's list of 100,000 goes now) --
    html = html or html_template is not None or fragment
    config = _Config(folder, pdf, kind, Path(template) if template is not None else None,
                     allow_external, html, allow_errors,
                     Path(html_template) if html_template is not None else None, fragment)
    result = BatchResult()
    if not work:
        return result
    folder.mkdir(parents=True, exist_ok=True)
    workers = min(_cpu_count() if jobs <= 0 else jobs, len(work))
    _warm(config, every_kind=False)
    outcomes = Outcomes(work, folder, (".docx", *((".pdf",) if pdf else ()),
                                       *((".html",) if html else ())))
    try:
        for done, (index, found) in enumerate(_run(config, work, workers), start=1):
            if not found.ok:
                found = replace(found, removed=_remove_stale(folder, found.name))
            found = outcomes.keep(index, _compact(found, work[index].name, folder))
            if progress is not None:
                progress(done, len(work), found)
    finally:
        from docgen.engine.files import sync_folder

        sync_folder(folder)  # -- one sync for every file written (each skipped its fsync) --
    result.outcomes = outcomes
    result.foreign = _foreign(folder, names)
    return result


#: The suffixes of the documents a run writes (a failed report's old ones are removed).
OUTPUT_SUFFIXES = (".docx", ".pdf", ".html")


def _remove_stale(folder: Path, name: str) -> tuple[Path, ...]:
    """Remove the outputs an earlier run wrote for `name`: this run's report failed, so they
    no longer show what its input holds. Return what was removed."""
    removed = []
    for suffix in OUTPUT_SUFFIXES:
        old = folder / f"{name}{suffix}"
        try:
            if old.is_file() and not old.is_symlink():
                old.unlink()
                removed.append(old)
        except OSError:  # -- cannot remove: it stays, and the summary lists it as foreign --
            continue
    return tuple(removed)


def _foreign(folder: Path, names: set[str]) -> list[Path]:
    """The documents in `folder` whose names belong to none of this run's reports."""
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return []
    return [p for p in entries if p.suffix.lower() in OUTPUT_SUFFIXES and p.is_file()
            and p.stem.casefold() not in names and not p.name.startswith(".")]


#: Most reports one worker task carries: fewer tasks cost the parent less, smaller ones keep
#: the workers evenly busy to the end and the progress display moving.
MAX_CHUNK = 16


def _run(config: _Config, work: Sequence[Job], workers: int) -> Iterator[tuple[int, Outcome]]:
    """Yield (index, outcome) for each job as it finishes.

    A worker that dies breaks its pool: the job it was rendering (known from the marker each
    worker keeps while it renders) is tried once more alone, in a fresh single worker, and
    fails if that dies too; every other unfinished job goes on in a fresh pool.
    """
    if workers <= 1:
        for job in work:
            yield job.index, _render_one(config, job)
        return
    pending = list(work)
    with tempfile.TemporaryDirectory(prefix="docgen-batch-") as markers:
        while pending:
            size = max(1, min(MAX_CHUNK, len(pending) // (workers * 8)))
            unfinished = yield from _pool(config, pending, workers, size, Path(markers),
                                          len(work))
            suspects = [job for job in unfinished if (Path(markers) / str(job.index)).exists()]
            for job in suspects:
                (Path(markers) / str(job.index)).unlink(missing_ok=True)
                lost = yield from _pool(config, [job], 1, 1, Path(markers), len(work))
                for dead in lost:
                    yield dead.index, _failed(dead, "BATCH-WORKER",
                                              "工作进程意外退出（可能被终止或内存不足），本报告未生成")
            pending = [job for job in unfinished if job not in suspects]


def _pool(config: _Config, work: Sequence[Job], workers: int, size: int, markers: Path,
          count: int) -> Generator[tuple[int, Outcome], None, list[Job]]:
    """Render `work` in a pool of `workers`; yield outcomes; return the jobs a broken pool
    left unfinished. `count`: the batch's size (a large one's workers start fresh)."""
    chunks = (work[i:i + size] for i in range(0, len(work), size))
    unfinished: list[Job] = []
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_init_worker,
                               initargs=(config, markers),
                               mp_context=_pool_context(config, count))
    try:
        # -- a bounded number of tasks in flight (not one per chunk up front): the parent's
        # memory stays the same for 1,000 reports or 100,000 --
        pending = {pool.submit(_worker, c): c for c in itertools.islice(chunks, workers * 4)}
        broken = False
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                chunk = pending.pop(future)
                try:
                    outcomes = future.result()
                except BrokenProcessPool:
                    unfinished += chunk
                    broken = True
                    continue
                if not broken:
                    for more in itertools.islice(chunks, 1):
                        pending[pool.submit(_worker, more)] = more
                yield from zip((job.index for job in chunk), outcomes, strict=True)
        for rest in chunks:  # -- never handed out: the pool broke first --
            unfinished += rest
    except BaseException:
        _stop(pool)  # -- Ctrl-C, SIGTERM: no worker left running --
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return sorted(unfinished, key=lambda job: job.index)


#: From this many reports on, workers start fresh (forkserver), not as forks of the parent
#: holding every input's job (tens of MB each would copy); below it, a fork starts faster.
LARGE_BATCH = 20_000


def _pool_context(config: _Config, count: int) -> Any:
    """None (fork), or forkserver for a large batch of shipped kinds (a custom `ReportKind`'s
    Python rules may not be importable in a fresh process: it always forks)."""
    import multiprocessing

    if count < LARGE_BATCH or isinstance(config.kind, ReportKind) or \
            "forkserver" not in multiprocessing.get_all_start_methods():
        return None
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["docgen.batch", "docgen.api", "docgen.engine.fill"])
    return context


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop every worker of `pool` now (they remove their temporary files as they go)."""
    processes = dict(getattr(pool, "_processes", None) or {})
    for process in processes.values():
        with contextlib.suppress(OSError, AttributeError, ValueError):
            process.terminate()
    for process in processes.values():
        with contextlib.suppress(OSError, AttributeError, ValueError, AssertionError):
            process.join(5)
            if process.is_alive():
                process.kill()


# -- in each worker --------------------------------------------------------------------------

_WORKER_CONFIG: _Config | None = None
_WORKER_MARKERS: Path | None = None


def _init_worker(config: _Config, markers: Path | None = None) -> None:
    """Keep the configuration and compile the templates (a no-op if inherited by fork); cap
    the memory; leave Ctrl-C to the parent, which stops the workers; SIGTERM unwinds."""
    global _WORKER_CONFIG, _WORKER_MARKERS
    _WORKER_CONFIG = config
    _WORKER_MARKERS = markers
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGTERM", "SIGHUP"):
        signal.signal(getattr(signal, name), _worker_signal)
    _die_with_parent()
    limits.apply_memory_limit()
    _warm(config, every_kind=False)  # -- shipped kinds: compiled (or read from the disk
    # -- cache) on first use, only the ones this worker's reports need --


_IN_JOB = False


def _worker_signal(signum: int, frame: Any) -> None:
    # -- in a job: unwind (temporary files removed), then exit; idle: exit at once, quietly --
    if _IN_JOB:
        raise Terminated(signum)
    os._exit(128 + signum)


def _die_with_parent() -> None:
    # -- Linux: a worker gets SIGTERM when the batch process dies (even by kill -9) --
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # -- PR_SET_PDEATHSIG --


def _worker(chunk: Sequence[Job]) -> list[Outcome]:
    global _IN_JOB
    config = _WORKER_CONFIG
    assert config is not None, "worker not initialised"
    outcomes = []
    _IN_JOB = True
    try:
        for job in chunk:
            marker = None if _WORKER_MARKERS is None else _WORKER_MARKERS / str(job.index)
            if marker is not None:
                marker.touch()
            outcomes.append(_render_one(config, job))
            if marker is not None:
                marker.unlink(missing_ok=True)
    except Terminated as exc:  # -- stopped by the parent: temporary files are gone; exit --
        os._exit(128 + exc.signum)
    finally:
        _IN_JOB = False
    return outcomes


def _warm(config: _Config, *, every_kind: bool) -> None:
    """Compile the templates (and load the schemas) the reports will most likely use.

    A broken custom template raises `TemplateProblemError` here, before any report. Shipped
    kinds are compiled (or read from the disk cache) on first use: only the templates the
    inputs use.
    """
    from docgen.engine.fill import compile_template
    from docgen.engine.html import compile_html
    from docgen.engine.schema import load_schema

    if isinstance(config.kind, ReportKind):
        kinds = [config.kind]
    elif isinstance(config.kind, str):
        kinds = [get_kind(config.kind)]
    else:
        kinds = [get_kind(v) for v in FORMAT_VERSIONS] if every_kind else []
    for found in kinds:
        load_schema(found.schema_path)
        if config.template is None:
            if found.template_path == Path():
                raise UsageError(f"报告类型 {found.name} 没有 Word 模板；batch 为每份报告生成 "
                                 "Word 文档，请用 --template 指定一个 .docx 模板")
            compile_template(found.template_path)
        if config.html and config.html_template is None:
            if found.html_template_path is None:
                raise UsageError(f"报告类型 {found.name} 没有 HTML 模板，无法输出网页；"
                                 "请用 --html-template 指定一个 .html 模板")
            compile_html(found.html_template_path)
    if config.template is not None:
        compile_template(config.template)
    if config.html_template is not None:
        if not is_html(config.html_template):
            raise UsageError(f"--html-template 需要 HTML 模板（.html），而 "
                             f"{config.html_template.name} 不是")
        compile_html(config.html_template)


def _render_one(config: _Config, job: Job) -> Outcome:
    """Check, fill and write one report; every problem goes into the outcome, none escapes."""
    from docgen.api import prepare
    from docgen.engine.files import refuse_overwriting, write_atomic
    from docgen.errors import InvalidReportError, TemplateProblemError

    source = source_text(job.source, job.name)
    target = config.outdir / f"{job.name}.docx"
    try:
        data = job.source.load() if isinstance(job.source, JsonLine) else job.source
        prepared = prepare(data, kind=config.kind)
        inputs = [config.template, config.html_template,
                  job.source if isinstance(job.source, Path) else None]
        refuse_overwriting(target, inputs)
        docx = prepared.render(template=config.template, allow_external=config.allow_external,
                               allow_errors=config.allow_errors)
        pdf = None
        if config.pdf:
            from docgen.engine.pdf import docx_to_pdf

            pdf = docx_to_pdf(docx)  # -- before anything is written: a failure leaves nothing --
        page = prepared.render_html(
            template=config.html_template, fragment=config.fragment,
            allow_errors=config.allow_errors, allow_external=config.allow_external,
        ).encode("utf-8") if config.html else None
        write_atomic(target, docx, durable=False)
        files = [target]
        for suffix, made in ((".pdf", pdf), (".html", page)):
            if made is not None:
                refuse_overwriting(target.with_suffix(suffix), inputs)
                write_atomic(target.with_suffix(suffix), made, durable=False)
                files.append(target.with_suffix(suffix))
        return Outcome(job.name, source, tuple(files), tuple(prepared.issues))
    except (InvalidReportError, TemplateProblemError) as exc:
        return Outcome(job.name, source, (), exc.issues)
    except DocgenError as exc:
        return _failed(job, _code(exc), str(exc), source)
    except MemoryError:
        return _failed(job, "BATCH-MEMORY", f"内存不足（上限 {limits.current().memory_mb} MB，"
                       "memory_mb），本报告未生成", source)
    except Exception as exc:  # -- a bug; keep it to this report and say what it was --
        return _failed(job, "BATCH-INTERNAL", f"内部错误（{type(exc).__name__}: {exc}）", source)


def _compact(outcome: Outcome, name: str, folder: Path) -> Outcome:
    """`outcome` as the parent keeps it: the job's own name string, and output paths made
    from the output folder (a path unpickled from a worker is twice the memory; a 100,000-line
    batch keeps 100,000 outcomes)."""
    written = tuple(folder / path.name if path.parent == folder else path
                    for path in outcome.written)
    return replace(outcome, name=name, written=written)


def _code(exc: DocgenError) -> str:
    """A stable code for an error that carries no issues."""
    name = type(exc).__name__.removesuffix("Error")
    return "BATCH-" + re.sub(r"(?<!^)(?=[A-Z])", "-", name).upper()


def _failed(job: Job, code: str, message: str, source: str | None = None) -> Outcome:
    where = source or source_text(job.source, job.name)
    return Outcome(job.name, where, (), (Issue(code=code, path="", message=message),))


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # -- not on Linux --
        return os.cpu_count() or 1
