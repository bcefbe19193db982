"""The fourth-order pair sum on Dask (spinbath.sweeps.pair_sum): the same R as the single-process
sweep, on an embedded local cluster and on a running scheduler; a run killed mid-chunk resumes
and recomputes only the chunks without a result file; the memory knobs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from helpers import kramers_model
from spinbath import ConfigError
from spinbath.quantum.pair_chunks import chunk_payload, compute_pair_chunk, plan_chunks
from spinbath.quantum.spin_phonon import SpinPhononRates
from spinbath.sweeps.execute import Backend
from spinbath.sweeps.pair_sum import distributed_superoperator, fourth_order_sums, task_memory_bytes
from spinbath.sweeps.rundir import RunDir

TESTS = Path(__file__).resolve().parent.parent
T = np.array([5.0, 20.0, 60.0])
#: Small chunks, so that a 60-mode model gives a few dozen of them.
CHUNK_WORK = 2e4
#: Chunk work for the tests on Dask (each task has a fixed cost on a cluster). The 60-mode model's
#: fourth-order sweep has 7 blocks (blocks of 64+ modes a, one per cluster and process), each its own
#: chunk at this or any larger work: 7 chunks, more than two per worker of a 2-worker cluster.
DASK_CHUNK_WORK = 2e5


def _model(n_modes: int = 60, block_size: int = 256) -> SpinPhononRates:
    H, V, w = kramers_model(seed=3, n_modes=n_modes)
    return SpinPhononRates(H, V, w, 5.0, block_size=block_size)


def _rel(R: np.ndarray, R0: np.ndarray) -> float:
    return float(np.abs(R - R0).max() / np.abs(R0).max())


@pytest.fixture(scope="module")
def model_and_reference():
    m = _model()
    return m, m.superoperator(T, "2+4")


def test_chunks_partition_the_pair_sum_whatever_their_size(tmp_path):
    """Chunks of any size (three chunk_work, two memory bounds) add up to the single-process R."""
    # Blocks of at most 3 modes a: a 60-mode model then has enough of them for chunks of
    # really different sizes (with the default, its few large tiles would each be one chunk).
    m = _model(block_size=3)
    R0 = m.superoperator(T, "2+4")
    counts = []
    # 512 KiB: below some modes against all their partners, so those partners are split too.
    for work, memory in ((CHUNK_WORK, None), (1e7, None), (1e12, None), (CHUNK_WORK, 2**20), (1e12, 2**19)):
        n = len(plan_chunks(m, T.size, memory or 2**30, work))
        counts.append(n)
        R = distributed_superoperator(m, T, "2+4", backend=Backend("serial"), run_dir=tmp_path,
                                      chunk_work=work, task_memory=memory)
        assert _rel(R, R0) < 1e-12, (work, memory)
    Rres = distributed_superoperator(m, T, "4-resonant", backend=Backend("serial"), run_dir=tmp_path,
                                     chunk_work=CHUNK_WORK)
    assert _rel(Rres, m.superoperator(T, "4-resonant")) < 1e-12  # the other part, other denominators
    assert counts[0] > counts[1] >= counts[2] >= 1 and counts[0] > 2 * counts[2]  # really different partitions
    # Every pair of every block is counted once: the blocks tile the single-process sweep's.
    pairs = sum(p.n_pairs for p in plan_chunks(m, T.size, 2**30, CHUNK_WORK))
    assert pairs == sum(int((hi - lo).sum()) for _, _, _, lo, hi in m._fourth_order_plan())


@pytest.mark.slow
def test_dask_local_cluster_equals_the_single_process_path(model_and_reference, tmp_path):
    """(The kill test below also ends with R from an embedded local cluster.)"""
    m, R0 = model_and_reference
    r = fourth_order_sums(m, T, backend=Backend("local", workers=2), run_dir=tmp_path, chunk_work=DASK_CHUNK_WORK)
    # the planned chunks, several per worker (7 at the time of writing), all computed here
    assert r.chunks == len(plan_chunks(m, T.size, task_memory_bytes(), DASK_CHUNK_WORK)) > 2 * 2
    assert sorted(r.computed) == list(range(r.chunks)) and r.reused == 0
    assert _rel(m.superoperator(T, "2+4", fourth=r.sums), R0) < 1e-12


@pytest.mark.slow
def test_dask_scheduler_equals_the_single_process_path(model_and_reference, tmp_path, dask_scheduler):
    """--scheduler: chunks on a running cluster (two external workers). (The kill test below ends
    with R from chunks of both an embedded local cluster and this scheduler.)"""
    m, R0 = model_and_reference
    R = distributed_superoperator(m, T, "2+4", backend=Backend("scheduler", address=dask_scheduler, workers=2),
                                  run_dir=tmp_path, chunk_work=DASK_CHUNK_WORK)
    assert _rel(R, R0) < 1e-12


DRIVER = """
import os, sys, time
sys.path[:0] = [{tests!r}]
import numpy as np
from test_pair_sum import _model, T, DASK_CHUNK_WORK
from spinbath.quantum.pair_chunks import compute_pair_chunk
from spinbath.sweeps.execute import Backend
from spinbath.sweeps.pair_sum import fourth_order_sums

