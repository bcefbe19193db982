r"""The fourth-order pair sum of :class:`~spinbath.quantum.spin_phonon.SpinPhononRates`, cut into
independent chunks that can run in other processes (Dask workers: :mod:`spinbath.sweeps.pair_sum`).

The two-phonon rates are a sum over mode pairs (a, b), processes p and secular clusters c,

    J_c[t, (j, j')] = sum_{p, a, b} W_pab(T_t) Z_pjab conj(Z_pj'ab)        (cm^-1)

(docs/theory/spin-phonon.md). The single-process sweep visits it in *blocks* (tiles): a few modes a
of one cluster and one process against a window of the union of their partner ranges [b_lo, b_hi)
(sorted modes; ``SpinPhononRates._fourth_order_plan``).
A **chunk** is a run of consecutive blocks of one (cluster, process); its partial sums
(:class:`ChunkSums`) add up, chunk by chunk, to exactly the terms the single-process sweep adds,
so the total differs from it only by the order of the floating-point additions (~1e-15 relative).

A chunk carries only what it needs (:class:`PairChunk`): the couplings V^a (eigenbasis) of the
modes a of its blocks and of their partner range, their energies and widths, the cluster, and the
scalars of the model; the denominators are rebuilt from the energies in the worker. Its size is
set by two numbers:

    task_memory  bytes: the estimated peak of the arrays one chunk allocates (its couplings and
                 denominators, 88 d^2 bytes per mode, plus the largest block's work arrays and
                 64 KiB; tests/sweeps/test_pair_sum.py checks it against tracemalloc); blocks
                 are narrowed (fewer modes a, then a mode's partners split into windows) until one
                 fits, and a chunk closes before it would exceed it. The Python process itself
                 (~0.2-0.3 GB with numpy, scipy and dask) is extra.
    chunk_work   complex multiply-adds per chunk, sum over its blocks of A B (n_tri n_T + 4 d m)
                 (A, B: modes a and partners b of a block; m elements of the cluster, n_tri = m(m+1)/2;
                 n_T temperatures); by default the plan's total / 2000 within 2e9..2e10 (about
                 1-10 s on one core; :func:`auto_chunk_work`).

Both are part of the run's inputs (the partition follows from them), so chunks keep their meaning
across a resumed run.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

import numpy as np

from ..baths.lineshapes import lineshape as _lookup_lineshape
from .spin_phonon import (
    SpinPhononRates, _accumulate_pairs, _Cluster, _Modes,
    _mode_denominators, _pair_block, block_pair_bytes, factor_bytes, gram_bytes, gram_fixed_bytes, gram_pair_bytes,
    split_partners,
)

__all__ = ["PairChunkPlan", "PairChunk", "ChunkSums", "plan_chunks", "chunk_payload", "compute_pair_chunk",
           "inputs_hash", "auto_chunk_work", "DEFAULT_TASK_MEMORY", "DEFAULT_CHUNK_WORK", "MAX_AUTO_CHUNK_WORK",
           "AUTO_CHUNKS", "MODE_BYTES_PER_D2", "CHUNK_OVERHEAD_BYTES"]

#: Default memory bound of one chunk's arrays, bytes (1 GiB).
DEFAULT_TASK_MEMORY: int = 2**30
#: Least work per chunk, complex multiply-adds (about a second on one core).
DEFAULT_CHUNK_WORK: float = 2e9
#: Most work per chunk when it is chosen from the plan (``chunk_work=None``; ~10 s on one core).
MAX_AUTO_CHUNK_WORK: float = 2e10
#: Number of chunks a plan aims at when the work per chunk is chosen from it.
AUTO_CHUNKS: int = 2000


def auto_chunk_work(total_work: float) -> float:
    """Work per chunk chosen from the plan's total: total / AUTO_CHUNKS, within [DEFAULT_CHUNK_WORK,
    MAX_AUTO_CHUNK_WORK]. Small plans keep ~1 s chunks (an even spread over a few workers); large
    ones get fewer, larger chunks, over which the fixed cost of a chunk (shipping the couplings of
    its partner range, rebuilding their denominators) is spread: at 1e5 modes a diagonal-cluster
    chunk of 2e9 holds ~20 modes a against ~9000 partners. A function of the model only, never of
    the number of workers, so that a run resumes with any number of them."""
    return float(np.clip(total_work / AUTO_CHUNKS, DEFAULT_CHUNK_WORK, MAX_AUTO_CHUNK_WORK))
#: Bytes per mode and per d^2 held by a chunk: V^a as shipped (at most 16) and put back in place
#: (complex, 16), the denominators P, M (2 x 8) and the temporaries of building them (~40).
MODE_BYTES_PER_D2: int = 88
#: Bytes of a chunk that do not grow with its size (cluster indices, accumulators, small arrays).
CHUNK_OVERHEAD_BYTES: int = 64 * 2**10
_FORMAT = "spinbath-pair-chunks/2"


@dataclass(frozen=True)
class PairChunkPlan:
    """One chunk, as planned (indices only): number ``index`` in the run, cluster ``cluster``, process
    ("AE", "AA", "EE"), its blocks (a_idx, b_lo, b_hi) in sorted-mode indices, the mode ranges
    [a0, a1) and [u0, u1) they touch, its work (complex multiply-adds) and estimated peak bytes."""

    index: int
    cluster: int
    process: str
    blocks: tuple[tuple[np.ndarray, np.ndarray, np.ndarray], ...]
    a_range: tuple[int, int]
    b_range: tuple[int, int]
    work: float
    nbytes: int

    @property
    def n_pairs(self) -> int:
        """Pairs (a, b) inside the partner ranges of the chunk's blocks."""
        return int(sum(int((hi - lo).sum()) for _, lo, hi in self.blocks))


