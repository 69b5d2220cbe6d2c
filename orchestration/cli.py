"""`bpo`: the command line. Each command calls the same code the Dagster assets call."""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import shutil
import sys
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

if __name__ == "__main__":  # pragma: no cover
    # `python -m orchestration.cli`: the sub-command modules (mapping_cli, metrics_cli) import
    # `orchestration.cli`, so run that one copy of this module, not a second one named __main__
    from orchestration.cli import main as _main

    _main()


class _FastExit:
    """Leave a process that ran the pipeline without the interpreter's teardown (~2 s).

    Tearing down the modules of Dagster, dbt, GX, pandas and polars takes seconds and does
    nothing useful: every warehouse connection is closed and the published copy fsynced by
    then. `bpo` (the app called as a program) arms it with the exit code; at exit, after the
    other exit handlers registered since (this one is registered first, so it runs last), it
    flushes the output and logs and ends the process with that code. An uncaught exception
    or a non-integer exit code disarms it, so those exit as usual.
    """

    code: int | None = None
    ran_pipeline = False

    def arm(self, code) -> None:
        if self.ran_pipeline and (code is None or isinstance(code, int)):
            self.code = code or 0

    def disarm(self) -> None:
        self.code = None

    def __call__(self) -> None:
        if self.code is None:
            return
        import logging
        import weakref

        getattr(weakref.finalize, "_exitfunc", lambda: None)()  # temporary folders and the like
        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001 - a closed stream: nothing to flush
                pass
        os._exit(self.code)


fast_exit = _FastExit()


_excepthook = [sys.__excepthook__]  # the hook in place when `bpo` started


def _disarm_on_uncaught(*exc_info) -> None:
    fast_exit.disarm()
    _excepthook[0](*exc_info)


_registered: list = []


class _App(typer.Typer):
    """The `bpo` program. What a process needs is set up when the app is called, never on import
    (tests and Dagster import this module): the fast exit, and the allocator settings for polars,
    which must be in the environment before polars is loaded (ingestion.settings.ALLOCATOR_ENV)."""

    def __call__(self, *args, **kwargs):
        from ingestion.settings import allocator_environment

        os.environ.update(allocator_environment(dict(os.environ)))
        if fast_exit not in _registered:
            atexit.register(fast_exit)  # registered before anything the run registers, so it runs last
            _excepthook[0], sys.excepthook = sys.excepthook, _disarm_on_uncaught
            _registered.append(fast_exit)
        try:
            return super().__call__(*args, **kwargs)
        except SystemExit as exc:
            fast_exit.arm(exc.code)
            raise


app = _App(help="bpo-warehouse: contact-centre outsourcing data, validated and modelled.",
           no_args_is_help=True, pretty_exceptions_show_locals=False)
console = Console()
err = Console(stderr=True)

# Exit codes (README "Command line"): 0 clean; 1 something failed (a step, or a file that could
# not even be quarantined); 2 refused: settings, contracts, paths or the lock; 3 a file was
# quarantined and --fail-on-quarantine was given.
EXIT_FAILED, EXIT_REFUSED, EXIT_QUARANTINED = 1, 2, 3
_debug = False


@app.callback()
def _options(debug: Annotated[bool, typer.Option("--debug", envvar="BPO_DEBUG",
                                                 help="show the traceback of an error")] = False) -> None:
    """bpo-warehouse: contact-centre outsourcing data, validated and modelled."""
    global _debug
    _debug = debug


def _user_errors() -> tuple[type[Exception], ...]:
    from ingestion.contracts import ContractError
    from ingestion.preflight import ConfigurationError
    from ingestion.warehouse import WarehouseLocked

    return ContractError, ConfigurationError, WarehouseLocked