STUCK, MARK, LOG = {stuck}, {mark!r}, {log!r}


def counted(chunk, temperatures):
    # Runs in the workers (pickled by value from __main__): one line per computation; the chunk
    # STUCK hangs, so the kill finds it mid-run.
    with open(LOG, "a") as fh:
        fh.write(f"{{chunk.plan.index}}\\n")
    if chunk.plan.index == STUCK:
        open(MARK, "w").close()
        time.sleep(600)
    return compute_pair_chunk(chunk, temperatures)


if __name__ == "__main__":
    fourth_order_sums(_model(), T, backend=Backend("local", workers=2), run_dir={run_dir!r},
                      chunk_work=DASK_CHUNK_WORK, compute=counted)
"""


def test_killed_run_recomputes_the_chunk_it_was_running_and_no_finished_one(model_and_reference, tmp_path,
                                                                            dask_scheduler):
    """SIGKILL a pair sum on an embedded local cluster while one chunk hangs; resume it on a
    running scheduler: only the chunks without a file are computed, each once; R is the
    single-process R."""
    m, R0 = model_and_reference
    stuck = 5
    mark, log, run_dir = tmp_path / "stuck", tmp_path / "computed.log", tmp_path / "runs"
    script = tmp_path / "driver.py"
    script.write_text(DRIVER.format(tests=str(TESTS / "sweeps"), stuck=stuck, mark=str(mark), log=str(log),
                                    run_dir=str(run_dir)))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, str(script)], start_new_session=True, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    try:
        while True:
            folders = list(run_dir.glob("*/tasks")) if run_dir.is_dir() else []
            done = [p for p in folders[0].glob("c*.npz")] if folders else []
            if mark.exists() and len(done) >= 3:
                break
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "the pair sum made no progress"
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the driver and its workers, like a crash
        proc.wait()
    proc.stderr.close()

    rd = RunDir(folders[0].parent)
    finished = {k: os.stat(rd.checkpoint(k)) for k in rd.done_keys()}
    n_chunks = len(plan_chunks(m, T.size, task_memory_bytes(), DASK_CHUNK_WORK))
    assert f"c{stuck:06d}" not in finished and 3 <= len(finished) < n_chunks
    first_run = [int(x) for x in log.read_text().split()]
    assert stuck in first_run

    r = fourth_order_sums(m, T, backend=Backend("scheduler", address=dask_scheduler, workers=2), run_dir=run_dir,
                          chunk_work=DASK_CHUNK_WORK)
    assert r.run_dir == rd.path  # same inputs, same run folder
    finished_idx = {int(k[1:]) for k in finished}
    assert r.reused == len(finished)
    assert sorted(r.computed) == sorted(set(range(n_chunks)) - finished_idx)  # each missing one once
    assert stuck in r.computed and not finished_idx & set(r.computed)
    for k, before in finished.items():  # finished chunks were neither recomputed nor rewritten
        after = os.stat(rd.checkpoint(k))
        assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert _rel(m.superoperator(T, "2+4", fourth=r.sums), R0) < 1e-12
    events = [json.loads(ln) for ln in rd.log_path.read_text().splitlines()]
    assert events[-1]["event"] == "finished" and events[-1]["computed"] == len(r.computed)

    again = fourth_order_sums(m, T, backend=Backend("local", workers=2), run_dir=run_dir,
                              chunk_work=DASK_CHUNK_WORK)
    assert again.computed == [] and again.reused == n_chunks  # nothing left: no cluster is even started
    assert all(np.array_equal(a, b) for a, b in zip(again.sums.acc, r.sums.acc))


def test_other_inputs_get_another_run_folder(tmp_path):
    m = _model(30)
    a = fourth_order_sums(m, T, backend=Backend("serial"), run_dir=tmp_path, chunk_work=CHUNK_WORK)
    b = fourth_order_sums(m, T[:2], backend=Backend("serial"), run_dir=tmp_path, chunk_work=CHUNK_WORK)
    H, V, w = kramers_model(seed=3, n_modes=30)
    c = fourth_order_sums(SpinPhononRates(H, V * 1.01, w, 5.0), T, backend=Backend("serial"), run_dir=tmp_path,
                          chunk_work=CHUNK_WORK)
    assert len({a.run_dir, b.run_dir, c.run_dir}) == 3 and b.reused == c.reused == 0


def test_task_memory_bounds_every_chunk_and_comes_from_the_environment(monkeypatch):
    m = _model()
    for memory in (2**17, 2**18, 2**20, 2**22, 2**30):
        plans = plan_chunks(m, T.size, memory, 1e12)
        assert max(p.nbytes for p in plans) <= memory
        # The chunk's data (couplings and their denominators) is part of the estimate.
        assert all(chunk_payload(m, p).nbytes <= p.nbytes for p in plans)
    monkeypatch.setenv("SPINBATH_TASK_MEMORY", "3 MiB")
    assert task_memory_bytes() == 3 * 2**20
    assert task_memory_bytes(2**20) == 2**20  # an explicit value (the config key) wins
    monkeypatch.setenv("SPINBATH_TASK_MEMORY", "lots")
    with pytest.raises(ConfigError, match="SPINBATH_TASK_MEMORY='lots'"):
        task_memory_bytes()
    with pytest.raises(ConfigError, match="task_memory = 1000 bytes is less than a block of 1 mode"):
        fourth_order_sums(m, T, backend=Backend("serial"), task_memory=1000)


def test_task_memory_bounds_the_measured_peak_of_a_chunk(model_and_reference):
    """What a chunk allocates while it runs (tracemalloc sees numpy's buffers) plus its shipped data
    stays below the planned bytes, which stay below task_memory."""
    import tracemalloc

    m, _ = model_and_reference
    for p in plan_chunks(m, T.size):  # load the compiled kernels first, every specialization a chunk may take
        compute_pair_chunk(chunk_payload(m, p), T)
    for memory in (2**17, 2**20, 2**30):
        plans = plan_chunks(m, T.size, memory, 1e12)
        for p in plans[:: max(1, len(plans) // 20)]:
            chunk = chunk_payload(m, p)
            tracemalloc.start()
            try:
                base = tracemalloc.get_traced_memory()[0]
                compute_pair_chunk(chunk, T)
                peak = tracemalloc.get_traced_memory()[1] - base
            finally:
                tracemalloc.stop()
            assert peak + chunk.nbytes <= p.nbytes <= memory, (memory, p.index, peak, p.nbytes)


def test_a_chunk_is_its_share_of_the_sum(model_and_reference):
    """compute_pair_chunk on the shipped slice equals the single-process sweep's blocks of that chunk."""
    m, _ = model_and_reference
    plans = plan_chunks(m, T.size, 2**30, CHUNK_WORK)
    full = m.fourth_order_sums(T)
    acc, _ = m.empty_fourth_order_sums(T.size)
    for p in plans:
        acc[p.cluster] += compute_pair_chunk(chunk_payload(m, p), T).acc
    for x, y in zip(acc, full.acc):
        assert np.allclose(x, y, rtol=1e-12, atol=1e-12 * max(np.abs(y).max(initial=0), 1e-300))


SPIN_PHONON = """
study = "spin-phonon"
temperatures = [5.0, 15.0, 40.0]
[spin]
J = "5/2"
g = 0.857
[spin.crystal_field]
B2 = {"0" = -5.0, "2" = 0.8}
B4 = {"0" = 0.02}
[bath]
modes = [
  {energy = "30 cm^-1", dB2 = {"0" = 0.3, "1" = 0.2, "2" = 0.1}},
  {energy = "41 cm^-1", dB2 = {"-2" = 0.2, "1" = -0.1}},
  {energy = "56 cm^-1", dB2 = {"-1" = 0.4, "2" = -0.2}, dB4 = {"4" = 0.004}},
  {energy = "70 cm^-1", dB2 = {"0" = -0.2, "-2" = 0.3}, dB4 = {"3" = 0.01}},
  {energy = "95 cm^-1", dB2 = {"1" = 0.3}, dB4 = {"0" = 0.01, "-2" = 0.005}},
]
[method]
width = "5 cm^-1"
orders = [2, 4, "2+4"]
"""


def test_cli_scheduler_puts_the_pair_sum_on_the_cluster_and_resumes(tmp_path, dask_scheduler):
    """`spinbath run c.toml --scheduler ADDRESS`: the results of the single-process run (to 1e-12),
    chunk files beside the results, and a second run computes nothing."""
    from helpers import load, run_cli

    code, plain = run_cli(tmp_path, SPIN_PHONON, name="plain")
    assert code == 0
    code, out = run_cli(tmp_path, SPIN_PHONON, "--scheduler", dask_scheduler)
    assert code == 0
    a, b = load(plain), load(out)
    for v in ("tau", "T1", "T2", "slowest_rates", "tau_resonant"):
        x, y = a[v].values, b[v].values
        assert np.allclose(y, x, rtol=1e-12, atol=0, equal_nan=True), v
    folders = sorted((tmp_path / "c.pairsum").iterdir())
    assert len(folders) == 2  # the virtual part (orders 4, 2+4) and the resonant part (tau_resonant)
    logs = [RunDir(f).log_path for f in folders]
    assert all(sum('"done"' in ln for ln in p.read_text().splitlines()) > 0 for p in logs)
    assert run_cli(tmp_path, SPIN_PHONON, "--scheduler", dask_scheduler)[0] == 0
    for p in logs:  # the second run reused every chunk
        last = [json.loads(ln) for ln in p.read_text().splitlines()][-2:]
        assert last[0]["event"] == "start" and last[0]["reused"] == last[0]["chunks"]


@pytest.mark.parametrize("table, needles", [
    ('task_memory = "-1 GB"', ["method.pair_sum.task_memory"]),
    ('task_memory = "1 kB"', ["task_memory = 1000 bytes is less than a block", "SPINBATH_TASK_MEMORY"]),
    ('backend = "mpi"', ["method.pair_sum.backend", "mpi"]),
    ("workers = 0", ["method.pair_sum.workers"]),
])
def test_bad_pair_sum_settings_are_one_line_and_exit_code_2(tmp_path, capsys, table, needles):
    from helpers import assert_bad_input

    text = SPIN_PHONON + f'[method.pair_sum]\nbackend = "dask"\n{table}\n'
    if table.startswith("backend"):
        text = SPIN_PHONON + f"[method.pair_sum]\n{table}\n"
    assert_bad_input(tmp_path, capsys, text, needles)
