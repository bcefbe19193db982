"""Run a sweep end to end: resume from checkpoints, compute what is missing, gather, write, plot.

Order of work, chosen so that bad input writes nothing and a crash loses nothing finished:

1. the config and every task were validated by the loader (bad spec: ConfigError, exit 2);
2. the run folder is scanned (read only) for checkpoints of this sweep's task keys;
3. if tasks are missing, the backend is opened (local cluster started, or scheduler connected;
   a bad address is a ConfigError and still nothing is written);
4. the run folder is created and locked, the manifest written, and each task's result
   checkpointed as it arrives (a failure is recorded and reported, the others go on);
5. all checkpoints of the sweep are read back and gathered (so a resumed sweep and an
   uninterrupted one build their dataset from the same bytes and are identical), the results
   file is written atomically with the config embedded, then the figure.

The run folder is kept after the sweep: ``spinbath status`` reads it, and re-running the same
command after a change to the ``[sweep]`` section reuses every task whose config is unchanged.
Delete it to free the space once the results file is all you need.
"""

from __future__ import annotations

import contextlib
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import xarray as xr

from .execute import Backend, Executor, Job
from .gather import gather
from .rundir import RunDir, run_dir_for
from .spec import Sweep, Task
from .tasks import CheckpointError, canonical_config, read_checkpoint, write_checkpoint

__all__ = ["SweepResult", "run_sweep"]


@dataclass
class SweepResult:
    """What a sweep did.

    results, figure: paths written (None if not). dataset: the gathered Dataset (None if no task
    finished). tasks: number of tasks; computed: tasks computed by this run (distinct configs);
    reused: distinct configs found checkpointed; failures: [(task, error line)] of failed tasks;
    seconds: wall time of this run.
    """

    results: Path | None
    figure: Path | None
    dataset: xr.Dataset | None
    run_dir: Path
    tasks: int
    computed: int
    reused: int
    failures: list[tuple[Task, str]] = field(default_factory=list)
    seconds: float = 0.0