@dataclass(frozen=True)
class PairChunk:
    """A chunk with its data, ready to be shipped to a worker (:func:`compute_pair_chunk`).

    modes_a, modes_b: energies, widths (cm^-1) and couplings V^a in the eigenbasis (cm^-1) of the
    sorted modes [a0, a1) and [u0, u1); of the couplings only what the cluster's amplitudes read is
    shipped, the rows of its final levels and the columns of its initial levels (``rows``, ``cols``:
    V[:, rows, :] and V[:, :, cols]; a quarter of each matrix for a cluster between two doublets),
    and :meth:`couplings` puts them back in place (zeros elsewhere, never read). energies: levels of
    H (cm^-1); the model's lineshape name, truncation, common width (None: per-mode widths), eta and
    resonance window; dephasing rows ja, jb (None unless the cluster is the diagonal one).
    """

    plan: PairChunkPlan
    cl: _Cluster
    part: str
    energies: np.ndarray
    w_a: np.ndarray
    widths_a: np.ndarray
    V_rows_a: np.ndarray
    V_cols_a: np.ndarray
    w_b: np.ndarray
    widths_b: np.ndarray
    V_rows_b: np.ndarray
    V_cols_b: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    lineshape: str
    cutoff: float
    width: float | None
    eta: float
    resonance_window: float
    dephasing_rows: tuple[np.ndarray, np.ndarray] | None

    @property
    def nbytes(self) -> int:
        return int(sum(x.nbytes for x in (self.w_a, self.widths_a, self.V_rows_a, self.V_cols_a, self.w_b,
                                          self.widths_b, self.V_rows_b, self.V_cols_b)))

    def couplings(self, side: str) -> np.ndarray:
        """V (n, d, d) of side "a" or "b" with the shipped rows and columns in place, zeros elsewhere."""
        rows, cols = (self.V_rows_a, self.V_cols_a) if side == "a" else (self.V_rows_b, self.V_cols_b)
        d = self.energies.size
        V = np.zeros((rows.shape[0], d, d), dtype=complex)
        V[:, self.rows, :] = rows
        V[:, :, self.cols] = cols
        return V


@dataclass(frozen=True)
class ChunkSums:
    """Partial sums of one chunk: ``acc`` (n_T, m(m+1)/2) complex for its cluster and ``dephasing``
    (n_T, d(d-1)/2) real or None (cm^-1, see :class:`~spinbath.quantum.spin_phonon.FourthOrderSums`);
    ``seconds``: compute (wall) time in the worker; ``cpu_seconds``: the CPU time of that process
    meanwhile (the cost on a core of its own, on a machine shared with other jobs)."""

    index: int
    cluster: int
    acc: np.ndarray
    dephasing: np.ndarray | None
    seconds: float
    cpu_seconds: float = 0.0


