"""Sweep tests: the ``toy`` study (tests/toy_study.py) for every test of this folder, and a dask
scheduler with two single-threaded workers on 127.0.0.1 for the tests that need a running cluster.

Worker processes of a local cluster are spawned with this process's sys.path, which holds tests/
(``pythonpath`` in pyproject.toml), so they import toy_study too; the external workers get it
through PYTHONPATH.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import JUNCTION_SWEEP, load, run_cli
from spinbath import studies
from spinbath.sweeps.execute import WORKER_ENV

TESTS = Path(__file__).resolve().parent.parent  # holds toy_study.py


@pytest.fixture(autouse=True)
def toy_study(monkeypatch):
    monkeypatch.setitem(studies._MODULES, "toy", "toy_study")
    studies.get_study.cache_clear()
    yield
    studies.get_study.cache_clear()


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def dask_scheduler(tmp_path_factory):
    """Address of a dask scheduler started with the standard CLI, and 2 workers x 1 thread."""
    folder = tmp_path_factory.mktemp("dask")
    info = folder / "scheduler.json"
    env = {**os.environ, **WORKER_ENV,
           "PYTHONPATH": os.pathsep.join(p for p in (str(TESTS), os.environ.get("PYTHONPATH", "")) if p)}
    logs = open(folder / "cluster.log", "w")
    procs = [subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
         "--no-dashboard", "--scheduler-file", str(info)], stdout=logs, stderr=subprocess.STDOUT, env=env)]
    try:
        deadline = time.monotonic() + 60
        while not info.is_file() and time.monotonic() < deadline:
            assert procs[0].poll() is None, (folder / "cluster.log").read_text()
            time.sleep(0.1)
        address = json.loads(info.read_text())["address"]
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nworkers", "2", "--nthreads", "1",
             "--no-dashboard", "--host", "127.0.0.1"], stdout=logs, stderr=subprocess.STDOUT, env=env))
        yield address
    finally:
        for p in reversed(procs):
            _stop(p)
        logs.close()


@pytest.fixture(scope="session")
def junction_serial(tmp_path_factory):
    """(config text, dataset) of a 2 x 2 junction-couplings sweep run with --serial: the reference."""
    code, out = run_cli(tmp_path_factory.mktemp("serial"), JUNCTION_SWEEP, "--serial")
    assert code == 0
    return JUNCTION_SWEEP, load(out)
