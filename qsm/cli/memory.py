"""`qsm memory ...`: browse, search, fill, back up and curate the dynamic-directory memory.

Every command acts as the principal ``user`` (who may read and write everywhere by default).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from qsm.cli.context import CliContext
from qsm.errors import MemoryStoreError, QsmError

__all__ = ["memory_group"]

_JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")


@contextmanager
def _memory(ctx: click.Context, *, create: bool = False) -> Iterator[Any]:
    from qsm.store import open_memory

    cli_ctx = ctx.find_object(CliContext)
    if cli_ctx is None:
        raise RuntimeError("memory commands run inside the `qsm` command group, which sets up CliContext")
    settings = cli_ctx.settings
    memory = open_memory(settings.memory, settings.data_dir, create=create)
    try:
        yield memory
    finally:
        memory.close()


def _dump(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def _preview(text: str, width: int = 72) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _entry_line(entry: Any) -> str:
    when = entry.created_at.strftime("%Y-%m-%d %H:%M")
    return f"{entry.short_id}  {when}  {entry.writer:<6} {_preview(entry.text)}"


@click.group("memory")
def memory_group() -> None:
    """Browse and fill the dynamic-directory memory."""


@memory_group.command("ls")
@click.argument("path", default="/")
@click.option("--limit", type=click.IntRange(min=1), help="Show at most this many entries.")
@_JSON
@click.pass_context
def ls_command(ctx: click.Context, path: str, limit: int | None, as_json: bool) -> None:
    """List the directories and entries at PATH (a view path lists what the view matches)."""
    with _memory(ctx) as memory:
        listing = memory.ls(path, limit=limit)
        partial = [] if listing.view is not None else memory.partial_ingests(listing.path)
    if as_json:
        _dump(listing.model_dump(mode="json"))
        return
    if listing.view is not None:
        view = listing.view
        click.echo(f"view {view.path}: query={view.query!r} where={view.where} under={view.under}")
    for info in listing.dirs:
        count = "view" if info.view else f"{info.total} entries"
        click.echo(f"{info.name}/".ljust(32) + count)
    for entry in listing.entries:
        click.echo(_entry_line(entry))
    if not listing.dirs and not listing.entries:
        click.echo(f"{listing.path} is empty")
    for doc in partial:
        click.echo(
            f"note: {doc.source} was only partly ingested into {doc.path} ({doc.chunks} chunks stored); "
            f"`qsm memory ingest {doc.source} --under {doc.path}` completes it"
        )


@memory_group.command("tree")
@click.argument("path", default="/")
@click.option("--depth", type=click.IntRange(min=0), help="Show this many levels below PATH.")
@_JSON
@click.pass_context
def tree_command(ctx: click.Context, path: str, depth: int | None, as_json: bool) -> None:
    """Show the directory tree under PATH with entry counts."""
    with _memory(ctx) as memory:
        root = memory.tree(path, depth=depth)
    if as_json:
        _dump(root.model_dump(mode="json"))
        return

    def show(node: Any, indent: str) -> None:
        label = "(view)" if node.view else f"({node.total})"
        click.echo(f"{indent}{node.name}{'' if node.name == '/' else '/'} {label}")
        for child in node.children:
            show(child, indent + "  ")

    show(root, "")


@memory_group.command("search")
@click.argument("query")
@click.option("--under", default="/", show_default=True, help="Search this subtree only.")
@click.option("-k", "k", default=5, show_default=True, type=click.IntRange(1, 1000), help="Number of hits.")
@click.option("--where", help='Facet filter as JSON, e.g. \'{"writer": "WeQ"}\'.')
@_JSON
@click.pass_context
def search_command(
    ctx: click.Context, query: str, under: str, k: int, where: str | None, as_json: bool
) -> None:
    """Find the entries most similar in meaning to QUERY."""
    facets = _parse_json(where, "--where") if where else None
    with _memory(ctx) as memory:
        hits = memory.search(query, under=under, k=k, where=facets)
    if as_json:
        _dump([h.model_dump(mode="json") for h in hits])
        return
    if not hits:
        click.echo("no matches")
    for rank, hit in enumerate(hits, start=1):
        click.echo(f"{rank}. {hit.score:.3f}  {hit.entry.citation()}")
        click.echo(f"   {_preview(hit.entry.text, 100)}")


@memory_group.command("show")
@click.argument("entry_id")
@click.pass_context
def show_command(ctx: click.Context, entry_id: str) -> None:
    """Print one entry with its facets and provenance (JSON)."""
    with _memory(ctx) as memory:
        entry = memory.get(_full_id(memory, entry_id))
    if entry is None:
        raise MemoryStoreError(f"no memory entry {entry_id}", hint="find ids with `qsm memory ls PATH`")
    _dump(entry.model_dump(mode="json"))


@memory_group.command("ingest")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--under", help="Target directory (default: /knowledge/<file name>).")
@click.option(
    "--refine/--no-refine",
    default=True,
    show_default=True,
    help="After the files are stored (searchable at once with approximate vectors), give their chunks "
    "the embedding model's vectors; --no-refine leaves that to `qsm memory refine`.",
)
@_JSON
@click.pass_context
def ingest_command(
    ctx: click.Context, files: tuple[Path, ...], under: str | None, refine: bool, as_json: bool
) -> None:
    """Chunk text, markdown and PDF files into /knowledge (re-ingesting adds nothing)."""
    reports, failures = [], []
    with _memory(ctx, create=True) as memory:
        for file in files:
            bar = _IngestProgressBar()
            try:
                report = memory.ingest(file, under=under, progress=bar)
            except QsmError as err:
                failures.append(f"{file}: {err.message}" + (f" ({err.hint})" if err.hint else ""))
                continue
            finally:
                bar.close()
            reports.append(report)
            if not as_json:
                resumed = " (completed an interrupted ingest)" if report.resumed else ""
                click.echo(
                    f"{file}: {report.added} chunks added, {report.skipped} already present -> "
                    f"{report.under}{resumed}"
                )
        refine_error: MemoryStoreError | None = None
        try:
            # only a fast ingest leaves rough vectors: no other memory takes its lock once more for nothing
            for target in dict.fromkeys(r.under for r in reports) if refine and memory.ingests_fast else ():
                _refine(memory, target, quiet=as_json)
        except MemoryStoreError as err:  # stopped: what was ingested is still reported
            refine_error = err
    if as_json:
        _dump([r.model_dump(mode="json") for r in reports])
    if refine_error is not None and not failures:
        raise refine_error
    if failures:
        stopped = f"\n{refine_error.message} ({refine_error.hint})" if refine_error is not None else ""
        raise MemoryStoreError(
            f"{len(failures)} of {len(files)} files were not ingested:\n  " + "\n  ".join(failures) + stopped,
            hint="the other files were ingested; fix these and run the command again",
        )


@memory_group.command("refine")
@click.argument("path", default="/")
@click.pass_context
def refine_command(ctx: click.Context, path: str) -> None:
    """Give ingested chunks at or below PATH the embedding model's vectors (ingest stores them with a fast
    approximation first); an interrupted refine goes on where it stopped."""
    with _memory(ctx) as memory:
        if not _refine(memory, path, quiet=False):
            click.echo(f"nothing to refine under {path}: every vector there is the model's")


def _refine(memory: Any, under: str, *, quiet: bool) -> int:
    """Refine the rough vectors under ``under`` with a progress bar; how many there were."""
    total = memory.rough_entries(under)
    if not total:
        return 0
    label = f"refining {total} chunks under {under} with the embedding model"
    bar = click.progressbar(length=total, label=label, file=sys.stderr) if sys.stderr.isatty() else None
    done = 0

    def step(progress: Any) -> None:
        nonlocal done
        if bar is not None:
            bar.update(progress.refined - done)
        done = progress.refined

    try:
        if bar is not None:
            bar.__enter__()
        report = memory.refine(under, progress=step)
    except KeyboardInterrupt:
        raise MemoryStoreError(
            f"refining stopped after {done} of {total} chunks under {under}; everything stays searchable",
            hint=f"`qsm memory refine {under}` goes on where it stopped",
        ) from None
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    if not quiet:
        click.echo(f"{under}: {report.refined} chunks refined with the embedding model")
    return total


class _IngestProgressBar:
    """Progress of one document's ingest on stderr: a bar on a terminal; otherwise a line per tenth
    of the document (nothing for a document that fits in one batch)."""

    def __init__(self) -> None:
        self._bar: Any = None
        self._done = 0
        self._printed_tenth = 0
        self._tty = sys.stderr.isatty()

    def __call__(self, step: Any) -> None:
        if self._tty:
            if self._bar is None:
                label = f"{step.file} ({_amount(step.total, step.unit)})"
                self._bar = click.progressbar(length=max(step.total, 1), label=label, file=sys.stderr)
                self._bar.__enter__()
            self._bar.update(step.done - self._done)
        else:
            tenth = step.done * 10 // max(step.total, 1)
            if step.done < step.total and tenth > self._printed_tenth:
                self._printed_tenth = tenth
                click.echo(
                    f"{step.file}: {tenth * 10}% of {_amount(step.total, step.unit)}, {step.chunks} chunks "
                    f"({step.added} new)",
                    err=True,
                )
        self._done = step.done

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


def _amount(total: int, unit: str) -> str:
    if unit == "pages":
        return f"{total} pages"
    return f"{total / 1e6:.1f} MB" if total >= 1e6 else f"{total / 1e3:.0f} KB"


@memory_group.command("stats")
@_JSON
@click.pass_context
def stats_command(ctx: click.Context, as_json: bool) -> None:
    """Where the memory lives, its embedder, and how many entries, directories and views it holds."""
    with _memory(ctx) as memory:
        stats = memory.stats()
    if as_json:
        _dump(stats)
        return
    for name, value in stats.items():
        click.echo(f"{name.replace('_', ' ')}: {value}")
    if stats.get("rough_vectors"):
        click.echo("run `qsm memory refine` to replace the rough vectors (from fast ingest) with the model's")


@memory_group.command("export")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write here instead of stdout.")
@click.pass_context
def export_command(ctx: click.Context, output: Path | None) -> None:
    """Write every entry, view and curation record as JSON Lines (a backup)."""
    with _memory(ctx) as memory:
        if output is None or str(output) == "-":
            memory.export(sys.stdout)
            return
        output.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                count = memory.export(handle)
            os.replace(tmp_name, output)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
    click.echo(f"exported {count} entries to {output}", err=True)


@memory_group.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.pass_context
def import_command(ctx: click.Context, file: Path) -> None:
    """Restore an export made by `qsm memory export` (entries already present are skipped)."""
    try:
        handle = sys.stdin if str(file) == "-" else file.open(encoding="utf-8")
    except OSError as exc:
        raise MemoryStoreError(f"cannot read {file}: {exc.strerror}") from None
    with handle, _memory(ctx, create=True) as memory:
        report = memory.import_(handle)
    click.echo(
        f"imported {report.entries_added} entries ({report.entries_skipped} already present), "
        f"{report.views} views, {report.log_records} log records"
    )


@memory_group.command("log")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1))
@click.option("--path", help="Only steps at or below this path.")
@_JSON
@click.pass_context
def log_command(ctx: click.Context, limit: int, path: str | None, as_json: bool) -> None:
    """Show the curation log (dedupe, summarise, refile, move, delete, import)."""
    with _memory(ctx) as memory:
        records = memory.curation_log(path=path, limit=limit)
    if as_json:
        _dump([r.model_dump(mode="json") for r in records])
        return
    if not records:
        click.echo("the curation log is empty")
    for record in records:
        when = record.at.strftime("%Y-%m-%d %H:%M:%S")
        click.echo(
            f"{record.seq:>4} {when} {record.by:<6} {record.operation:<9} {record.path}  "
            f"in={len(record.inputs)} out={len(record.outputs)}"
        )


@memory_group.command("mv")
@click.argument("entry_id")
@click.argument("new_path")
@click.pass_context
def move_command(ctx: click.Context, entry_id: str, new_path: str) -> None:
    """Move an entry to NEW_PATH (its id changes; the old id still resolves)."""
    with _memory(ctx) as memory:
        entry = memory.move(_full_id(memory, entry_id), new_path)
    click.echo(f"moved to {entry.path} as {entry.id}")


@memory_group.command("dedupe")
@click.argument("path", default="/")
@click.option("--threshold", type=click.FloatRange(0.0, 1.0, min_open=True), help="Cosine similarity.")
@click.pass_context
def dedupe_command(ctx: click.Context, path: str, threshold: float | None) -> None:
    """Fold near-duplicate entries under PATH into one (logged; nothing is lost)."""
    with _memory(ctx) as memory:
        report = memory.dedupe(path, threshold=threshold, as_agent="user")
    click.echo(f"scanned {report.scanned} entries, removed {report.removed} near-duplicates")


@memory_group.command("view")
@click.argument("path")
@click.option("--query", help="Semantic query the view runs.")
@click.option("--where", help="Facet filter as JSON.")
@click.option("--under", default="/", show_default=True, help="Subtree the view looks in.")
@click.option("-k", "k", type=click.IntRange(1, 1000), help="Most entries the view shows.")
@click.pass_context
def view_command(
    ctx: click.Context, path: str, query: str | None, where: str | None, under: str, k: int | None
) -> None:
    """Save a view at PATH (/views/<name>): a directory defined by a query and/or a filter."""
    facets = _parse_json(where, "--where") if where else None
    with _memory(ctx, create=True) as memory:
        view = memory.create_view(path, query=query, where=facets, under=under, k=k)
    click.echo(f"saved view {view.path}; list it with `qsm memory ls {view.path}`")


@memory_group.command("drop-view")
@click.argument("path")
@click.pass_context
def drop_view_command(ctx: click.Context, path: str) -> None:
    """Remove the saved view at PATH (as `qsm memory ls /views` lists it); its entries stay."""
    with _memory(ctx) as memory:
        memory.drop_view(path)
    click.echo(f"removed view {path}")


@memory_group.command("curate")
@click.argument("path", default="/knowledge")
@click.option(
    "--summarise-over", default=8, show_default=True, help="Summarise PATH when it holds more entries."
)
@click.pass_context
def curate_command(ctx: click.Context, path: str, summarise_over: int) -> None:
    """Ref curates PATH: folds near-duplicates, then summarises it with Ref's model (all logged)."""
    from qsm.graph import Runtime
    from qsm.graph.recall import curate

    cli_ctx: CliContext = ctx.obj
    with Runtime(cli_ctx.settings, ledger=None) as runtime:
        report = curate(runtime, path, summarise_over=summarise_over)
    dedupe = report["dedupe"]
    click.echo(
        f"Ref scanned {dedupe['scanned']} entries under {path}, folded {len(dedupe['groups'])} group(s)"
    )
    if "summary" in report:
        click.echo(
            f"summary {report['summary']['id']} at {report['summary']['path']}:\n{report['summary']['text']}"
        )


def _parse_json(text: str, option: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MemoryStoreError(
            f"{option} is not valid JSON: {exc.msg}", hint='e.g. {"writer": "WeQ"}'
        ) from None
    if not isinstance(value, dict):
        raise MemoryStoreError(f"{option} must be a JSON object", hint='e.g. {"writer": "WeQ"}')
    return value


def _full_id(memory: Any, entry_id: str) -> str:
    """Accept the short ids that listings print."""
    return str(memory.expand_id(entry_id))