def _per_pair_bytes(cl: _Cluster, d: int, n_T: int, diagonal: bool) -> int:
    """Bytes per pair (a, b) of a block's work arrays: the temperature-independent ones
    (:func:`~spinbath.quantum.spin_phonon.block_pair_bytes`), the thermal weights on the grid and
    kept (real, 8 n_T each, and their square root, 8 n_T), and for the diagonal cluster the dephasing
    terms (8 per pair of levels)."""
    return block_pair_bytes(cl) + 24 * n_T + (4 * d * (d - 1) if diagonal else 0)


def _block_bytes(cl: _Cluster, A: int, B: int, d: int, n_T: int, diagonal: bool) -> int:
    """Estimated peak bytes of the work arrays of one block of A modes a and B partners (with the
    fixed buffers of the real-coordinate pass, :func:`~spinbath.quantum.spin_phonon.gram_bytes`)."""
    return int(A * B * _per_pair_bytes(cl, d, n_T, diagonal) + factor_bytes(cl, d) * (A + B)
               + gram_bytes(cl, d, n_T, diagonal, A * B))


def _block_work(cl: _Cluster, A: int, B: int, d: int, n_T: int) -> float:
    return float(A * B * (cl.iu[0].size * n_T + 4 * d * cl.m))


def plan_chunks(model: SpinPhononRates, n_temperatures: int, task_memory: int = DEFAULT_TASK_MEMORY,
                chunk_work: float | None = None) -> list[PairChunkPlan]:
    """The chunks of the fourth-order sweep of ``model`` at ``n_temperatures`` temperatures.

    Blocks are the single-process sweep's, narrowed where one would exceed ``task_memory`` (bytes):
    fewer modes a, and where a single mode a against all its partners is still too large, its
    partners split into consecutive windows. Consecutive blocks of one (cluster, process) form a
    chunk until it would exceed ``task_memory`` or ``chunk_work`` (complex multiply-adds; None:
    :func:`auto_chunk_work` of the plan's total).
    ValueError if one mode a against one partner does not fit (the message gives the size needed).
    """
    task_memory, d, n_T = int(task_memory), model.dim, int(n_temperatures)
    if task_memory <= 0:
        raise ValueError(f"task_memory must be > 0 bytes, got {task_memory}")
    if chunk_work is not None and not chunk_work > 0:
        raise ValueError(f"chunk_work must be > 0, got {chunk_work}")
    c0 = model._diagonal_pairs[0]
    mode_bytes = MODE_BYTES_PER_D2 * d * d + 16
    budget = task_memory - CHUNK_OVERHEAD_BYTES  # for the arrays that grow with the chunk

    def max_rows(cl: _Cluster, counts: np.ndarray) -> int:
        # Modes a per block such that the block's arrays and the modes it touches fit; a single mode
        # whose partners do not fit is split over its partners below.
        widest = int(counts.max())
        for rows in (256, 128, 64, 32, 16, 8, 4, 2):
            # bound on the union of the partner ranges of `rows` neighbours, or on a tile of them
            B = min(rows + 2 * widest, model._block_cols(cl, rows))
            if _block_bytes(cl, rows, B, d, n_T, cl is model.clusters[c0]) + mode_bytes * (rows + B) <= budget:
                return rows
        return 1

    def fitting(c: int, a_idx: np.ndarray, b_lo: np.ndarray, b_hi: np.ndarray):
        cl = model.clusters[c]
        A, B = a_idx.size, int(b_hi.max()) - int(b_lo.min())
        span = int(a_idx[-1]) + 1 - int(a_idx[0])  # the modes a the chunk holds (active or not)
        if _block_bytes(cl, A, B, d, n_T, c == c0) + mode_bytes * (span + B) <= budget:
            yield a_idx, b_lo, b_hi
            return
        per_col = A * (_per_pair_bytes(cl, d, n_T, c == c0) + gram_pair_bytes(cl, d, n_T, c == c0)) \
            + factor_bytes(cl, d) + mode_bytes
        fixed = A * factor_bytes(cl, d) + span * mode_bytes + gram_fixed_bytes(cl, d, n_T, c == c0)
        cols = (budget - fixed) // per_col
        if cols < 1:
            need = per_col + fixed + CHUNK_OVERHEAD_BYTES
            raise ValueError(f"task_memory = {task_memory} bytes is less than a block of {A} mode(s) a and one "
                             f"partner needs ({need / 2**20:.2f} MiB); raise it")
        yield from split_partners(a_idx, b_lo, b_hi, int(cols))

    plans: list[PairChunkPlan] = []
    current: dict | None = None

    def close() -> None:
        nonlocal current
        if current is not None:
            plans.append(PairChunkPlan(len(plans), current["c"], current["p"], tuple(current["blocks"]),
                                       tuple(current["a"]), tuple(current["b"]), current["work"], current["bytes"]))
        current = None

    blocks = [(c, p, *piece) for c, p, a_idx, b_lo, b_hi in model._fourth_order_plan(max_rows)
              for piece in fitting(c, a_idx, b_lo, b_hi)]
    if chunk_work is None:
        chunk_work = auto_chunk_work(sum(_block_work(model.clusters[c], a_idx.size, int(b_hi.max()) - int(b_lo.min()),
                                                     d, n_T) for c, _, a_idx, b_lo, b_hi in blocks))
    for c, process, a_idx, b_lo, b_hi in blocks:
        cl = model.clusters[c]
        u0, u1 = int(b_lo.min()), int(b_hi.max())
        if u1 <= u0:
            continue
        A, B = a_idx.size, u1 - u0
        work = _block_work(cl, A, B, d, n_T)
        peak = _block_bytes(cl, A, B, d, n_T, c == c0)
        if current is not None and (current["c"], current["p"]) == (c, process):
            a = (current["a"][0], int(a_idx[-1]) + 1)
            b = (min(current["b"][0], u0), max(current["b"][1], u1))
            held = mode_bytes * (a[1] - a[0] + b[1] - b[0])
            if current["work"] + work <= chunk_work and held + max(current["peak"], peak) <= budget:
                current["blocks"].append((a_idx, b_lo, b_hi))
                current.update(a=a, b=b, work=current["work"] + work, peak=max(current["peak"], peak),
                               bytes=held + max(current["peak"], peak) + CHUNK_OVERHEAD_BYTES)
                continue
        close()
        a, b = (int(a_idx[0]), int(a_idx[-1]) + 1), (u0, u1)
        current = dict(c=c, p=process, blocks=[(a_idx, b_lo, b_hi)], a=a, b=b, work=work, peak=peak,
                       bytes=mode_bytes * (a[1] - a[0] + b[1] - b[0]) + peak + CHUNK_OVERHEAD_BYTES)
    close()
    return plans


