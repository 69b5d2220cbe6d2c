"""dagster-dbt internals: `DbtCliResource.cli` with dbt inside the Dagster step's process.

Private uses (dagster-dbt 0.29): the internal modules `asset_utils`, `compat`,
`core.dbt_cli_invocation`, `dagster_dbt_translator`, `dbt_manifest`; the
overridden `_cli_version`, `_initialize_dbt_core_adapter`, `_stream_stdout`;
`_get_unique_target_path` and `_error_messages`; `AssetsDefinition`'s
`node_keys_by_output_name` / `node_check_specs_by_output_name` (whether a step is subsetted).

`WarehouseDbtResource` is dagster-dbt's `DbtCliResource` (same selection
arguments, same `stream()` / `get_error()`, same Dagster events: an Output
and materialization per dbt model, an AssetCheckResult per dbt test), with
the run's fixed costs removed:

- dbt runs in this process (`InProcessDbt`: `dbtRunner` on a worker
  thread) and its events are fed, as the dicts dbt's JSON log
  lines carry, to dagster-dbt's own event conversion. This saves the dbt subprocess (Python
  start and ~3 s of dbt imports), dagster-dbt's `dbt --version` subprocess
  (~3 s) and the dbt adapter it builds in-process only for column metadata,
  which this project does not fetch.
- A `--select` given to `cli()` is the selection dbt runs (`runtime_selection`), as on
  dbt's command line, instead of being added to dagster-dbt's own `fqn:*`.
- When `in_process` is off the dbt subprocess is used as before, still
  without `dbt --version` and the extra adapter.

A Dagster run is one process (`bpo run`, or the run worker `dagster dev`
starts for each run), so dbt's global state does not outlive it; the
DuckDB connection dbt-duckdb keeps open for the process is closed after
every invocation, so publish and the next run can open the warehouse.
A terminated run cannot stop the dbt thread: it is a daemon thread and
ends with the process, like a killed build (the next build cleans up).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, OpExecutionContext, get_dagster_logger
from dagster_dbt import DagsterDbtTranslator, DbtCliResource
from dagster_dbt.asset_utils import extract_runtime_selection_from_args, get_updated_cli_invocation_params_for_context
from dagster_dbt.compat import DBT_PYTHON_VERSION
from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation
from dagster_dbt.dagster_dbt_translator import validate_opt_translator
from dagster_dbt.dbt_manifest import validate_manifest

from compat import check_versions
from compat.dbt_duckdb import run_dbt

check_versions("dagster-dbt", "dbt-core")

DONE = object()


class InProcessDbt:
    """dbt run in this process (`run_dbt`) on a worker thread, its events queued as the dicts
    dbt's JSON log lines carry. What DbtCliInvocation needs of its `process`: the arguments,
    an exit code, wait()."""

    def __init__(self, args: Sequence[str]):
        self.args = ["dbt", *args]
        # what the dbt CLI writes to stdout: info and up (debug goes to dbt.log); errors only with --quiet
        self.levels = {"error"} if {"-q", "--quiet"} & set(args) else {"info", "warn", "error"}
        self.returncode: int | None = None
        self.exception: BaseException | None = None
        self.events: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="dbt", daemon=True)

    def start(self) -> InProcessDbt:
        self._thread.start()
        return self

    def _callback(self, msg) -> None:
        if msg.info.level in self.levels:
            from dbt_common.events.functions import msg_to_dict

            self.events.put(msg_to_dict(msg))

    def _run(self) -> None:
        try:
            result = run_dbt(self.args[1:], callbacks=[self._callback])
            self.exception = result.exception
            # the dbt CLI's exit codes: 0 success, 1 a node failed, 2 dbt itself failed
            self.returncode = 0 if result.success else (2 if result.exception is not None else 1)
        except BaseException as exc:  # noqa: BLE001 - reported through the invocation
            self.exception, self.returncode = exc, 2
        finally:
            self.events.put(DONE)

    def wait(self, timeout: float | None = None) -> int | None:
        self._thread.join(timeout)
        return self.returncode

    def send_signal(self, sig) -> None:  # an interrupted step: dbt ends with the process
        pass


@dataclass
class InProcessDbtInvocation(DbtCliInvocation):
    """A DbtCliInvocation whose events come from dbt running in this process."""

    _finished: bool = field(init=False, default=False)

    def _stream_stdout(self) -> Iterator[str | dict[str, Any]]:
        process: InProcessDbt = self.process  # type: ignore[assignment]
        while not self._finished:
            raw_event = process.events.get()
            if raw_event is DONE:
                self._finished = True
                process.wait()
                if process.exception is not None:
                    self._error_messages.append(f"{type(process.exception).__name__}: {process.exception}")
                return
            if raw_event.get("info", {}).get("level") == "error":
                self._error_messages.append(raw_event["info"]["msg"])
            yield raw_event


def runtime_selection(context, selects: Sequence[str], excludes: Sequence[str],
                      dagster_selection: Sequence[str]) -> list[str]:
    """`--select` given to `cli()` is what dbt runs, as on dbt's command line.

    dagster-dbt 0.29 puts a runtime `--select` beside its own `--select fqn:*` of an unsubsetted
    step, and dbt unions repeated `--select` flags, so every node would run. A step running all
    of its assets gets the runtime selection alone; a subsetted step (some assets picked in the
    UI) already has its own selection, which is not narrowed further, so it is refused.
    """
    if context is not None:
        assets_def = context.assets_def
        subset = (assets_def.keys_by_output_name != assets_def.node_keys_by_output_name
                  or assets_def.check_specs_by_output_name != assets_def.node_check_specs_by_output_name)
        if subset:
            raise ValueError("a runtime --select on a subsetted dbt step")
        if dagster_selection not in ([], ["--select", "fqn:*"]):
            raise ValueError(f"a runtime --select beside the dbt assets' own selection {dagster_selection}")
    return ["--select", " ".join(selects), *(["--exclude", " ".join(excludes)] if excludes else [])]


class WarehouseDbtResource(DbtCliResource):
    """DbtCliResource running dbt in-process (see the module docstring); `in_process=False`:
    the dbt subprocess, as dagster-dbt does it, minus `dbt --version` and the extra adapter."""

    in_process: bool = True

    @cached_property
    def _cli_version(self):
        return DBT_PYTHON_VERSION  # the dbt-core installed here is the dbt that runs

    def _initialize_dbt_core_adapter(self, args: Sequence[str]):
        return None  # only used to fetch column metadata / row counts, which this project does not

    def cli(self, args: Sequence[str], *, raise_on_error: bool = True, manifest=None,
            dagster_dbt_translator: DagsterDbtTranslator | None = None,
            context: OpExecutionContext | AssetExecutionContext | None = None,
            target_path: Path | None = None) -> DbtCliInvocation:
        if not self.in_process:
            return super().cli(args, raise_on_error=raise_on_error, manifest=manifest,
                               dagster_dbt_translator=dagster_dbt_translator, context=context,
                               target_path=target_path)
        # the same arguments DbtCliResource.cli gives the dbt subprocess
        translator = validate_opt_translator(dagster_dbt_translator) or DagsterDbtTranslator()
        manifest = validate_manifest(manifest) if manifest else {}
        cleaned_args, selects, excludes = extract_runtime_selection_from_args(args)
        params = get_updated_cli_invocation_params_for_context(
            context=context, manifest=manifest, dagster_dbt_translator=translator,
            runtime_excludes=() if selects else excludes)  # a runtime --select: runtime_selection below
        selection_args = (runtime_selection(context, selects, excludes, list(params.selection_args)) if selects
                          else params.selection_args)
        target_path = Path(target_path or self._get_unique_target_path(context=context))
        project_dir = Path(params.dbt_project.project_dir if params.dbt_project else self.project_dir)
        if not target_path.is_absolute():
            target_path = project_dir / target_path
        profile_args = [*(["--profile", self.profile] if self.profile else []),
                        *(["--target", self.target] if self.target else [])]
        dbt_args = [
            *self.global_config_flags, *cleaned_args, *profile_args, *selection_args,
            "--project-dir", str(project_dir),
            # the warehouse's own profile when the arguments name one (transform.dbt_build.dbt_build_args)
            *([] if "--profiles-dir" in cleaned_args else ["--profiles-dir", str(self.profiles_dir or project_dir)]),
            "--target-path", str(target_path), "--log-path", str(target_path),
            # stdout: nothing from dbt itself (its info events are re-emitted as dagster-dbt does);
            # the debug log still goes to <target>/dbt.log
            "--log-level", "none", "--log-level-file", "debug", "--no-send-anonymous-usage-stats",
            *(["--indirect-selection", params.indirect_selection] if params.indirect_selection else []),
        ]
        invocation = InProcessDbtInvocation(
            process=InProcessDbt(dbt_args),  # type: ignore[arg-type]
            manifest=params.manifest, dagster_dbt_translator=params.dagster_dbt_translator,
            project_dir=project_dir, target_path=target_path, raise_on_error=raise_on_error,
            context=context, adapter=None, cli_version=self._cli_version, project=params.dbt_project)
        get_dagster_logger().info(f"Running dbt command in-process: `{invocation.dbt_command}`.")
        invocation.process.start()
        return invocation
