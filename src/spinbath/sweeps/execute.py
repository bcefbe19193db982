"""Where the tasks of a sweep run: in this process, on an embedded local Dask cluster, or on a
running dask.distributed cluster.

Choice (:func:`choose_backend`), first match wins:

    --serial                          in this process, one task after the other (no Dask; debugging)
    --scheduler ADDRESS               an existing cluster (e.g. tcp://10.0.0.5:8786)
    SPINBATH_SCHEDULER=ADDRESS        the same, from the environment
    (default)                         an embedded LocalCluster: worker processes, one per core

The local cluster uses processes (not threads: the studies are numpy/scipy/numba code that holds
the GIL between calls), ``threads_per_worker = 1``, and sets OMP_NUM_THREADS, OPENBLAS_NUM_THREADS,
MKL_NUM_THREADS, VECLIB_MAXIMUM_THREADS, NUMEXPR_NUM_THREADS and NUMBA_NUM_THREADS to 1 in the
worker processes before they import numpy, so N workers use N cores instead of N x (BLAS threads).
``--workers N`` sets its size (default: the cores this process may use, never more than the number
of tasks); with a scheduler it means "wait until N workers have connected". No dashboard is
started. For an external cluster, start its workers with ``--nthreads 1`` and the same variables
(see README).

:meth:`Executor.run` yields one :class:`Outcome` per task as tasks finish, in completion order; the
caller checkpoints and reports them. A task that raises yields an Outcome with the error and does
not stop the others. A worker that dies while running a task (e.g. killed for memory) makes Dask
retry the task elsewhere, and after repeated deaths report it as failed (KilledWorker).
"""

from __future__ import annotations

import contextvars
import os
import sys
import time
import traceback
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ..config.base import ConfigError
from .tasks import compute_task

__all__ = ["Backend", "Job", "Outcome", "Executor", "choose_backend", "WORKER_ENV", "SCHEDULER_ENV_VAR",
           "default_workers", "RunOptions", "run_options", "current_run_options", "task_backend"]

SCHEDULER_ENV_VAR = "SPINBATH_SCHEDULER"
#: How long to keep trying to reach a scheduler before calling the address bad input.
CONNECT_TIMEOUT = "20s"

#: Environment of each worker process: one thread per numerical library (one core per worker), and
#: glibc malloc thresholds. Dask's own default MALLOC_TRIM_THRESHOLD_ = 65536 (which returns freed
#: memory to the system early) switches off glibc's adaptive mmap threshold, so every array above
#: 128 KiB is a fresh mmap whose pages fault in again: the fourth-order pair sum, which allocates
#: MB-sized temporaries per block, ran 1.3-2.7x slower per chunk in such a worker than in a plain
#: process (benchmarks/bench_fourth_order_dask.py, 2026-12-04). Arrays below 32 MiB now come from
#: the heap and are reused; larger ones are still mapped and returned when freed, and free heap
#: memory above 64 MiB is trimmed.
WORKER_ENV = {**{name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                         "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS", "NUMBA_NUM_THREADS")},
              "MALLOC_MMAP_THRESHOLD_": str(32 * 2**20), "MALLOC_TRIM_THRESHOLD_": str(64 * 2**20)}


@dataclass(frozen=True)
class Backend:
    """kind: "serial", "local" (embedded LocalCluster) or "scheduler" (address of a running one).
    workers: size of the local cluster, or the number of workers to wait for on a scheduler."""

    kind: Literal["serial", "local", "scheduler"]
    address: str | None = None
    workers: int | None = None

    def describe(self) -> str:
        if self.kind == "serial":
            return "serial (this process)"
        if self.kind == "local":
            return f"local Dask cluster, {self.workers or default_workers()} worker processes"
        return f"Dask scheduler {self.address}"


@dataclass(frozen=True)
class Job:
    """One computation: the task key, the study and the validated config."""

    key: str
    study: Any
    config: Any