def chunk_payload(model: SpinPhononRates, plan: PairChunkPlan, part: str = "virtual") -> PairChunk:
    """The data of chunk ``plan`` taken from ``model`` (copies of the slices, so that shipping the
    chunk does not ship the model)."""
    (a0, a1), (u0, u1) = plan.a_range, plan.b_range
    w, wd, Vt = model.mode_energies_sorted, model._widths, model.couplings_eigenbasis
    c0, pos, pa, pb = model._diagonal_pairs
    cl = model.clusters[plan.cluster]
    rows, cols = np.unique(cl.f), np.unique(cl.i)
    d = model.dim
    if (rows.size + cols.size) * d >= d * d:  # no saving: the whole matrix, once
        rows, cols = np.arange(d), np.zeros(0, dtype=np.int64)
    return PairChunk(
        plan=plan, cl=cl, part=part, energies=np.array(model.energies),
        w_a=w[a0:a1].copy(), widths_a=wd[a0:a1].copy(), V_rows_a=Vt[a0:a1, rows, :], V_cols_a=Vt[a0:a1, :, cols],
        w_b=w[u0:u1].copy(), widths_b=wd[u0:u1].copy(), V_rows_b=Vt[u0:u1, rows, :], V_cols_b=Vt[u0:u1, :, cols],
        rows=rows, cols=cols,
        lineshape=model.lineshape.name, cutoff=float(model.cutoff), width=None if model._per_mode else model.width,
        eta=float(model.eta), resonance_window=float(model.resonance_window),
        dephasing_rows=(pos[pa], pos[pb]) if plan.cluster == c0 else None)


