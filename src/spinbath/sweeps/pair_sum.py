"""The fourth-order sum over mode pairs on Dask: chunks as tasks, summed, resumable.

:func:`~spinbath.sweeps.fourth_order_sums` cuts the pair sum of a :class:`~spinbath.quantum.spin_phonon.SpinPhononRates`
model into chunks (:mod:`spinbath.quantum.pair_chunks`), runs them on the sweeps' backends
(``spinbath.sweeps.execute``: an embedded LocalCluster by default, ``--scheduler`` /
``SPINBATH_SCHEDULER`` for a running cluster, ``--serial`` in this process) and adds their partial
sums in chunk order. R from these sums equals the single-process R to ~1e-15 relative (only the
order of the additions differs); :func:`~spinbath.sweeps.distributed_superoperator` is the one-call form.

Memory. Each chunk ships only the couplings of the modes it touches, and at most two chunks per
worker are in flight, so neither this process nor the scheduler holds more than a few chunks. The
bound on one chunk's arrays (:data:`~spinbath.quantum.pair_chunks.DEFAULT_TASK_MEMORY`, 1 GiB) is
set by ``task_memory`` (``[method.pair_sum] task_memory = "2 GiB"``) or the environment variable
``SPINBATH_TASK_MEMORY`` (the config key wins). Workers run one BLAS thread each.

Resume. Finished chunks are written atomically (temporary file, fsync, rename) into a run folder
keyed by a hash of every input of the sums (:func:`~spinbath.quantum.pair_chunks.inputs_hash`)::

    <base>/<hash>/pairsum.json     manifest: part, chunks, modes, temperatures, knobs, state
    <base>/<hash>/tasks/cNNNNNN.npz one file per finished chunk (its partial sums)
    <base>/<hash>/failed/, log.jsonl, lock    as for a sweep (:mod:`spinbath.sweeps.rundir`)

A run killed at any point (SIGKILL included) leaves only complete chunk files; the same run again
computes only the chunks without one. ``<base>`` is ``run_dir``, else ``<results stem>.pairsum/``
beside the results file of ``spinbath run`` / ``spinbath.run(..., out=...)``, else
``<temp dir>/spinbath-pairsum``. Different inputs get different folders; delete them to free space.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..config.base import ConfigError
from ..quantum.pair_chunks import (
    DEFAULT_TASK_MEMORY, ChunkSums, PairChunkPlan, chunk_payload, compute_pair_chunk,
    inputs_hash, plan_chunks,
)
from ..quantum.spin_phonon import FourthOrderSums, SpinPhononRates
from .execute import Backend, Executor, choose_backend, current_run_options
from .rundir import RunDir

__all__ = ["fourth_order_sums", "distributed_superoperator", "PairSumResult", "task_memory_bytes",
           "pair_sum_dir", "TASK_MEMORY_ENV_VAR"]

TASK_MEMORY_ENV_VAR = "SPINBATH_TASK_MEMORY"
_MANIFEST = "pairsum.json"
_FORMAT = "spinbath-pairsum/1"
_CHUNK_FORMAT = "spinbath-pairsum-chunk/1"


@dataclass
class PairSumResult:
    """What :func:`fourth_order_sums` did.

    sums: the fourth-order sums (hand them to ``SpinPhononRates.superoperator(..., fourth=sums)``).
    run_dir: the run folder. chunks: number of chunks; computed: indices of the chunks computed by
    this call (in completion order); reused: chunks read back from a previous run. seconds: wall
    time; chunk_seconds, chunk_cpu_seconds, chunk_work: compute time in the worker (wall and CPU, s)
    and work (complex multiply-adds) of each chunk computed now. backend: where they ran.
    """

    sums: FourthOrderSums
    run_dir: Path
    chunks: int
    computed: list[int] = field(default_factory=list)
    reused: int = 0
    seconds: float = 0.0
    chunk_seconds: dict[int, float] = field(default_factory=dict)
    chunk_cpu_seconds: dict[int, float] = field(default_factory=dict)
    chunk_work: dict[int, float] = field(default_factory=dict)
    backend: str = ""


def task_memory_bytes(value: int | None = None, environ=None) -> int:
    """Memory bound of one chunk, bytes: ``value`` if given, else ``$SPINBATH_TASK_MEMORY`` ("2 GiB",
    "512 MB", or a number of bytes), else 1 GiB. ConfigError for a value that is not a positive size."""
    from pydantic import ByteSize, TypeAdapter, ValidationError

    if value is not None:
        if int(value) <= 0:
            raise ConfigError(f"task_memory must be > 0 bytes, got {value}")
        return int(value)
    environ = os.environ if environ is None else environ
    raw = environ.get(TASK_MEMORY_ENV_VAR, "").strip()
    if not raw:
        return DEFAULT_TASK_MEMORY
    try:
        n = int(TypeAdapter(ByteSize).validate_python(raw))
    except ValidationError:
        n = -1
    if n <= 0:
        raise ConfigError(f"{TASK_MEMORY_ENV_VAR}={raw!r} is not a memory size > 0 (e.g. '2 GiB', '512 MB')")
    return n


def pair_sum_dir(run_dir: str | Path | None = None) -> Path:
    """The base folder of the run folders (see the module docstring for the default)."""
    if run_dir is not None:
        return Path(run_dir)
    results = current_run_options().results
    if results:
        r = Path(results)
        return r.with_name(r.stem + ".pairsum")
    return Path(tempfile.gettempdir()) / "spinbath-pairsum"


def _chunk_key(index: int) -> str:
    return f"c{index:06d}"


def _write_chunk(path: Path, sums: ChunkSums, meta: dict) -> None:
    from ..io import atomic_write_npz

    arrays = {"acc": sums.acc}
    if sums.dephasing is not None:
        arrays["dephasing"] = sums.dephasing
    header = {"format": _CHUNK_FORMAT, "index": sums.index, "cluster": sums.cluster,
              "seconds": sums.seconds, "cpu_seconds": sums.cpu_seconds, **meta}
    arrays["__header__"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    atomic_write_npz(path, arrays)


def _read_chunk(path: Path, plan: PairChunkPlan, key: str) -> ChunkSums | None:
    """The chunk's sums, or None if the file is damaged or belongs to other inputs."""
    try:
        with np.load(path, allow_pickle=False) as z:
            header = json.loads(z["__header__"].tobytes().decode())
            acc = z["acc"]
            dephasing = z["dephasing"] if "dephasing" in z.files else None
    except Exception:  # zipfile, numpy and json raise many types for a damaged file
        return None
    if header.get("format") != _CHUNK_FORMAT or header.get("inputs") != key or header.get("index") != plan.index:
        return None
    return ChunkSums(plan.index, plan.cluster, acc, dephasing, float(header.get("seconds", 0.0)))