@dataclass(frozen=True)
class Outcome:
    """Result of one job: the dataset (for :meth:`Executor.map_unordered`: the function's result) and
    compute seconds, or the error (one line) and traceback."""

    key: str
    dataset: Any = None
    seconds: float = 0.0
    error: str | None = None
    traceback: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class RunOptions:
    """The command line's --scheduler, --workers, --serial and the results path, for work split into
    Dask tasks *inside* one study run (the fourth-order pair sum, :mod:`spinbath.sweeps.pair_sum`).
    ``results``: the results file the run will write (its run folders go beside it), or None."""

    scheduler: str | None = None
    workers: int | None = None
    serial: bool = False
    results: str | None = None

    @property
    def asks_for_dask(self) -> bool:
        """--scheduler or --workers given: the user wants the work on Dask."""
        return bool(self.scheduler) or self.workers is not None


_RUN_OPTIONS: contextvars.ContextVar[RunOptions] = contextvars.ContextVar("spinbath_run_options",
                                                                          default=RunOptions())


class run_options:
    """Context manager: ``with run_options(workers=2, results="x.nc"): study.run(cfg)`` (the CLI and
    :func:`spinbath.run` wrap a study run in it)."""

    def __init__(self, **kw):
        self.options = RunOptions(**kw)

    def __enter__(self) -> RunOptions:
        self._token = _RUN_OPTIONS.set(self.options)
        return self.options

    def __exit__(self, *exc) -> None:
        _RUN_OPTIONS.reset(self._token)


def current_run_options() -> RunOptions:
    """The :class:`RunOptions` of the study run in progress (all unset outside one)."""
    return _RUN_OPTIONS.get()


