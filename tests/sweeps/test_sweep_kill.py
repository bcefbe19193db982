"""SIGKILL a running `spinbath run` sweep (the process and its workers), run the same command again:
finished tasks are not recomputed and the result equals an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import xarray as xr

from spinbath.cli import main
from spinbath.sweeps.rundir import RunDir
from spinbath.sweeps.status import sweep_status
from spinbath.sweeps.tasks import read_checkpoint
from helpers import load, run_cli

N_TASKS = 8
#: ~0.25 s per task (3 bias points at one Fermi energy), so the kill lands mid-sweep.
SLOW_JUNCTION = f"""
study = "junction-couplings"
[bias]
V = [1.0, 2.0, 3.0]
mu_F = [0.0]
[sweep]
"junction.eps0" = {{start = "-1 meV", stop = "1 meV", num = {N_TASKS}}}
"""


def _events_of_last_run(rd: RunDir) -> list[dict]:
    lines = [json.loads(ln) for ln in rd.log_path.read_text().splitlines() if ln.strip()]
    last_start = max(i for i, e in enumerate(lines) if e["event"] == "start")
    return lines[last_start:]


def test_sigkill_then_rerun_computes_only_the_missing_tasks(tmp_path):
    cfg = tmp_path / "k.toml"
    cfg.write_text(SLOW_JUNCTION)
    out = tmp_path / "k.nc"
    args = ["--quiet", "run", str(cfg), "--out", str(out), "--workers", "2", "--no-figure"]
    proc = subprocess.Popen([sys.executable, "-m", "spinbath.cli", *args], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    rd = RunDir(tmp_path / "k.sweep")
    deadline = time.monotonic() + 180
    try:
        while len(rd.done_keys()) < 2:
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "sweep made no progress"
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its worker processes, like a crash
        proc.wait()
    proc.stderr.close()

    survivors = {k: os.stat(rd.checkpoint(k)) for k in rd.done_keys()}
    n_done = len(survivors)
    assert 2 <= n_done < N_TASKS, n_done
    assert not out.exists()
    for k in survivors:  # every checkpoint on disk is complete
        read_checkpoint(rd.checkpoint(k))
    st = sweep_status(rd.path)
    assert (st.done, st.failed, st.pending, st.running) == (n_done, 0, N_TASKS - n_done, False)
    assert st.state.startswith("stopped")

    assert main(args) == 0  # the same command resumes
    events = _events_of_last_run(rd)
    assert events[0]["reused"] == n_done
    assert sum(e["event"] == "done" for e in events) == N_TASKS - n_done
    for k, before in survivors.items():  # finished tasks were neither recomputed nor rewritten
        after = os.stat(rd.checkpoint(k))
        assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)

    code, reference = run_cli(tmp_path, SLOW_JUNCTION, "--serial", name="uninterrupted")
    assert code == 0
    xr.testing.assert_identical(load(out), load(reference))
