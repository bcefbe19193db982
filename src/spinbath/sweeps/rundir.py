"""The run folder of a sweep: checkpoints, failure records, manifest, event log and lock.

``<results stem>.sweep/`` next to the results file (``out/grid.nc`` -> ``out/grid.sweep/``)::

    sweep.json          manifest: study, mode, parameters, every task (index, key, values),
                        results path, state ("running", "finished", "finished with failures")
    tasks/<key>.npz     one checkpoint per finished task (see :mod:`spinbath.sweeps.tasks`)
    failed/<key>.json   the last failure of a task (error line and traceback); removed when the
                        task later succeeds
    log.jsonl           one JSON line per event (start, done, failed, finished), append-only
    lock                held (flock) by the process running the sweep; released by the kernel
                        even on SIGKILL

Every file except the log is written to a temporary name and renamed, so nothing partial is ever
read; the log is only informational (a torn last line is skipped). A task counts as done when its
checkpoint exists, failed when only a failure record exists, pending otherwise.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path

from ..config.base import ConfigError
from .tasks import CHECKPOINT_SUFFIX

__all__ = ["RunDir", "run_dir_for", "MANIFEST"]

MANIFEST = "sweep.json"
_FORMAT = "spinbath-sweep/1"


def run_dir_for(results: str | Path) -> Path:
    """The run folder of a results path: ``grid.nc`` -> ``grid.sweep``."""
    results = Path(results)
    return results.with_name(results.stem + ".sweep")


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


class RunDir:
    """Paths and small file operations of a run folder (nothing is created until asked)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.tasks = self.path / "tasks"
        self.failed = self.path / "failed"
        self.manifest_path = self.path / MANIFEST
        self.log_path = self.path / "log.jsonl"
        self.lock_path = self.path / "lock"

    # --- reading -------------------------------------------------------------------------------

    def checkpoint(self, key: str) -> Path:
        """Path of the checkpoint of task ``key`` (it may not exist yet)."""
        return self.tasks / f"{key}{CHECKPOINT_SUFFIX}"

    def failure_record(self, key: str) -> Path:
        """Path of the JSON failure record of task ``key`` (it may not exist)."""
        return self.failed / f"{key}.json"

    def done_keys(self) -> set[str]:
        """Keys with a checkpoint (temporary files, named ".*.tmp", never match)."""
        if not self.tasks.is_dir():
            return set()
        return {p.name[: -len(CHECKPOINT_SUFFIX)] for p in self.tasks.iterdir()
                if p.name.endswith(CHECKPOINT_SUFFIX) and not p.name.startswith(".")}

    def failures(self) -> dict[str, dict]:
        """{key: failure record} of tasks whose last attempt failed."""
        out = {}
        if self.failed.is_dir():
            for p in sorted(self.failed.glob("*.json")):
                with contextlib.suppress(OSError, ValueError):
                    out[p.stem] = json.loads(p.read_text())
        return out

    def read_manifest(self) -> dict:
        """The manifest (study, parameters, tasks, state); ConfigError if this is no sweep run folder."""
        if not self.manifest_path.is_file():
            raise ConfigError(f"{str(self.path)!r} is not a sweep run folder (no {MANIFEST})")
        try:
            m = json.loads(self.manifest_path.read_text())
        except (OSError, ValueError) as err:
            raise ConfigError(f"{self.manifest_path}: unreadable manifest ({err})") from None
        if m.get("format") != _FORMAT:
            raise ConfigError(f"{self.manifest_path}: not a spinbath sweep manifest")
        return m

    def is_locked(self) -> bool:
        """True while some process holds the lock (i.e. the sweep is running)."""
        if not self.lock_path.exists():
            return False
        try:
            import fcntl
        except ImportError:  # not POSIX: cannot tell
            return False
        with open(self.lock_path, "a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return True
            fcntl.flock(fh, fcntl.LOCK_UN)
            return False

    # --- writing -------------------------------------------------------------------------------

    @contextlib.contextmanager
    def locked(self):
        """Create the folder and hold its lock for the duration (ConfigError if another run holds it)."""
        self.tasks.mkdir(parents=True, exist_ok=True)
        self.failed.mkdir(exist_ok=True)
        fh = open(self.lock_path, "a+")
        try:
            try:
                import fcntl

                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except ImportError:  # not POSIX: no protection against two runs at once
                pass
            except OSError:
                raise ConfigError(f"another spinbath process is running the sweep in {self.path}; "
                                  "wait for it to finish (see `spinbath status`)") from None
            fh.seek(0)
            fh.truncate()
            fh.write(f"{os.getpid()}\n")
            fh.flush()
            self._clean_temporaries()
            yield self
        finally:
            fh.close()

    def _clean_temporaries(self) -> None:
        # Left by a run killed mid-write; safe to delete because we hold the lock.
        for folder in (self.path, self.tasks, self.failed):
            for p in folder.glob(".*.tmp"):
                with contextlib.suppress(OSError):
                    p.unlink()

    def write_json(self, path: Path, obj) -> None:
        """Write ``obj`` as JSON to ``path`` atomically (temporary file, then rename)."""
        from ..io import atomic_write_bytes

        atomic_write_bytes(path, json.dumps(obj, indent=1, default=str).encode())

    def write_manifest(self, sweep, results: Path, state: str, backend: str) -> None:
        """Record the sweep's parameters and tasks, the results path, the run state and the backend."""
        from .. import __version__

        self.write_json(self.manifest_path, {
            "format": _FORMAT,
            "study": sweep.study.name,
            "mode": sweep.mode,
            "parameters": [{"path": p.path, "values": list(p.raw), "units": p.units} for p in sweep.parameters],
            "tasks": [{"index": t.index, "key": t.key, "params": t.params} for t in sweep.tasks],
            "results": str(Path(results).resolve()),
            "state": state,
            "backend": backend,
            "spinbath_version": __version__,
            "updated": _now(),
        })

    def record_failure(self, key: str, params: dict, error: str, tb: str | None) -> None:
        """Record that task ``key`` (at ``params``) failed with ``error`` (one line) and traceback ``tb``."""
        self.write_json(self.failure_record(key), {"key": key, "params": params, "error": error,
                                                   "traceback": tb, "time": _now()})

    def clear_failure(self, key: str) -> None:
        """Forget the failure record of task ``key``, if any."""
        with contextlib.suppress(FileNotFoundError):
            self.failure_record(key).unlink()

    def log(self, event: str, **fields) -> None:
        """Append one JSON line {"event", "time", **fields} to the run's log."""
        line = json.dumps({"event": event, "time": _now(), **fields}, default=str)
        with open(self.log_path, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