def default_workers() -> int:
    """Cores this process may run on (the affinity mask, e.g. under taskset or a batch system)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def choose_backend(serial: bool = False, scheduler: str | None = None, workers: int | None = None,
                   environ=None) -> Backend:
    """Backend from the command-line choices and ``SPINBATH_SCHEDULER`` (see module docstring)."""
    environ = os.environ if environ is None else environ
    if workers is not None and workers < 1:
        raise ConfigError(f"--workers must be >= 1, got {workers}")
    if serial:
        if scheduler:
            raise ConfigError("--serial and --scheduler exclude each other")
        if workers is not None:
            raise ConfigError("--workers has no meaning with --serial (one task at a time in this process)")
        return Backend("serial")
    address = scheduler or environ.get(SCHEDULER_ENV_VAR) or None
    if address:
        return Backend("scheduler", address=address.strip(), workers=workers)
    return Backend("local", workers=workers)


def task_backend(section) -> Backend | None:
    """Where the tasks of work split up *inside* one study run go (the fourth-order pair sum of
    spin-phonon, the field nodes of hysteresis): None (in this process, as one computation) unless
    ``section.backend`` is "dask" or the command line gives --workers or --scheduler; then the Backend
    of :func:`choose_backend` from the command-line options first, then ``section.workers`` and
    ``section.scheduler``, then ``SPINBATH_SCHEDULER`` (--serial: one task after the other here).

    ``section``: a :class:`~spinbath.config.base.TaskBackendConfig` (backend, workers, scheduler).
    """
    opts = current_run_options()
    if not (section.backend == "dask" or opts.asks_for_dask):
        return None
    return choose_backend(serial=opts.serial, scheduler=opts.scheduler or section.scheduler,
                          workers=opts.workers if opts.workers is not None else section.workers)


def _error_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _run_serial(jobs: Sequence[Job]) -> Iterator[Outcome]:
    for job in jobs:
        try:
            ds, seconds = compute_task(job.study, job.config)
        except Exception as exc:  # a failing task is reported, the sweep goes on
            yield Outcome(job.key, error=_error_line(exc), traceback=traceback.format_exc())
        else:
            yield Outcome(job.key, dataset=ds, seconds=seconds)


def _import_module(name: str) -> bool:
    import importlib

    importlib.import_module(name)
    return True


def _dask():
    try:
        import distributed
    except ImportError:
        raise ConfigError("parallel sweeps need dask.distributed, a dependency of spinbath: "
                          "pip install 'dask[distributed]' (or run with --serial)") from None
    return distributed


def _open_client(backend: Backend, n_jobs: int):
    """A connected Client (and the LocalCluster it owns, or None)."""
    import logging

    distributed = _dask()
    if backend.kind == "local":
        import dask

        n = max(1, min(backend.workers or default_workers(), n_jobs))
        # Set twice on purpose: pre-spawn-environ reaches the worker before its interpreter starts
        # (BLAS libraries read these variables once, at import) but only while this block runs;
        # env stays with each nanny, so a worker it restarts (e.g. after running out of memory)
        # gets them too (dask's own pre-spawn default already covers OMP/MKL/OpenBLAS there).
        with dask.config.set({"distributed.nanny.pre-spawn-environ": {
                **dask.config.get("distributed.nanny.pre-spawn-environ", {}), **WORKER_ENV}}):
            cluster = distributed.LocalCluster(
                n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                env=dict(WORKER_ENV), silence_logs=logging.ERROR)
        try:
            return distributed.Client(cluster), cluster
        except BaseException:
            cluster.close()
            raise
    try:
        client = distributed.Client(backend.address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as err:
        raise ConfigError(f"cannot connect to the dask scheduler at {backend.address!r}: {err}") from None
    return client, None


def _prepare_workers(client, backend: Backend, module: str) -> None:
    if backend.kind == "scheduler":
        n = backend.workers or 1
        if len(client.scheduler_info(n_workers=-1).get("workers", {})) < n:
            from ..progress import is_quiet

            if not is_quiet():
                print(f"waiting for {n} worker(s) to connect to {backend.address} ...", file=sys.stderr,
                      flush=True)
            client.wait_for_workers(n)
    try:
        # Import the study on every worker now: the first tasks then measure compute, not imports,
        # and a cluster without spinbath fails here with one clear message.
        client.run(_import_module, module)
    except Exception as err:
        raise ConfigError(f"the Dask workers cannot import {module} ({_error_line(err)}); "
                          "install spinbath in the workers' environment") from None
    if backend.kind == "scheduler":
        _warn_oversubscription(client)


def _thread_env() -> dict[str, str | None]:
    return {k: os.environ.get(k) for k in WORKER_ENV}


def _warn_oversubscription(client) -> None:
    """One line on stderr if external workers may run several BLAS threads per task."""
    threads = set(client.nthreads().values())
    envs = client.run(_thread_env).values()
    unset = sorted({k for env in envs for k, v in env.items() if v != "1" and k in ("OMP_NUM_THREADS",
                                                                                      "OPENBLAS_NUM_THREADS")})
    if threads - {1} or unset:
        print("note: for one task per core, start the dask workers with --nthreads 1 and "
              "OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 (found "
              f"nthreads {sorted(threads)}{', unset/other: ' + ', '.join(unset) if unset else ''})",
              file=sys.stderr)


class Executor:
    """The backend, opened: ``with Executor(backend, n_jobs, module) as ex: for o in ex.run(jobs)``.

    Entering starts the local cluster or connects to the scheduler and imports ``module`` (the
    study) on every worker, so that a bad address or a cluster without spinbath is reported
    (ConfigError) before anything is written. Leaving shuts down what was started.
    """

    def __init__(self, backend: Backend, n_jobs: int, module: str):
        self.backend, self.n_jobs, self.module = backend, n_jobs, module
        self.client = self.cluster = None

    def __enter__(self) -> "Executor":
        if self.backend.kind != "serial":
            self.client, self.cluster = _open_client(self.backend, self.n_jobs)
            try:
                _prepare_workers(self.client, self.backend, self.module)
            except BaseException:
                self.__exit__(None, None, None)
                raise
        return self

    def __exit__(self, *exc) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        self.client = self.cluster = None

    @property
    def n_workers(self) -> int:
        if self.client is None:
            return 1
        return len(self.client.scheduler_info(n_workers=-1).get("workers", {}))

    def map_unordered(self, fn, items: Iterable[tuple[str, tuple]], in_flight: int | None = None) -> Iterator[Outcome]:
        """Yield one Outcome per (key, args) of ``items``, in completion order: ``fn(*args)`` as its
        ``dataset`` (any result), or the error. ``items`` is consumed lazily and at most ``in_flight``
        calls (default: twice the workers) are submitted at a time, so large arguments built on
        demand are never all in memory (here or on the scheduler) at once."""
        items = iter(items)
        if self.client is None:
            for key, args in items:
                t0 = time.perf_counter()
                try:
                    value = fn(*args)
                except Exception as exc:  # reported, the others go on
                    yield Outcome(key, error=_error_line(exc), traceback=traceback.format_exc())
                else:
                    yield Outcome(key, dataset=value, seconds=time.perf_counter() - t0)
            return
        distributed = _dask()
        token = uuid.uuid4().hex[:8]
        limit = max(1, in_flight or 2 * self.n_workers)
        pending = distributed.as_completed()
        futures = {}

        def submit_next() -> bool:
            for key, args in items:
                # Scatter the arguments first: large arrays then travel to a worker directly instead of
                # inside the task graph (which dask warns about, and which the scheduler would hold).
                data = self.client.scatter([args], hash=False)[0]
                f = self.client.submit(_call, fn, data, key=f"spinbath-{key}-{token}", pure=False)
                futures[f] = (key, data)
                pending.add(f)
                return True
            return False

        for _ in range(limit):
            if not submit_next():
                break
        try:
            for f in pending:
                key, data = futures.pop(f)
                outcome = _outcome_of(f, key, unpack=False)
                f.release()
                data.release()
                submit_next()
                yield outcome
        finally:
            for f, (_, data) in futures.items():  # interrupted: do not leave work queued on a shared cluster
                f.cancel()
                data.release()

    def run(self, jobs: Sequence[Job]) -> Iterator[Outcome]:
        """Yield one Outcome per job, in completion order."""
        if self.client is None:
            yield from _run_serial(jobs)
            return
        distributed = _dask()
        token = uuid.uuid4().hex[:8]
        futures = {}
        for job in jobs:
            # A unique key per submission: a shared scheduler never merges two clients' runs.
            f = self.client.submit(compute_task, job.study, job.config, key=f"spinbath-{job.key}-{token}",
                                   pure=False)
            futures[f] = job.key
        try:
            for f in distributed.as_completed(list(futures)):
                key = futures.pop(f)
                yield _outcome_of(f, key)
                f.release()
        finally:
            for f in futures:  # interrupted: do not leave work queued on a shared cluster
                f.cancel()


def _call(fn, args: tuple):
    """``fn(*args)`` (the task of :meth:`Executor.map_unordered`; args arrive as one scattered tuple)."""
    return fn(*args)


def _outcome_of(f, key: str, unpack: bool = True) -> Outcome:
    if f.status == "finished":
        try:
            result = f.result()
            ds, seconds = result if unpack else (result, 0.0)
        except Exception as exc:  # e.g. the result could not be deserialized
            return Outcome(key, error=_error_line(exc), traceback=traceback.format_exc())
        return Outcome(key, dataset=ds, seconds=seconds)
    if f.status == "error":
        exc = f.exception()
        tb = "".join(traceback.format_exception(type(exc), exc, f.traceback()))
        return Outcome(key, error=_error_line(exc), traceback=tb)
    return Outcome(key, error=f"task {f.status} by the Dask cluster")
