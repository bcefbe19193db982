"""``spinbath status RUN_DIR``: how far a sweep is (done / failed / pending), running or not.

Reads only the run folder (:mod:`spinbath.sweeps.rundir`): the manifest lists the tasks and their
keys, a checkpoint means done, a failure record without a checkpoint means failed, anything else is
pending. "running" means a process holds the folder's lock right now; a run killed with SIGKILL
releases it, so a folder with pending tasks and no lock is "stopped" and can be resumed by running
the same command again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..config.base import ConfigError
from .rundir import MANIFEST, RunDir, run_dir_for

__all__ = ["SweepStatus", "sweep_status", "format_status", "resolve_run_dir"]


@dataclass
class SweepStatus:
    """Counts over tasks (a task sharing its config with another counts with it), and details."""

    run_dir: Path
    study: str
    mode: str
    parameters: list[dict]
    total: int
    done: int
    failed: int
    pending: int
    running: bool
    state: str
    results: str | None
    failures: list[dict] = field(default_factory=list)


def resolve_run_dir(path: str | Path) -> Path:
    """Accept the run folder itself or the results file / config whose run folder it is."""
    p = Path(path)
    if (p / MANIFEST).is_file():
        return p
    alt = run_dir_for(p)
    if (alt / MANIFEST).is_file():
        return alt
    if not p.exists():
        raise ConfigError(f"{str(p)!r} does not exist")
    raise ConfigError(f"{str(p)!r} is not a sweep run folder (no {MANIFEST}); "
                      "it is the '<results name>.sweep' folder next to the results")


def sweep_status(path: str | Path) -> SweepStatus:
    """Done, failed and pending tasks of the sweep run folder ``path`` (or of its results file or config)."""
    rd = RunDir(resolve_run_dir(path))
    m = rd.read_manifest()
    done_keys = rd.done_keys()
    records = rd.failures()
    done = failed = 0
    failures = []
    for t in m["tasks"]:
        if t["key"] in done_keys:
            done += 1
        elif t["key"] in records:
            failed += 1
            failures.append({"index": t["index"], "params": t["params"], "error": records[t["key"]].get("error", "?")})
    total = len(m["tasks"])
    running = rd.is_locked()
    state = "running" if running else m.get("state", "?")
    if not running and state == "running":
        state = "stopped (interrupted; run the same command again to resume)"
    return SweepStatus(run_dir=rd.path, study=m["study"], mode=m["mode"], parameters=m["parameters"],
                       total=total, done=done, failed=failed, pending=total - done - failed, running=running,
                       state=state, results=m.get("results"), failures=failures)


def _value(v) -> str:
    import json

    return json.dumps(v, ensure_ascii=False)


def format_status(s: SweepStatus, max_failures: int = 20) -> str:
    """Plain text (stable, greppable): a header, done/failed/pending, the failed tasks."""
    params = (" x " if s.mode == "product" else ", ").join(f"{p['path']} ({len(p['values'])})" for p in s.parameters)
    lines = [
        f"sweep of {s.study} in {s.run_dir}: {s.mode} of {params}, {s.total} tasks",
        f"  done     {s.done}",
        f"  failed   {s.failed}",
        f"  pending  {s.pending}",
        f"  state    {s.state}",
    ]
    if s.results:
        exists = Path(s.results).is_file()
        lines.append(f"  results  {s.results}" + ("" if exists else " (not written yet)"))
    if s.failures:
        lines.append("failed tasks:")
        for f in s.failures[:max_failures]:
            what = ", ".join(f"{k} = {_value(v)}" for k, v in f["params"].items())
            lines.append(f"  task {f['index']} ({what}): {f['error']}")
        if len(s.failures) > max_failures:
            lines.append(f"  ... and {len(s.failures) - max_failures} more (see {s.run_dir / 'failed'})")
    return "\n".join(lines)