def fourth_order_sums(model: SpinPhononRates, temperatures, part: str = "virtual", *,
                      backend: Backend | None = None, run_dir: str | Path | None = None,
                      task_memory: int | None = None, chunk_work: float | None = None,
                      compute: Callable = compute_pair_chunk, description: str | None = None) -> PairSumResult:
    """The fourth-order pair sums of ``model`` at ``temperatures`` (K), chunk by chunk on Dask.

    Parameters
    ----------
    model : SpinPhononRates
        The spin + phonon model, built once.
    temperatures : float or array_like
        K, a number or 1-D array.
    part : str
        "virtual" (orders 4 and "2+4") or "resonant" ("4-resonant").
    backend : Backend, optional
        Where the chunks run (:func:`~spinbath.sweeps.choose_backend`). Default: the command line's
        options (scheduler, workers, serial), else ``SPINBATH_SCHEDULER``, else a local cluster
        with one worker per core.
    run_dir : str or Path, optional
        Base folder of the run folders (default: see the module docstring).
    task_memory : int, optional
        Bytes per chunk (default ``$SPINBATH_TASK_MEMORY``, else 1 GiB).
    chunk_work : float, optional
        Complex multiply-adds per chunk (:mod:`spinbath.quantum.pair_chunks`); default: chosen from
        the plan (:func:`~spinbath.quantum.pair_chunks.auto_chunk_work`, 2e9 to 2e10).
    compute : callable
        The function each task runs, ``compute(chunk, temperatures)`` returning a ChunkSums
        (default :func:`~spinbath.quantum.pair_chunks.compute_pair_chunk`; another one can
        instrument it).
    description : str, optional
        Text of the progress bar.

    Returns
    -------
    PairSumResult
        Its ``sums`` give R through ``model.superoperator(T, order, fourth=result.sums)``.

    Raises
    ------
    ConfigError
        A task_memory too small for one mode and one partner, a bad scheduler address.
    RuntimeError
        Chunks failed (the finished ones are kept: the same call again computes the rest).
    """
    from ..progress import work
    from ..quantum.temperatures import check_temperatures

    t_start = time.perf_counter()
    T, _ = check_temperatures(temperatures, allow_zero=True)
    memory = task_memory_bytes(task_memory)
    try:
        plans = plan_chunks(model, T.size, memory, chunk_work)
    except ValueError as err:
        raise ConfigError(f"fourth-order pair sum: {err} (method.pair_sum.task_memory or "
                          f"{TASK_MEMORY_ENV_VAR})") from None
    if backend is None:
        opts = current_run_options()
        backend = choose_backend(serial=opts.serial, scheduler=opts.scheduler, workers=opts.workers)
    key = inputs_hash(model, part, T, memory, chunk_work, plans)
    rd = RunDir(pair_sum_dir(run_dir) / key)
    by_key = {_chunk_key(p.index): p for p in plans}
    missing = [k for k in by_key if k not in rd.done_keys()]
    executor = Executor(backend, len(missing), "spinbath.quantum.pair_chunks") if missing else contextlib.nullcontext()
    result = PairSumResult(sums=None, run_dir=rd.path, chunks=len(plans), backend=backend.describe())  # type: ignore[arg-type]
    failures: dict[str, str] = {}
    label = description or (f"fourth-order pair sum ({model.n_modes} modes, {T.size} temperatures, "
                            f"{len(plans)} chunks)")
    with executor, rd.locked():
        missing = [k for k in by_key if k not in rd.done_keys()]
        result.reused = len(plans) - len(missing)
        manifest = {"format": _FORMAT, "inputs": key, "part": part, "chunks": len(plans), "modes": model.n_modes,
                    "dim": model.dim, "temperatures_K": T.tolist(), "task_memory": memory, "chunk_work": "auto" if chunk_work is None else chunk_work,
                    "backend": backend.describe()}
        rd.write_json(rd.path / _MANIFEST, {**manifest, "state": "running"})
        rd.log("start", chunks=len(plans), reused=result.reused, backend=backend.describe())
        with work(label, len(plans), "chunks", total_weight=sum(by_key[k].work for k in missing)) as advance:
            advance(result.reused, weight=0.0)  # reused: on the bar, not in the time estimate
            if missing:
                items = ((k, (chunk_payload(model, by_key[k], part), T)) for k in missing)
                for outcome in executor.map_unordered(compute, items):
                    plan = by_key[outcome.key]
                    if outcome.ok:
                        sums: ChunkSums = outcome.dataset
                        _write_chunk(rd.checkpoint(outcome.key), sums, {"inputs": key, "work": plan.work})
                        rd.clear_failure(outcome.key)
                        rd.log("done", key=outcome.key, seconds=round(sums.seconds, 6),
                               cpu_seconds=round(sums.cpu_seconds, 6), work=plan.work,
                               pairs=plan.n_pairs, bytes=plan.nbytes)
                        result.computed.append(plan.index)
                        result.chunk_seconds[plan.index] = sums.seconds
                        result.chunk_cpu_seconds[plan.index] = sums.cpu_seconds
                        result.chunk_work[plan.index] = plan.work
                    else:
                        failures[outcome.key] = outcome.error
                        rd.record_failure(outcome.key, {"chunk": plan.index, "cluster": plan.cluster,
                                                        "process": plan.process}, outcome.error, outcome.traceback)
                        rd.log("failed", key=outcome.key, error=outcome.error)
                    advance(1, weight=plan.work)
        executor.__exit__(None, None, None)  # free the workers before the reduction
        acc, dephasing = model.empty_fourth_order_sums(T.size)
        if not failures:
            for k, plan in by_key.items():  # chunk order: the same sum however the run was split
                sums = _read_chunk(rd.checkpoint(k), plan, key)
                if sums is None:  # not through a crash (writes are atomic): disk damage or an edit
                    rd.checkpoint(k).unlink(missing_ok=True)
                    failures[k] = f"chunk file {rd.checkpoint(k)} unreadable; removed"
                    continue
                acc[plan.cluster] += sums.acc
                if sums.dephasing is not None:
                    dephasing += sums.dephasing
        state = "finished" if not failures else "finished with failures"
        rd.write_json(rd.path / _MANIFEST, {**manifest, "state": state})
        rd.log("finished", state=state, computed=len(result.computed), failed=len(failures))
    if failures:
        first = next(iter(failures.values()))
        raise RuntimeError(f"{len(failures)} of {len(plans)} fourth-order chunks failed (first: {first}); "
                           f"the finished ones are kept in {rd.path}: run again to compute only the rest")
    result.sums = FourthOrderSums(part, T, tuple(acc), dephasing)
    result.seconds = time.perf_counter() - t_start
    return result


def distributed_superoperator(model: SpinPhononRates, temperature, order=4, **kw) -> np.ndarray:
    """``model.superoperator(temperature, order)`` (s^-1) with the fourth-order pair sum on Dask
    (:func:`fourth_order_sums`; keyword arguments go to it). Orders without a fourth-order part run here."""
    from ..quantum.orders import lookup_order

    part = lookup_order(order).fourth
    if part is None:
        return model.superoperator(temperature, order)
    result = fourth_order_sums(model, temperature, part, **kw)
    T = result.sums.temperatures
    R = model.superoperator(T, order, fourth=result.sums)
    return R[0] if np.ndim(temperature) == 0 else R