def compute_pair_chunk(chunk: PairChunk, temperatures: np.ndarray) -> ChunkSums:
    """Partial fourth-order sums of one chunk at ``temperatures`` (K), with one BLAS thread.

    The blocks are those of the single-process sweep (``spinbath.quantum.spin_phonon._pair_block``),
    so the chunk adds exactly its share of J_c and of the dephasing sums.
    """
    from .blas import single_threaded_blas

    t0, c0 = time.perf_counter(), time.process_time()
    T = np.asarray(temperatures, dtype=float)
    plan, cl = chunk.plan, chunk.cl
    shape = _lookup_lineshape(chunk.lineshape)
    (a0, _), (u0, _) = plan.a_range, plan.b_range
    modes = []
    for start, w, wd, side in ((a0, chunk.w_a, chunk.widths_a, "a"), (u0, chunk.w_b, chunk.widths_b, "b")):
        P, M = _mode_denominators(chunk.energies, w, wd, chunk.part, shape, chunk.eta, chunk.resonance_window)
        modes.append(_Modes(start, w, wd, chunk.couplings(side), P, M))
    acc = np.zeros((T.size, cl.iu[0].size), dtype=complex)
    dephasing = None if chunk.dephasing_rows is None else np.zeros((T.size, chunk.dephasing_rows[0].size))
    with single_threaded_blas():
        for a_idx, b_lo, b_hi in plan.blocks:
            ch = _pair_block(plan.cluster, cl, plan.process, a_idx, b_lo, b_hi, modes[0], shape, chunk.cutoff,
                             chunk.width, modes[1])
            if ch is None:
                continue
            _accumulate_pairs(acc, cl, ch, modes[0].w[ch.ia - a0], modes[1].w[ch.b0 - u0 : ch.b0 - u0 + ch.nb], T,
                              dephasing, chunk.dephasing_rows)
    return ChunkSums(plan.index, plan.cluster, acc, dephasing, time.perf_counter() - t0, time.process_time() - c0)


def inputs_hash(model: SpinPhononRates, part: str, temperatures: np.ndarray, task_memory: int,
                chunk_work: float | None, plans: list[PairChunkPlan] | None = None) -> str:
    """24 hex digits of SHA-256 over everything a chunk's sums depend on: the levels and eigenvectors,
    the sorted modes (energies, widths, couplings), the secular clusters, the lineshape and its
    truncation, eta, the resonance window, the part, the temperatures, the partition knobs
    (``task_memory``, ``chunk_work``, ``block_size``) and, when given, the chunks themselves (their
    blocks' mode indices: a change in how chunks are cut never reuses a chunk file of another cut),
    and whether the sweep uses time reversal (:mod:`spinbath.quantum.time_reversal`)."""
    from .. import __version__

    h = hashlib.sha256()
    for x in (model.energies, model.eigenvectors, model.mode_energies_sorted, model._widths,
              model.couplings_eigenbasis, model.labels, np.asarray(temperatures, dtype=float)):
        a = np.ascontiguousarray(x)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    h.update(repr((_FORMAT, __version__, part, model.lineshape.name, float(model.cutoff), model.width,
                   model._per_mode, float(model.eta), float(model.resonance_window), float(model.secular_tol),
                   int(model.block_size), int(task_memory), None if chunk_work is None else float(chunk_work),
                   sorted(model._mirrors), model.symmetry is not None, sorted(model._reversed))).encode())
    for p in plans or ():
        h.update(repr((p.index, p.cluster, p.process, p.a_range, p.b_range)).encode())
        for a_idx, b_lo, b_hi in p.blocks:
            for x in (a_idx, b_lo, b_hi):
                h.update(np.ascontiguousarray(x, dtype=np.int64).tobytes())
    return h.hexdigest()[:24]