def friendly_errors(command):
    """One clear line per mistake and a non-zero exit code; the traceback only with --debug."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except Exception as exc:  # noqa: BLE001 - every error ends in one line (or a traceback with --debug)
            if _debug:
                raise
            known = isinstance(exc, _user_errors())
            lines = [line for line in str(exc).strip().splitlines() if line.strip()] or [type(exc).__name__]
            # a contract error lists one problem per line; anything else gets its first line
            for line in lines[:20] if known else lines[:1]:
                err.print(f"[red]error:[/] {line}", highlight=False, soft_wrap=True)
            if not known:
                err.print(f"  ({type(exc).__name__}; run with --debug for the traceback)", highlight=False)
            raise typer.Exit(EXIT_REFUSED if known else EXIT_FAILED) from None

    return wrapper


def _warn_demo_salt() -> None:
    from ingestion.settings import Settings  # not ingestion.pii, which loads polars (0.45 s) for nothing here

    if Settings.from_env().using_demo_salt:  # Settings.pii_salt (BPO_PII_SALT) is the public demo salt
        err.print("[yellow]warning:[/] BPO_PII_SALT is not set: customer identifiers are hashed with the "
                  "built-in demo salt, which is public; set BPO_PII_SALT (a secret) before loading real data",
                  highlight=False, soft_wrap=True)


def _preflight(settings) -> None:
    """Refuse, in one line, a run that cannot work or would publish wrong money (ingestion.preflight)."""
    from ingestion.disputes import load_register
    from ingestion.preflight import (check_landing, check_warehouse_path, load_run_contracts,
                                     require_contracts_for_loaded_vendors)
    from ingestion.warehouse import connect

    s = settings.resolved()
    check_landing(s.landing)
    check_warehouse_path(s.warehouse, s.published_path)
    contracts = load_run_contracts(s.contracts)
    with connect(s.warehouse) as con:  # waits for another writer, then fails naming it
        require_contracts_for_loaded_vendors(con, contracts, s.contracts)
    load_register(s.contracts, set(contracts))  # a bad dispute register refuses the run, like a bad contract

# a str, not a Path: Path("s3://bucket/prefix") would fold the URL's "//" (Settings makes local ones Paths)
LandingOpt = Annotated[str, typer.Option("--landing", envvar="BPO_LANDING",
                                         help="landing zone root: a folder, or s3://bucket/prefix")]
ContractsOpt = Annotated[Path, typer.Option("--contracts", help="contracts folder", envvar="BPO_CONTRACTS")]
WarehouseOpt = Annotated[Path, typer.Option("--warehouse", help="DuckDB warehouse file", envvar="BPO_WAREHOUSE")]
MappingsOpt = Annotated[Path | None, typer.Option("--mappings", envvar="BPO_MAPPINGS",
                                                  help="vendor mappings folder; default: <contracts>/../mappings")]


@app.command()
@friendly_errors
def generate(
    out: Annotated[Path, typer.Option("--out", help="output folder (landing/, contracts/, ground_truth.json)")],
    vendors: Annotated[int, typer.Option("--vendors", min=1, max=3, help="number of outsourcers (plus the in-house team)")] = 3,
    months: Annotated[int, typer.Option("--months", min=1, max=24)] = 3,
    seed: Annotated[int, typer.Option("--seed")] = 42,
    scale: Annotated[int, typer.Option("--scale", min=100, help="total interactions across vendors and months")] = 20000,
    force: Annotated[bool, typer.Option("--force", help="write into a folder that is not empty")] = False,
) -> None:
    """Generate a realistic synthetic data set with a ground-truth manifest of injected defects."""
    from generator import generate as run_generator

    if out.exists() and not out.is_dir():
        err.print(f"[red]error:[/] --out {out} is a file, not a folder")
        raise typer.Exit(EXIT_REFUSED)
    if out.is_dir() and any(out.iterdir()) and not force:
        err.print(f"[red]error:[/] --out {out} is not empty: a second data set would mix with the first; "
                  "choose an empty folder or add --force", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_REFUSED)

    truth = run_generator(out, outsourcers=vendors, months=months, seed=seed, scale=scale)
    console.print(f"[green]generated[/] {sum(truth['counts']['interactions'].values()):,} interactions, "
                  f"{len(truth['defects'])} injected invoice defects → {out}")
    console.print(f"  landing zone: {out / 'landing'}\n  contracts:    {out / 'contracts'}\n"
                  f"  ground truth: {out / 'ground_truth.json'}")


class RunOutcome(tuple):
    """(ok, ingest results, error line) of `_execute`; `.built`: the marts were built and published
    (False when nothing was new: transform/run_inputs.py)."""

    def __new__(cls, ok: bool, results: list, error: str | None, built: bool = False):
        outcome = super().__new__(cls, (ok, results, error))
        outcome.built = built
        return outcome


def _execute(settings, paths: list[str] | None = None, replay: bool = False, verbose: bool = False,
             show_progress: bool = True) -> RunOutcome:
    """Run the pipeline job in-process with the given settings; return (ok, ingest results, error line).

    A failed step is printed as one line: the innermost cause of its error (a dbt compilation
    error, a lock), not Dagster's wrapping of it. dbt's per-node log (dagster-dbt writes it to
    stdout) goes to <warehouse folder>/dbt_logs/pipeline.log unless `verbose` or BPO_LOG_LEVEL
    is INFO/DEBUG; Dagster's warnings (stderr) still show. The steps' progress (files, dbt
    models and tests, publish) is shown instead (orchestration.progress: bars on a terminal,
    plain lines otherwise), unless `show_progress` is False or the node log is shown.
    """
    fast_exit.ran_pipeline = True
    from ingestion.contracts import ContractError
    from orchestration.definitions import PIPELINE_JOB, build_definitions
    from orchestration.instance import bpo_run_tags, fail_abandoned_runs, open_instance
    from orchestration.progress import Reporter, RunProgress, reporting

    defs = build_definitions(settings)
    job = defs.resolve_job_def(PIPELINE_JOB)
    run_config = {
        "ops": {"landed_files": {"config": {"paths": paths or [], "replay": replay}}},
        # Dagster's step-by-step DEBUG events drown the summary; warnings (quarantines) still show.
        "loggers": {"console": {"config": {"log_level": settings.log_level.upper()}}},  # BPO_LOG_LEVEL
    }
    # bound to the real stdout now: _node_log sends what is printed to sys.stdout into the log file
    shown = show_progress and not _shows_node_log(settings, verbose)
    reporter = RunProgress(Console(file=sys.stdout)) if shown else Reporter()
    try:
        # the warehouse's persistent Dagster home: the run shows in the history of `dg dev` (make dagster)
        with open_instance(settings.warehouse) as instance:
            fail_abandoned_runs(instance)
            with _node_log(settings, verbose), reporting(reporter), _live(reporter):
                result = job.execute_in_process(run_config=run_config, instance=instance, raise_on_error=False,
                                                tags=bpo_run_tags())
    except ContractError as exc:
        line = str(exc).strip().splitlines()[0]
        err.print(f"[red]error:[/] {line}", highlight=False, soft_wrap=True)
        return RunOutcome(False, [], line)
    results = []
    for mat in result.asset_materializations_for_node("landed_files"):
        if mat.asset_key.path == ["raw", "load_manifest"]:
            results = mat.metadata["results"].value
    error_line = None
    if not result.success:
        for event in result.all_events:
            if event.is_failure and event.event_specific_data is not None:
                error = getattr(event.event_specific_data, "error", None)
                if error is not None:
                    error_line = f"{event.step_key} failed: {_root_cause(error)}"
                    err.print(f"[red]error:[/] {error_line}", highlight=False, soft_wrap=True)
    built = bool(result.asset_materializations_for_node("published_marts"))
    return RunOutcome(result.success, results, error_line, built)


def _live(reporter):
    return reporter if hasattr(reporter, "__enter__") else contextlib.nullcontext()


def _shows_node_log(settings, verbose: bool) -> bool:
    return verbose or settings.log_level.upper() in ("INFO", "DEBUG")


@contextlib.contextmanager
def _node_log(settings, verbose: bool):
    """stdout (dbt's node log) into the warehouse's dbt_logs/pipeline.log, unless asked to show it."""
    if _shows_node_log(settings, verbose):
        yield
        return
    log = settings.resolved().warehouse.parent / "dbt_logs" / "pipeline.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w", encoding="utf-8") as sink, contextlib.redirect_stdout(sink):
        yield


def _root_cause(error) -> str:
    """First line of the innermost cause of a Dagster SerializableErrorInfo."""
    while getattr(error, "cause", None) is not None:
        error = error.cause
    lines = [line.strip() for line in (error.message or "").splitlines() if line.strip()]
    text = lines[0] if lines else (error.cls_name or "unknown error")
    # dbt's "Compilation Error" headline says nothing by itself: keep the line that follows
    if len(lines) > 1 and text.rstrip(":").endswith("Error"):
        text = f"{text.rstrip(':')}: {lines[1]}"
    return text


_COLOURS = {"loaded": "green", "quarantined": "yellow", "failed": "red", "pending": "cyan", "duplicate": "dim"}


def _print_results(results: list[dict], *, all_files: bool = False, problems_only: bool = False) -> None:
    """The files this run took (loaded, quarantined, failed, left pending), with vendor and feed.

    Files the warehouse already knew (`duplicate`: the same bytes processed before) are only
    counted unless all_files: a long-running landing zone would list thousands of them.
    problems_only: list only files that were not loaded (the demo: its loads are counted).
    """
    # one line per file, never cut at the terminal's width (a table folds paths and reasons)
    for r in results:
        if not all_files and r["status"] == "duplicate" or problems_only and r["status"] == "loaded":
            continue
        where = "/".join(p for p in (r.get("vendor_id"), r.get("feed")) if p) or "?"
        rows = f"  {r['rows']:,} rows" if r["status"] == "loaded" else ""
        note = r.get("reason") or "; ".join(r.get("warnings") or [])
        console.print(f"[{_COLOURS.get(r['status'], 'white')}]{r['status']:<11}[/] {where}/{Path(r['file']).name}"
                      f"{rows}{'  - ' + note if note else ''}", highlight=False, soft_wrap=True)
    console.print(_results_summary(results), highlight=False, soft_wrap=True)


def _results_summary(results: list[dict]) -> str:
    """One line: exactly what was committed, quarantined, failed and left pending."""
    def count(status: str) -> int:
        return sum(r["status"] == status for r in results)

    loaded = [r for r in results if r["status"] == "loaded"]
    parts = [f"committed {len(loaded)} file(s) ({sum(r.get('rows') or 0 for r in loaded):,} rows)",
             f"quarantined {count('quarantined')}", f"failed {count('failed')}",
             f"left pending {count('pending')}"]
    known = count("duplicate")
    tail = f"; {known} file(s) already processed before (see `bpo status`)" if known else ""
    return ", ".join(parts) + tail


def _finish(ok: bool, results: list[dict], fail_on_quarantine: bool = False) -> None:
    """Exit with the code the run earned (README: exit codes)."""
    failed = [r for r in results if r["status"] == "failed"]
    if not ok:
        err.print("[red]the run failed[/] (see the error above); files committed before the failure stay "
                  "loaded and reach the marts at the next successful build", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_FAILED)
    if failed:
        err.print(f"[red]{len(failed)} file(s) failed[/] and could not even be quarantined; they are retried "
                  "at the next run", highlight=False)
        raise typer.Exit(EXIT_FAILED)
    if fail_on_quarantine and any(r["status"] == "quarantined" for r in results):
        raise typer.Exit(EXIT_QUARANTINED)


@app.command()
@friendly_errors
def run(landing: LandingOpt, contracts: ContractsOpt, warehouse: WarehouseOpt,
        quarantine: Annotated[Path | None, typer.Option(help="default: <warehouse folder>/quarantine")] = None,
        quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False, mappings: MappingsOpt = None,
        fail_on_quarantine: Annotated[bool, typer.Option(
            "--fail-on-quarantine", help="exit 3 when a file was quarantined (for cron and CI alerts)")] = False,
        all_files: Annotated[bool, typer.Option(
            "--all-files", help="also list files processed by earlier runs")] = False,
        verbose: Annotated[bool, typer.Option(
            "--verbose", "-v", help="show dbt's per-node log (else in <warehouse folder>/dbt_logs/pipeline.log)")] = False,
        ) -> None:
    """Process every pending landed file once, build the marts, publish them. Exit 0 when clean."""
    from ingestion.settings import Settings

    settings = Settings(landing=landing, contracts=contracts, warehouse=warehouse, quarantine=quarantine,
                        mappings=mappings)
    _warn_demo_salt()
    _preflight(settings)
    from transform.nothing_new import nothing_new

    known = nothing_new(settings)  # checked before the pipeline starts: nothing to load, build or publish
    if known is not None:
        from transform.run_inputs import NOTHING_NEW

        if not quiet:
            _print_results(known, all_files=all_files)
        console.print(NOTHING_NEW, highlight=False)
        console.print(f"warehouse: {settings.warehouse}   published copy for BI: {settings.published_path}",
                      highlight=False, soft_wrap=True)
        _send_alerts(settings, [], True, None)
        return
    outcome = _execute(settings, verbose=verbose, show_progress=not quiet)
    ok, results, error = outcome
    if not quiet:
        _print_results(results, all_files=all_files)
    if ok and not outcome.built:
        from transform.run_inputs import NOTHING_NEW

        console.print(NOTHING_NEW, highlight=False)
    if ok:
        console.print(f"warehouse: {settings.warehouse}   published copy for BI: {settings.published_path}",
                      highlight=False, soft_wrap=True)
    _send_alerts(settings, results, ok, error)
    _finish(ok, results, fail_on_quarantine)


def _send_alerts(settings, results: list[dict], ok: bool, error: str | None) -> None:
    """The alert hook (BPO_ALERT_WEBHOOK / BPO_ALERT_COMMAND): quarantines, failures, missed SLAs.

    An alert that cannot be delivered is a warning: the run's own outcome (and exit code) stands.
    """
    from serving.alerts import AlertDeliveryError, send_run_alerts

    published = settings.resolved().published_path if ok else None
    try:
        send_run_alerts(settings, results, published, run_error=None if ok else (error or "the run failed"))
    except AlertDeliveryError as exc:
        err.print(f"[yellow]warning:[/] alert not delivered: {exc}", highlight=False, soft_wrap=True)


@app.command()
@friendly_errors
def demo(out: Annotated[Path, typer.Option("--out", help="folder for the demo (replaced)")] = Path("demo"),
         scale: Annotated[int, typer.Option("--scale")] = 20000,
         verbose: Annotated[bool, typer.Option("--verbose", "-v", help="show dbt's per-node log")] = False) -> None:
    """Generate a multi-vendor data set, run the whole pipeline, summarise every mart."""
    from ingestion.settings import Settings

    if out.exists():
        shutil.rmtree(out)
    generate(out=out, vendors=3, months=3, seed=42, scale=scale)
    settings = Settings(landing=out / "landing", contracts=out / "contracts",
                        warehouse=out / "warehouse" / "warehouse.duckdb")
    console.print("[bold]running the pipeline[/] (contracts → validate + load → dbt build → publish) ...")
    _preflight(settings)
    ok, results, _ = _execute(settings, verbose=verbose)
    _print_results(results, problems_only=True)
    if not ok:
        raise typer.Exit(EXIT_FAILED)
    from serving.report import defects_found, print_mart_summary

    print_mart_summary(console, settings.resolved().published_path)
    packs = _demo_dispute_packs(settings.resolved().published_path, out / "disputes")
    from serving.report_card import REPORT_FILE, report_folder, write_report

    # the pipeline's report_card asset wrote it after publishing (one place: <warehouse folder>/report/)
    report = report_folder(settings.resolved().published_path) / REPORT_FILE
    if not report.exists():
        report = write_report(settings.resolved().published_path)
    from serving.publish import docs_folder

    console.print(f"\n[bold]report card[/] (open in a browser): {report.resolve()}")
    console.print(f"\n[bold]warehouse[/]: {settings.warehouse.resolve()}\n"
                  f"[bold]published copy for BI[/] (read-only): {settings.resolved().published_path}\n"
                  f"[bold]dbt docs[/] (bpo docs): {docs_folder(settings.resolved().published_path) / 'index.html'}\n"
                  f"[bold]dispute packs[/] (bpo dispute): {(out / 'disputes').resolve()} ({len(packs)} workbook(s))\n"
                  f"[bold]quarantine[/]: {settings.resolved().quarantine_dir}\n"
                  f"[bold]ground truth[/]: {(out / 'ground_truth.json').resolve()}", highlight=False, soft_wrap=True)
    found = defects_found(settings.resolved().published_path, out / "ground_truth.json")
    console.print(f"\n[bold]injected defects found[/]: {found['found']} of {found['injected']} invoice defects the "
                  f"generator injected, each with its amount at risk to the cent"
                  + (f"; {found['wrong_amount']} with another amount" if found["wrong_amount"] else "")
                  + (f"; {found['unexpected']} finding(s) it did not inject" if found["unexpected"] else ""),
                  highlight=False, soft_wrap=True)


def _demo_dispute_packs(published: Path, folder: Path) -> list[Path]:
    """One every-vendor dispute workbook per month with invoice findings (what `bpo dispute --month` writes)."""
    import duckdb

    from serving.dispute import DisputeError, build_all_vendors_pack

    with duckdb.connect(str(published), read_only=True) as con:
        months = [m for (m,) in con.execute("select distinct strftime(period_month, '%Y-%m') from "
                                            "marts.unforeseen_costs order by 1").fetchall()]
    written = []
    for month in months:
        try:
            written.append(build_all_vendors_pack(published, month, folder)[0].xlsx)
        except DisputeError as exc:  # a month of findings without an invoice to dispute: nothing to write
            err.print(f"[yellow]no dispute pack for {month}:[/] {exc}", highlight=False, soft_wrap=True)
    return written


@app.command()
@friendly_errors
def replay(file: Annotated[str, typer.Argument(
               help="the landed file (or s3:// object), or its quarantined copy, to process again")],
           landing: LandingOpt, contracts: ContractsOpt, warehouse: WarehouseOpt,
           mappings: MappingsOpt = None) -> None:
    """Process a quarantined file again, e.g. after its contract (or mapping) was corrected."""
    from ingestion.batch import landed_file
    from ingestion.settings import Settings

    settings = Settings(landing=landing, contracts=contracts, warehouse=warehouse, mappings=mappings)
    _warn_demo_salt()
    try:
        target = landed_file(settings.resolved(), file)
    except ValueError as exc:
        err.print(f"[red]cannot replay[/]: {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_REFUSED) from None
    _preflight(settings)
    _require_quarantined(settings.resolved(), target)
    ok, results, _ = _execute(settings, paths=[target.source], replay=True)
    _print_results(results, all_files=True)
    if ok and any(r["status"] == "loaded" for r in results):
        _clear_quarantined_copy(settings.resolved(), target)
    _finish(ok, results)


def _require_quarantined(settings, target) -> None:
    """Only a quarantined file is replayed: anything else would rebuild for nothing."""
    from ingestion.loader import already_processed
    from ingestion.warehouse import connect

    with connect(settings.warehouse) as con:
        seen = already_processed(con, target.sha256)
    if seen is None:
        err.print(f"[red]cannot replay[/]: {target.source} has not been processed yet; `bpo run` (or the sensor) "
                  "will take it", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_REFUSED)
    if seen["status"] != "quarantined":
        err.print(f"[red]cannot replay[/]: {target.source} is not quarantined: its bytes were {seen['status']} "
                  f"from {seen['file_path']}; nothing to do", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_REFUSED)


def _clear_quarantined_copy(settings, target) -> None:
    """After a successful replay, the quarantined copy and its reason no longer describe anything."""
    copy_dir = settings.quarantine_dir / Path(*target.parts[:-1])
    landed = None
    for copy in (copy_dir / target.name, *copy_dir.glob(f"*_{target.name}")):
        reason = copy.with_name(f"{copy.name}.reason.txt")
        if copy.is_file() and landed is None:
            landed = target.local_path.read_bytes()  # an s3:// object: the local copy that was hashed
        if copy.is_file() and copy.read_bytes() == landed:
            copy.unlink()
            reason.unlink(missing_ok=True)
            console.print(f"removed the quarantined copy {copy}", highlight=False)


@app.command()
@friendly_errors
def status(warehouse: WarehouseOpt,
           landing: Annotated[str | None, typer.Option("--landing", envvar="BPO_LANDING",
                                                       help="also list landed files not processed yet "
                                                            "(a folder or s3://bucket/prefix)")] = None,
           as_json: Annotated[bool, typer.Option("--json", help="one JSON object per file")] = False) -> None:
    """List loaded, quarantined, duplicate and pending files, each with its reason."""
    import json

    from ingestion.batch import file_statuses
    from ingestion.preflight import check_folder, check_landing, check_warehouse_path
    from ingestion.settings import Settings
    from ingestion.storage import is_remote

    check_warehouse_path(warehouse, Settings(warehouse=warehouse).published_path)
    zone = None if landing is None else Settings(landing=landing).landing
    if is_remote(zone):
        check_landing(zone)  # the bucket exists and lets us list it, or one line saying why not
    elif zone is not None:
        check_folder(zone, "landing folder", "--landing / BPO_LANDING")
    entries = file_statuses(warehouse, zone)
    if as_json:
        for e in entries:
            print(json.dumps(e, default=str))
        return
    table = Table(title=f"Files in {warehouse}")
    for col in ("processed", "vendor", "feed", "file", "status", "rows", "reason"):
        table.add_column(col)
    for e in entries:
        when = f"{e['processed_at']:%Y-%m-%d %H:%M}" if e["processed_at"] else ""
        table.add_row(when, e["vendor_id"] or "", e["feed"] or "", e["name"],
                      f"[{_COLOURS.get(e['status'], 'white')}]{e['status']}[/]",
                      "" if e["rows"] is None else str(e["rows"]), e["reason"] or "")
    console.print(table)
    # a failed file is not recorded (it is retried): status shows it as pending
    counts = {s: sum(e["status"] == s for e in entries) for s in ("loaded", "quarantined", "duplicate", "pending")}
    console.print(", ".join(f"{n} {s}" for s, n in counts.items()))


from orchestration.mapping_cli import mapping_app  # noqa: E402  (bpo mapping check)

app.add_typer(mapping_app, name="mapping")

from orchestration.metrics_cli import metrics_app  # noqa: E402  (bpo metrics list / dimensions / query)

app.add_typer(metrics_app, name="metrics")


@app.command()
@friendly_errors
def dispute(
    month: Annotated[str, typer.Option("--month", help="invoice period month, YYYY-MM")],
    vendor: Annotated[str | None, typer.Option(
        "--vendor", help="vendor_id, as in its contract; without it, one workbook for every vendor")] = None,
    warehouse: Annotated[Path | None, typer.Option(
        "--warehouse", envvar="BPO_WAREHOUSE",
        help="DuckDB warehouse file; its published copy beside it is read when present")] = None,
    out: Annotated[Path, typer.Option("--out", help="folder for the workbook and CSVs")] = Path("."),
    use_warehouse: Annotated[bool, typer.Option(
        "--use-warehouse", help="read the warehouse itself, not its published copy")] = False,
) -> None:
    """Write a dispute pack (Excel + CSV) of invoice findings for one month: one vendor, or every vendor."""
    from ingestion.settings import Settings
    from serving.dispute import DisputeError, build_all_vendors_pack, build_dispute_pack, choose_source

    settings = Settings(**({"warehouse": warehouse} if warehouse is not None else {}))
    try:
        source = choose_source(settings.warehouse, settings.published_path, use_warehouse=use_warehouse)
        packs = [build_dispute_pack(source, vendor, month, out)] if vendor else build_all_vendors_pack(source, month, out)
    except DisputeError as exc:
        err.print(f"[red]no dispute pack:[/] {exc}")
        raise typer.Exit(1) from None
    console.print(f"[green]dispute pack[/] {packs[0].xlsx}  (from {source})")
    for pack in packs:
        console.print(f"  {pack.vendor_id}: {len(pack.findings)} findings")
        for cur, total in sorted(pack.totals.items()):
            console.print(f"    amount at risk: {total.quantize(Decimal('0.01'))} {cur}")
        if pack.total_reporting is not None and pack.reporting_currency:
            console.print(f"    in {pack.reporting_currency}: {pack.total_reporting.quantize(Decimal('0.01'))}")
        elif pack.fx_rate_missing:
            err.print("[yellow]fx_rate_missing:[/] some findings have no FX rate; reporting-currency totals left blank")
        for path in pack.csv_files:
            console.print(f"    csv: {path}")


@app.command()
@friendly_errors
def report(
    month: Annotated[str | None, typer.Option("--month", help="YYYY-MM; default the latest month")] = None,
    vendor: Annotated[str | None, typer.Option("--vendor", help="only this vendor_id")] = None,
    warehouse: Annotated[Path | None, typer.Option(
        "--warehouse", envvar="BPO_WAREHOUSE", help="DuckDB warehouse file; its published copy is read")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="folder for the HTML file; default <published folder>/report, where each run refreshes index.html")] = None,
) -> None:
    """Write the vendor report card: one offline HTML file from the published copy (index.html for the latest month
    and every vendor, else report_card_<month>[_<vendor>].html)."""
    from ingestion.settings import Settings
    from serving.report_card import ReportError, write_report

    settings = Settings(**({"warehouse": warehouse} if warehouse is not None else {}))
    try:
        path = write_report(settings.published_path, out, month, vendor)
    except ReportError as exc:
        err.print(f"[red]no report:[/] {exc}")
        raise typer.Exit(1) from None
    console.print(f"[green]report card[/] {path.resolve()}")


@app.command()
@friendly_errors
def build(
    warehouse: WarehouseOpt = Path("warehouse/warehouse.duckdb"),  # the settings default
    engine: Annotated[str, typer.Option("--engine", help="duckdb (the warehouse itself) or spark")] = "duckdb",
    out: Annotated[Path | None, typer.Option(
        "--out", help="spark: folder for the marts as Parquet, one folder per mart "
                      "(default: spark_marts/ beside the warehouse)")] = None,
    raw_parquet: Annotated[Path | None, typer.Option(
        "--raw-parquet", help="spark: an existing raw Parquet export (publish's raw_parquet/); "
                              "default: export the warehouse's raw layer now")] = None,
) -> None:
    """Build the marts from the raw layer: in the warehouse (DuckDB), or on Apache Spark as Parquet."""
    from ingestion.settings import Settings

    reporting_currency = Settings.from_env().reporting_currency
    if engine == "duckdb":
        from transform.dbt_build import build_marts

        build_marts(warehouse, reporting_currency=reporting_currency)
        console.print(f"[green]marts built[/] in {warehouse.resolve()}", highlight=False)
        return
    if engine != "spark":
        raise typer.BadParameter(f"--engine: expected duckdb or spark, got {engine!r}")
    if raw_parquet is None and not warehouse.exists():
        raise FileNotFoundError(f"warehouse not found: {warehouse}")
    from transform.spark_build import build_marts_spark

    out = out or warehouse.resolve().parent / "spark_marts"
    marts = build_marts_spark(warehouse, out, raw_parquet=raw_parquet, reporting_currency=reporting_currency)
    console.print(f"[green]{len(marts)} marts built on Spark[/] as Parquet in {out.resolve()}", highlight=False)


@app.command()
@friendly_errors
def docs(
    warehouse: Annotated[Path | None, typer.Option(
        "--warehouse", envvar="BPO_WAREHOUSE", help="DuckDB warehouse file; its docs are beside it")] = None,
    open_page: Annotated[bool, typer.Option("--open", help="open the page in the default browser")] = False,
) -> None:
    """Print where the dbt docs of the published marts are (written at each publish; works offline)."""
    from ingestion.settings import Settings
    from serving.publish import docs_folder

    settings = Settings(**({"warehouse": warehouse} if warehouse is not None else {}))
    page = docs_folder(settings.published_path) / "index.html"
    if not page.exists():
        err.print(f"[red]no docs yet:[/] {page} is written when the marts are published (bpo run)",
                  highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    console.print(page.as_uri() if open_page else str(page), highlight=False, soft_wrap=True)
    if open_page:
        import webbrowser

        webbrowser.open(page.as_uri())


def main() -> None:  # pragma: no cover
    sys.exit(app())
