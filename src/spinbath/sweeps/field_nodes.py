"""The rates of a field sweep at its field nodes as Dask tasks (study ``hysteresis``, [method.field_nodes]).

A loop of the ``hysteresis`` study needs the spin-phonon rate superoperator R(b, T) at every field
node b of its down branch (the up branch revisits them), plus one model at the ZFC/FC field (all
ZFC temperatures) and one at zero field (tau(T)). :func:`field_rates` computes them with a
:class:`~spinbath.quantum.field_rates.PhononFieldRates` ``provider`` on the sweeps' backends
(``spinbath.sweeps.execute``: an embedded LocalCluster by default, ``--scheduler`` /
``SPINBATH_SCHEDULER`` for a running cluster, ``--serial`` in this process), as
:mod:`spinbath.sweeps.pair_sum` does for the fourth-order pair sum.

Tasks. Only the nodes the provider must compute from scratch go out
(:meth:`~spinbath.quantum.field_rates.PhononFieldRates.direct_fields`: b >= 0 when time reversal
gives R(-b) = conj(R(b)), every field otherwise); the nodes at -b are derived here, as in a serial
run. The fields are dealt round-robin into ``tasks_per_worker`` batches per worker (neighbouring
fields cost alike, so the batches do too); the ZFC/FC model and the zero-field stack are one task
each and go first (the largest). Every task receives a copy of the provider (its bath, a few MB for
825 modes; pickled without the node cache) and computes with one BLAS thread, so R at every node
is the one a serial run computes, bit for bit (same code, same inputs, same thread count):
tests/studies/test_hysteresis_dask.py checks it to 1e-12.

No run folder: a field node of order 2+4 costs seconds, not hours, so a failed task fails the call
(RuntimeError naming the first error) and the run is simply started again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..quantum.field_rates import PhononFieldRates
from ..quantum.field_sweep import SweepNode
from .execute import Backend, Executor

__all__ = ["field_rates", "FieldRatesResult", "compute_requests", "TASKS_PER_WORKER"]

#: Batches of field nodes per worker: enough for load balance and a moving progress bar, few enough
#: that the provider (shipped with every task) costs nothing next to the rates.
TASKS_PER_WORKER = 4

#: The provider methods a task may call, with the units of work (field nodes) each counts for.
_REQUESTS = {"node": 1, "temperature_nodes": 1, "zero_field_stack": 1}


@dataclass
class FieldRatesResult:
    """What :func:`field_rates` computed.

    nodes: the SweepNodes at ``fields``, in order (R in s^-1, all provider temperatures).
    zfc_nodes: one node per ZFC/FC temperature at the ZFC/FC field (or None if not asked).
    zero_field: (E cm^-1, U, R (n_T, d^2, d^2) s^-1) at zero field (or None if not asked).
    tasks: number of Dask tasks; direct: nodes computed in tasks; derived: nodes derived here by
    time reversal. backend: where the tasks ran. seconds: wall time; task_seconds: compute time of
    each task in its worker (s).
    """

    nodes: list[SweepNode]
    zfc_nodes: list[SweepNode] | None = None
    zero_field: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    tasks: int = 0
    direct: int = 0
    derived: int = 0
    backend: str = ""
    seconds: float = 0.0
    task_seconds: list[float] = field(default_factory=list)


def compute_requests(provider: PhononFieldRates, requests: list[tuple]) -> tuple[list, float]:
    """Run ``requests`` [(method, *args), ...] on ``provider`` (one Dask task): ``getattr(provider,
    method)(*args)`` for each, with one BLAS thread (the provider's own methods ensure it). Returns
    the results in order and the compute time (s)."""
    t0 = time.perf_counter()
    out = []
    for name, *args in requests:
        if name not in _REQUESTS:
            raise ValueError(f"unknown field-rates request {name!r}")
        out.append(getattr(provider, name)(*args))
    return out, time.perf_counter() - t0


def _batches(fields: list[float], n: int) -> list[list[float]]:
    """``fields`` dealt round-robin into at most ``n`` non-empty batches."""
    n = max(1, min(n, len(fields)))
    return [fields[k::n] for k in range(n)] if fields else []


def field_rates(provider: PhononFieldRates, fields, *, backend: Backend, zfc: tuple[float, np.ndarray] | None = None,
                zero_field_temperatures: np.ndarray | None = None, progress: Callable[[int], None] | None = None,
                tasks_per_worker: int = TASKS_PER_WORKER) -> FieldRatesResult:
    """The nodes at ``fields`` (T), and optionally the ZFC/FC and zero-field models, on Dask.

    Parameters
    ----------
    provider : PhononFieldRates
        The spin + bath model (built once here; a copy goes with every task).
    fields : array_like
        Field nodes b (T) along the provider's direction.
    backend : Backend
        Where the tasks run (``spinbath.sweeps.execute.task_backend``).
    zfc : (b, temperatures), optional
        ``provider.temperature_nodes(b, temperatures)`` (T, K) as one task.
    zero_field_temperatures : array_like, optional
        ``provider.zero_field_stack(temperatures)`` (K) as one task.
    progress : callable, optional
        ``progress(n)``: n more field nodes done (a node, the ZFC/FC model and the zero-field stack
        count one each, as in the serial loop of the study).
    tasks_per_worker : int
        Batches of direct field nodes per worker.

    Returns
    -------
    FieldRatesResult
        The nodes also sit in ``provider``'s cache afterwards.

    Raises
    ------
    RuntimeError
        A task failed (its error and the number of failed tasks in the message).
    """
    t_start = time.perf_counter()
    advance = progress or (lambda n=1: None)
    fields = np.asarray(fields, float).ravel()
    direct = provider.direct_fields(fields)
    extra: list[tuple[str, list[tuple]]] = []
    if zfc is not None:
        extra.append(("zfc", [("temperature_nodes", float(zfc[0]), np.asarray(zfc[1], float))]))
    if zero_field_temperatures is not None:
        extra.append(("zero", [("zero_field_stack", np.asarray(zero_field_temperatures, float))]))
    result = FieldRatesResult(nodes=[], backend=backend.describe(), direct=len(direct))
    failures: dict[str, str] = {}
    with Executor(backend, len(direct) + len(extra), "spinbath.quantum.field_rates") as executor:
        batches = _batches(direct, tasks_per_worker * executor.n_workers)
        items = extra + [(f"b{k:04d}", [("node", b) for b in batch]) for k, batch in enumerate(batches)]
        result.tasks = len(items)
        for outcome in executor.map_unordered(compute_requests, ((key, (provider, req)) for key, req in items)):
            if not outcome.ok:
                failures[outcome.key] = outcome.error
                continue
            values, seconds = outcome.dataset
            result.task_seconds.append(seconds)
            if outcome.key == "zfc":
                result.zfc_nodes = values[0]
            elif outcome.key == "zero":
                result.zero_field = values[0]
            else:
                provider.add_nodes(values)
            advance(len(values))
    if failures:
        raise RuntimeError(f"{len(failures)} of {result.tasks} field-rate tasks failed "
                           f"(first: {next(iter(failures.values()))})")
    for b in fields:
        derived = not provider.is_cached(b)  # -b of a direct node (time reversal): derived here, as serially
        result.nodes.append(provider.node(b))
        if derived:
            result.derived += 1
            advance(1)
    advance(fields.size - len(direct) - result.derived)  # repeated fields count as in the serial loop
    result.seconds = time.perf_counter() - t_start
    return result