def _progress(total: int, done: int, quiet: bool):
    """A rich progress bar on stderr (done/total, elapsed, ETA); a stub when quiet or neither a terminal
    nor a Jupyter notebook (:func:`spinbath.progress.bars_visible`)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from ..progress import bars_visible, progress_console

    console = progress_console()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("ETA"), TimeRemainingColumn())
    progress = Progress(*columns, console=console, transient=True, disable=not bars_visible(console, quiet))
    task = progress.add_task("sweep", total=total, completed=done)
    return progress, task, console


def _report_failure(console, task: Task, error: str) -> None:
    # Printed even with --quiet: a failure is not progress chatter.
    console.print(f"task {task.index} failed ({task.describe()}): {error}", markup=False, highlight=False)


def run_sweep(sweep: Sweep, config_text: str, out: str | Path, *, backend: Backend,
              figure: str | Path | None = None, quiet: bool = False) -> SweepResult:
    """Run ``sweep`` into the results file ``out`` (run folder beside it), resuming from checkpoints.

    ``config_text`` is embedded in the results file. ``figure``: path of the sweep figure, or None.
    Failed tasks are reported on stderr and returned; their entries are NaN in the dataset.
    """
    from ..io import write_results
    from .plot import plot_sweep

    t_start = time.perf_counter()
    out = Path(out)
    rd = RunDir(run_dir_for(out))
    first_task = {}
    for t in sweep.tasks:
        first_task.setdefault(t.key, t)
    keys = sweep.unique_keys
    missing = [k for k in keys if k not in rd.done_keys()]
    module = sweep.study.run.__module__
    executor = Executor(backend, len(missing), module) if missing else contextlib.nullcontext()
    failures: dict[str, str] = {}
    computed = 0
    with executor, rd.locked():
        done = rd.done_keys()
        missing = [k for k in keys if k not in done]
        rd.write_manifest(sweep, out, "running", backend.describe())
        rd.log("start", tasks=len(sweep.tasks), distinct=len(keys), reused=len(keys) - len(missing),
               backend=backend.describe())
        progress, bar, err_console = _progress(len(keys), len(keys) - len(missing), quiet)
        with progress:
            if missing:
                jobs = [Job(k, sweep.study, first_task[k].config) for k in missing]
                for outcome in executor.run(jobs):
                    task = first_task[outcome.key]
                    if outcome.ok:
                        write_checkpoint(rd.checkpoint(outcome.key), outcome.dataset, {
                            "key": outcome.key, "config": canonical_config(task.config),
                            "study": sweep.study.name, "seconds": outcome.seconds,
                            "spinbath_version": _version()})
                        rd.clear_failure(outcome.key)
                        rd.log("done", key=outcome.key, index=task.index, seconds=round(outcome.seconds, 6))
                        computed += 1
                    else:
                        failures[outcome.key] = outcome.error
                        rd.record_failure(outcome.key, task.params, outcome.error, outcome.traceback)
                        rd.log("failed", key=outcome.key, index=task.index, error=outcome.error)
                        _report_failure(err_console, task, outcome.error)
                    progress.update(bar, advance=1, description=f"sweep ({len(failures)} failed)" if failures else "sweep")
        executor.__exit__(None, None, None)  # free the workers before gathering (closing twice is harmless)
        datasets = {}
        for k in keys:
            if k in failures:
                continue
            try:
                datasets[k], _ = read_checkpoint(rd.checkpoint(k), expect_config=canonical_config(first_task[k].config))
            except CheckpointError as err:
                # Cannot happen through a crash (writes are atomic); disk damage or a manual edit.
                rd.checkpoint(k).unlink(missing_ok=True)
                failures[k] = f"{err}; removed, re-run to recompute it"
                _report_failure(err_console, first_task[k], failures[k])
        failed_tasks = [(t, failures[t.key]) for t in sweep.tasks if t.key in failures]
        ds = results = fig = None
        if datasets:
            ds = gather(sweep, datasets, failures)
            results = write_results(ds, out, study=sweep.study.name, config_toml=config_text)
            if figure is not None:
                fig = Path(figure)
                plot_sweep(sweep.study, ds, fig)
        state = "finished with failures" if failures else "finished"
        rd.write_manifest(sweep, out, state, backend.describe())
        rd.log("finished", state=state, computed=computed, failed=len(failures),
               results=str(results) if results else None)
    return SweepResult(results=results, figure=fig, dataset=ds, run_dir=rd.path, tasks=len(sweep.tasks),
                       computed=computed, reused=len(keys) - len(missing), failures=failed_tasks,
                       seconds=time.perf_counter() - t_start)


def _version() -> str:
    from .. import __version__

    return __version__


def print_summary(sweep: Sweep, result: SweepResult, backend: Backend) -> None:
    """A rich table on stdout: what ran where, how many tasks were computed/reused/failed."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{sweep.study.name} sweep", show_header=False)
    table.add_row("sweep", sweep.describe())
    for p in sweep.parameters:
        lo, hi = p.coord[0], p.coord[-1]
        span = f"{lo} .. {hi}" if p.size > 1 else f"{lo}"
        unit = f" {p.units}" if p.units != "1" else ""
        table.add_row(f"  {p.path}", f"{span}{unit}, {p.size} values")
    table.add_row("ran on", backend.describe() if result.computed or result.failures else
                  "nothing to compute (every task checkpointed)")
    table.add_row("tasks", f"{result.computed} computed, {result.reused} reused from checkpoints, "
                           f"{len(result.failures)} failed")
    table.add_row("run folder", str(result.run_dir))
    table.add_row("wall time", f"{result.seconds:.1f} s")
    Console(stderr=False, highlight=False).print(table)


def report_failures(result: SweepResult, file=None) -> None:
    """One closing line on stderr when tasks failed (each failure was printed as it happened)."""
    file = file or sys.stderr
    n = len(result.failures)
    where = f"; results written with NaN for them to {result.results}" if result.results else "; no results written"
    print(f"error: {n} of {result.tasks} sweep tasks failed{where}. Details: spinbath status {result.run_dir}; "
          "re-run the same command to retry only those.", file=file)


def run_from_cli(sweep: Sweep, config_text: str, out: Path, args) -> int:
    """``spinbath run`` of a config with ``[sweep]``: backend from the options, exit code 0 or 1."""
    from .execute import choose_backend

    backend = choose_backend(serial=getattr(args, "serial", False), scheduler=getattr(args, "scheduler", None),
                             workers=getattr(args, "workers", None))
    figure = None if args.no_figure else out.with_suffix(f".{args.format}")
    if not args.quiet:
        from rich.console import Console

        Console(highlight=False).print(f"[bold]{sweep.study.name}[/bold]: {sweep.describe()} on {backend.describe()}")
    result = run_sweep(sweep, config_text, out, backend=backend, figure=figure, quiet=args.quiet)
    if not args.quiet:
        from rich.console import Console

        if result.results:
            wrote = f"wrote {result.results}" + (f" and {result.figure}" if result.figure else "")
            Console(highlight=False).print(f"[bold]{sweep.study.name}[/bold] sweep: {wrote}")
        print_summary(sweep, result, backend)
    if result.failures:
        report_failures(result)
        return 1
    return 0
