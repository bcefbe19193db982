r"""Spin-phonon rate superoperators at second and fourth order (Lindblad form, secular).

Spin H_s (cm^-1) linearly coupled to discrete phonon modes, H = H_s + sum_a hbar w_a (n_a + 1/2) +
sum_a V^a Q_a with Q_a = a_a + a_a^+ and V^a = dH_s/dQ_a (cm^-1 per unit Q). R^(2) (one-phonon,
Redfield/Davies) and R^(4) (two-phonon, T-matrix) rate superoperators in s^-1 on vec(rho) (column
stacking), secular, with jump operators A^k_fi = sqrt(2 pi / hbar B_k g_k(w_fi - Omega_k)) M^k_fi
and exact detailed balance at any line width: A. Lunghi, Sci. Adv. 8, eabn7880 (2022),
doi:10.1126/sciadv.abn7880. The derivation (energy-conserving phonon energies, the virtual and
sequential parts of the two-phonon amplitude, time reversal, the secular clusters, degenerate
levels, and how the fourth-order sweep is organized) is in docs/theory/spin-phonon.md; units
follow the Conventions page (docs/conventions.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import cache, cached_property

import numpy as np

from ..baths.lineshapes import Lineshape, lineshape as _lookup_lineshape
from ..baths.phonons import PhononBath
from ..spins.hamiltonian import deterministic_phase
from ..units import CM_TO_RAD_PER_S, KB_CM
from .liouville import lindblad_dissipator, tensor_to_superoperator
from .orders import lookup_order
from .temperatures import check_temperatures
from .time_reversal import RealForm, Symmetry, find_symmetry, real_form, spin_time_reversal

__all__ = [
    "RATE_PREFACTOR", "DEFAULT_SECULAR_TOL", "DEFAULT_ETA", "RESONANCE_WINDOW", "diagonalize", "secular_clusters",
    "SpinPhononRates", "FourthOrderSums", "spin_phonon_superoperator",
]

#: 2 pi / hbar in s^-1 per cm^-1 (hbar = 1 / (2 pi c), c in cm/s): rate = RATE_PREFACTOR |V|^2 g.
RATE_PREFACTOR: float = 2.0 * np.pi * CM_TO_RAD_PER_S
#: Default secular tolerance on Bohr-frequency differences, cm^-1.
DEFAULT_SECULAR_TOL: float = 1e-4
#: Half width of the resonance window of a fourth-order path, in units of the phonon's line width
#: (Gaussian standard deviation or Lorentzian HWHM): sqrt(2 ln 1e8), the reach of a Gaussian line
#: truncated at 1e-8 of its peak (the default truncation).
RESONANCE_WINDOW: float = float(np.sqrt(2.0 * np.log(1e8)))
#: Default extra Lorentzian width of fourth-order intermediate states, cm^-1 (0: the eta -> 0 limit).
DEFAULT_ETA: float = 0.0

_PROCESSES = ("AE", "AA", "EE")  # absorb a/emit b, absorb both, emit both
#: The two parts of the fourth-order amplitude (docs/theory/spin-phonon.md).
_PARTS = ("virtual", "resonant")


def diagonalize(H: np.ndarray, basis_operator: np.ndarray | None = None,
                degeneracy_tol: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (ascending, cm^-1) and eigenvectors (columns) of a Hermitian H.

    Inside each degenerate level (eigenvalues within ``degeneracy_tol`` cm^-1 of their neighbour;
    default 1e-9 of the spectral width plus 1e-12 cm^-1) the basis diagonalizes ``basis_operator``
    (Hermitian, same basis as H) when one is given, in ascending order of its eigenvalues; otherwise
    it is whatever LAPACK returns. Phase convention: in each eigenvector the component of largest
    modulus (the first one on ties) is real and positive.
    """
    E, U = np.linalg.eigh(np.asarray(H))
    if basis_operator is not None:
        O = np.asarray(basis_operator)
        tol = (1e-9 * float(np.ptp(E)) + 1e-12) if degeneracy_tol is None else float(degeneracy_tol)
        start = 0
        for stop in range(1, E.size + 1):
            if stop == E.size or E[stop] - E[stop - 1] > tol:
                if stop - start > 1:
                    block = U[:, start:stop]
                    _, w = np.linalg.eigh(block.conj().T @ O @ block)
                    U[:, start:stop] = block @ w
                start = stop
    return E, deterministic_phase(U)


def _refine_clusters(labels: np.ndarray, key: np.ndarray, tol: float) -> np.ndarray:
    """Split every cluster of ``labels`` into single-linkage groups of ``key`` (gaps > tol); new labels
    are numbered in order of (old label, key)."""
    flat_l, flat_k = labels.ravel(), key.ravel()
    order = np.lexsort((flat_k, flat_l))
    new = (np.diff(flat_l[order]) != 0) | (np.diff(flat_k[order]) > tol)
    out = np.empty(flat_l.size, dtype=np.int64)
    out[order] = np.concatenate([[0], np.cumsum(new)])
    return out.reshape(labels.shape)


def secular_clusters(E: np.ndarray, tol: float) -> np.ndarray:
    """Label (d, d) array: element (f, i) carries the cluster index of w_fi = E_f - E_i.

    Clusters are the single-linkage groups of the sorted Bohr frequencies (a new cluster starts
    where two neighbours differ by more than ``tol``, cm^-1).
    """
    E = np.asarray(E, dtype=float)
    d = E.size
    flat = (E[:, None] - E[None, :]).ravel()
    order = np.argsort(flat, kind="stable")
    new = np.diff(flat[order]) > tol
    lab = np.concatenate([[0], np.cumsum(new)])
    labels = np.empty(d * d, dtype=np.int64)
    labels[order] = lab
    return labels.reshape(d, d)


@dataclass(frozen=True)
class _Cluster:
    f: np.ndarray  # final states of the elements (m,)
    i: np.ndarray  # initial states (m,)
    freqs: np.ndarray  # Bohr frequencies w_fi (m,), cm^-1
    iu: tuple[np.ndarray, np.ndarray]  # upper-triangle index pairs of the m x m block
    omega: float  # the cluster's Bohr frequency (mean of freqs; exactly 0 for the diagonal's), cm^-1
    # Position of the transposed element (i_j, f_j) when the cluster holds it and omega = 0: then the
    # "AE" sum is swept over a <= b only and unfolded (``_unfold_swapped``); None otherwise.
    swap: np.ndarray | None = None
    # Real coordinates of the amplitudes under time reversal (``spinbath.quantum.time_reversal``):
    # the fourth-order sweep computes the representatives' amplitudes only and a real Gram matrix.
    real: RealForm | None = None

    @property
    def m(self) -> int:
        return int(self.f.size)

    @property
    def lo(self) -> float:
        return float(self.freqs.min())

    @property
    def hi(self) -> float:
        return float(self.freqs.max())


def _occupation(w: np.ndarray, T: np.ndarray) -> np.ndarray:
    """n(w) = 1/(exp(w / k_B T) - 1) for w > 0 (cm^-1) on a trailing temperature axis; T = 0 -> 0."""
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        x = w[..., None] / (KB_CM * T)
        return np.where(np.isinf(x), 0.0, 1.0 / np.expm1(np.where(np.isinf(x), 1.0, x)))


def _pair_weights(process: str, wa: np.ndarray, wb: np.ndarray, omega: float, T: np.ndarray) -> np.ndarray:
    """Thermal weight B of every pair (a, b) of the grid wa (A, 1) x wb (1, B) (cm^-1), (A, B, n_T)
    real: :func:`_pair_weights_at` on all pairs."""
    wa, wb = np.ravel(wa), np.ravel(wb)
    ia, ib = np.divmod(np.arange(wa.size * wb.size), wb.size)
    return _pair_weights_at(process, wa, wb, ia, ib, omega, T).reshape(wa.size, wb.size, -1)


def _shifted_energies(process: str, wa: np.ndarray, wb: np.ndarray, omega: float):
    """(e1a, e1b, e2a, e2b), cm^-1: the two energy-conserving phonon energies of a pair (a, b) are
    e1a[a] + e1b[b] and e2a[a] + e2b[b] (:func:`_pair_weights_at`)."""
    if process == "AE":  # x1 = (w_a + w_b + w) / 2kT, x2 = (w_a + w_b - w) / 2kT
        return wa + 0.5 * omega, wb + 0.5 * omega, wa - 0.5 * omega, wb - 0.5 * omega
    # AA: x1 = (w_a - w_b + w) / 2kT, x2 = (w_b - w_a + w) / 2kT; EE with -w
    s = 0.5 * (omega if process == "AA" else -omega)
    return wa + s, s - wb, s - wa, wb + s


def _mode_factors(process: str, wa: np.ndarray, wb: np.ndarray, omega: float, T: np.ndarray):
    """Per-mode factors of the thermal weights of :func:`_pair_weights_at` when every temperature
    is > 0 and every exponent within the float range, else None: (e1a, e1b, e2a, e2b) and
    exp(-e / 2 k_B T) of each, (A or B, n_T)."""
    if not (T > 0).all():
        return None
    e = _shifted_energies(process, wa, wb, omega)
    half_beta = 0.5 / (KB_CM * T)
    exps = [x[:, None] * half_beta for x in e]
    if max(float(np.abs(x).max(initial=0.0)) for x in exps) >= 700.0:
        return None
    return (*e, *(np.exp(-x) for x in exps))


def _pair_weights_at(process: str, wa: np.ndarray, wb: np.ndarray, ia: np.ndarray, ib: np.ndarray, omega: float,
                     T: np.ndarray) -> np.ndarray:
    """Thermal weight B of the pairs (wa[ia[p]], wb[ib[p]]) at the energy-conserving phonon energies,
    (P, n_T) real.

    wa (A,), wb (B,) in cm^-1; omega the Bohr frequency w_fi of the cluster (docs/theory/spin-phonon.md).
    With x1, x2 the two shifted energies over k_B T and Q = exp(-x):
        absorb/emit  n(x1) (n(x2) + 1) = Q1 / ((1 - Q1)(1 - Q2)),
        absorb both  n(x1) n(x2)       = Q1 Q2 / ((1 - Q1)(1 - Q2)),
        emit both    (n(x1) + 1)(n(x2) + 1) = 1 / ((1 - Q1)(1 - Q2)).
    Each Q is a product of a factor of mode a and a factor of mode b (x1 and x2 are sums of a term
    in w_a and a term in w_b), so the exponentials are taken per mode, not per pair; a process and
    its reverse share the denominator, so their ratio is exactly exp(-w_fi / k_B T).
    """
    e1a, e1b, e2a, e2b = _shifted_energies(process, wa, wb, omega)
    ok = (e1a[ia] + e1b[ib] > 0) & (e2a[ia] + e2b[ib] > 0)  # both shifted phonon energies > 0
    hot = np.flatnonzero(T > 0)
    W = np.empty((ia.size, hot.size))  # the kernel writes every entry, zeros included
    if hot.size:
        kind = _PROCESSES.index(process)
        factors = _mode_factors(process, wa, wb, omega, T[hot])
        if factors is not None:
            _pair_weight_kernel()(*factors[4:], ia, ib, ok, kind, W)
        else:  # exponents beyond the float range per mode: take them per pair
            half_beta = 0.5 / (KB_CM * T[hot])  # (n_hot,)
            exps = [x[:, None] * half_beta for x in (e1a, e1b, e2a, e2b)]  # (A or B, n_hot)
            with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
                Q1 = np.exp(-(exps[0][ia] + exps[1][ib]))
                Q2 = np.exp(-(exps[2][ia] + exps[3][ib]))
                num = (Q1, Q1 * Q2, np.ones_like(Q1))[kind]
                W[...] = np.where(ok[:, None], num / ((1.0 - Q1) * (1.0 - Q2)), 0.0)
    if hot.size == T.size:
        return W
    out = np.zeros((ia.size, T.size))
    out[:, hot] = W
    if process == "EE":  # T = 0: only spontaneous emission
        out[:, T == 0] = ok[:, None]
    return out


@cache
def _pair_weight_kernel():
    """Compiled fused loop of :func:`_pair_weights_at` (one pass over pairs and temperatures)."""
    from numba import njit

    @njit(cache=True, fastmath=True)
    def kernel(f1a, f1b, f2a, f2b, ia, ib, ok, kind, out):  # pragma: no cover - compiled
        nT = out.shape[1]
        for p in range(ia.size):
            if not ok[p]:
                for k in range(nT):
                    out[p, k] = 0.0
                continue
            a, b = ia[p], ib[p]
            for k in range(nT):
                q1 = f1a[a, k] * f1b[b, k]
                q2 = f2a[a, k] * f2b[b, k]
                if kind == 0:
                    num = q1
                elif kind == 1:
                    num = q1 * q2
                else:
                    num = 1.0
                out[p, k] = num / ((1.0 - q1) * (1.0 - q2))

    return kernel


def _element_weights(freqs: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Second-order thermal weight of each element at its Bohr frequency, (m, n_T): n(w) for w > 0,
    n(-w) + 1 for w < 0, 0 for w = 0."""
    w = np.abs(freqs)
    ok = w > 0
    n = _occupation(np.where(ok, w, 1.0), T)
    return np.where(ok[:, None], n + (freqs < 0)[:, None], 0.0)


@dataclass(frozen=True)
class _Chunk:
    """Temperature-independent data of a set of jump operators of one cluster and one process.

    Second order ("one"): Z has shape (m, P), one column per mode ``ia[p]``.
    Fourth order ("AE", "AA", "EE"): Z has shape (m, P), one column per pair inside the lineshape
    window of the block grid of modes a = ``ia`` times b = ``b0 .. b0 + nb - 1``; ``keep`` holds the
    flat grid index (row-major, a then b) of each column. The factor 1/2 of a = b in a sum over
    a <= b is folded into Z (as sqrt(1/2)). Z = sqrt(lineshape) * amplitude; for a cluster with a
    real form (``_Cluster.real``), its real coordinates x laid out (P, m) instead (float64).
    """

    cluster: int
    process: str
    Z: np.ndarray
    ia: np.ndarray
    b0: int = 0
    nb: int = 0
    keep: np.ndarray | None = None

    @property
    def nbytes(self) -> int:
        return self.Z.nbytes + self.ia.nbytes + (0 if self.keep is None else self.keep.nbytes)

    def weights_from(self, wa: np.ndarray, wb: np.ndarray, omega: float, T: np.ndarray) -> np.ndarray:
        """Thermal weights (P, n_T), real, of the kept pairs, from the energies of the rows a and columns b."""
        ia, ib = np.divmod(self.keep, self.nb)
        return _pair_weights_at(self.process, wa, wb, ia, ib, omega, T)


@dataclass(frozen=True)
class _Modes:
    """Data of the sorted modes ``start .. start + len(w) - 1``: energies w and widths (cm^-1), couplings
    in the eigenbasis Vt (n, d, d) in cm^-1, and the denominators P, M of one part (n, d, d) in cm
    (:func:`_mode_denominators`). All modes for the single-process sweep; a slice of them for a chunk
    that runs elsewhere (:mod:`spinbath.quantum.pair_chunks`)."""

    start: int
    w: np.ndarray
    widths: np.ndarray
    Vt: np.ndarray
    P: np.ndarray
    M: np.ndarray


def _mode_denominators(E: np.ndarray, w: np.ndarray, widths: np.ndarray, part: str, lineshape: Lineshape,
                       eta: float, resonance_window: float) -> tuple[np.ndarray, np.ndarray]:
    """(P, M) of one part, P[m, x, c] = D_m(E_c - E_x + w_m), M[m, x, c] = D_m(E_c - E_x - w_m),
    (n, d, d) real, cm: virtual 1/x outside the resonance window of mode m and 0 inside it;
    resonant pi times the line of mode m at x (docs/theory/spin-phonon.md). Elementwise in the modes,
    so the denominators of a slice of modes are the slice of the denominators."""
    base = E[None, None, :] - E[None, :, None]  # [., x, c] = E_c - E_x
    wm = w[:, None, None]
    wd = widths[:, None, None]
    pair = []
    for x in (base + wm, base - wm):
        if part == "virtual":
            far = np.abs(x) > resonance_window * wd
            pair.append(np.where(far, 1.0 / np.where(far, x, 1.0), 0.0))
        else:
            pair.append(lineshape.resolvent(x, wd, eta)[1])
    return pair[0], pair[1]


def _pair_block(c: int, cl: _Cluster, process: str, a_idx: np.ndarray, b_lo: np.ndarray, b_hi: np.ndarray,
                modes: _Modes, lineshape: Lineshape, cutoff: float, width: float | None,
                modes_b: _Modes | None = None) -> _Chunk | None:
    """Z = sqrt(lineshape) * two-phonon amplitude of the modes a = ``a_idx`` (sorted indices) against
    their partners b in [b_lo, b_hi) (one block of the fourth-order sweep); ``modes`` must hold
    a_idx, and ``modes_b`` (default: ``modes``) min(b_lo) .. max(b_hi) - 1. ``width``: the common
    line width (cm^-1), or None for the per-mode widths. None if no pair of the block is inside the
    lineshape window. For a cluster with a real form (``cl.real``) only the representatives'
    amplitudes are computed, and the chunk holds their real coordinates x, (P, m), instead of Z."""
    mb = modes if modes_b is None else modes_b
    u0, u1 = int(b_lo.min()), int(b_hi.max())
    if u1 <= u0:
        return None
    ra, rb = a_idx - modes.start, slice(u0 - mb.start, u1 - mb.start)
    wa, wb = modes.w[ra], mb.w[rb]
    if width is None:
        width = lineshape.combine(modes.widths[ra][:, None], mb.widths[rb][None, :])
    width = np.atleast_2d(np.asarray(width, dtype=float))  # (A, B), or (1, 1) for a common width
    cut = np.asarray(lineshape.cutoff_distance(width, cutoff), dtype=float)
    halve = process != "AE" or cl.swap is not None  # a = b once in a sum over a <= b
    sign = {"AE": 0, "AA": 1, "EE": 2}[process]
    lo, hi = (b_lo - u0).astype(np.int64), (b_hi - u0).astype(np.int64)
    keep = _window_kernels()[0](wa, wb, lo, hi, sign, cl.freqs, cut)
    if keep.size == 0:
        return None
    rf = cl.real
    rows = slice(None) if rf is None else rf.rep  # the elements whose amplitudes are computed
    f, i, freqs = cl.f[rows], cl.i[rows], cl.freqs[rows]
    # Each path's denominator is the mean of an initial- and a final-referenced one, each
    # depending on one mode only, so T is one product of inner dimension 4d (docs/theory/spin-phonon.md).
    Va, Vb = modes.Vt[ra], mb.Vt[rb]
    Vaf, Vai = Va[:, f, :], Va[:, :, i].transpose(0, 2, 1)  # [a, j, c] = V^a_{f_j c}, V^a_{c i_j}
    Vbf, Vbi = Vb[:, f, :], Vb[:, :, i].transpose(0, 2, 1)
    Pa, Ma, Pb, Mb = modes.P[ra], modes.M[ra], mb.P[rb], mb.M[rb]
    if process == "AE":
        left = [Vaf, Vaf * Pa[:, f, :], Vai * Ma[:, i, :], Vai]
        right = [Vbi * Pb[:, i, :], Vbi, Vbf, Vbf * Mb[:, f, :]]
    elif process == "AA":
        left = [Vai * Ma[:, i, :], Vai, Vaf, Vaf * Pa[:, f, :]]
        right = [Vbf, Vbf * Pb[:, f, :], Vbi * Mb[:, i, :], Vbi]
    else:  # "EE"
        left = [Vai * Pa[:, i, :], Vai, Vaf, Vaf * Ma[:, f, :]]
        right = [Vbf, Vbf * Mb[:, f, :], Vbi * Pb[:, i, :], Vbi]
    left = np.concatenate(left, axis=2).transpose(1, 0, 2)  # (m, A, 4d)
    right = np.concatenate(right, axis=2).transpose(1, 2, 0)  # (m, 4d, B)
    Z = np.matmul(left, right).reshape(f.size, -1)  # (m or r, A B)
    # Only the pairs inside the window go on (``keep``): the grid's others (outside the partner
    # ranges or the line) would only cost time in the accumulation.
    kind = _LINE_KINDS.index(lineshape.name)
    diag = a_idx - u0 if halve else None
    if rf is None:
        Z = _window_kernels()[1](Z, keep, wa, wb, sign, freqs, width, cut, kind, diag, _NO_SPIN, 0, _NO_REAL)
    else:  # the representatives' amplitudes straight into real coordinates (RealForm.coordinates)
        X = np.empty((keep.size, cl.m))
        _window_kernels()[1](Z, keep, wa, wb, sign, freqs, width, cut, kind, diag, rf.spin, rf.n_pair, X)
        Z = X
    return _Chunk(c, process, Z, a_idx, u0, u1 - u0, keep)


_LINE_KINDS = ("gaussian", "lorentzian")
_NO_SPIN = np.ones(0, dtype=complex)
_NO_REAL = np.zeros((0, 0))


@cache
def _window_kernels():
    """Compiled (keep, scaled) pair of a tile of the fourth-order sweep.

    keep(wa, wb, lo, hi, sign, freqs, cut): flat grid indices r * B + b of the pairs with b in
    [lo[r], hi[r]) whose Omega (w_a - w_b, w_a + w_b or -(w_a + w_b) for sign 0, 1, 2) lies within
    the cutoff distance of one of the cluster's Bohr frequencies.
    scaled(Z, keep, ..., width, cut, kind, diag, spin, n_pair, real): Z[:, keep] times
    (1/2) sqrt(g_j(w_j - Omega)), the truncated lineshape (Gaussian exp(-x^2 / 2 s^2) / (s sqrt(2 pi))
    or Lorentzian (s / pi) / (x^2 + s^2), kind 0 or 1; zero beyond the cutoff), with the weight 1/2
    of a = b (diag[r]: the column of row r's own mode) inside the square root when diag is given.
    width and cut are (A, B) or (1, 1) arrays. Same values as ``Lineshape.truncated`` (tests compare
    them). Returned (m, P) complex; or, when ``real`` (P, m_real) has rows, written into it as real
    coordinates instead (Re of spin_j times the value in column j, Im in column m + j for j < n_pair;
    :meth:`~spinbath.quantum.time_reversal.RealForm.coordinates`), one pass, and an empty array returned.
    """
    from numba import njit

    # (Omega written out in each kernel: a jitted helper from this closure would defeat the cache.)

    @njit(cache=True)
    def keep(wa, wb, lo, hi, sign, freqs, cut):  # pragma: no cover - compiled
        B = wb.size
        out = np.empty(int(np.maximum(hi - lo, 0).sum()), dtype=np.int64)
        k = 0
        common = cut.size == 1
        for r in range(wa.size):
            for b in range(lo[r], hi[r]):
                om = wa[r] - wb[b] if sign == 0 else (wa[r] + wb[b] if sign == 1 else -(wa[r] + wb[b]))
                c = cut[0, 0] if common else cut[r, b]
                for j in range(freqs.size):
                    if abs(freqs[j] - om) <= c:
                        out[k] = r * B + b
                        k += 1
                        break
        return out[:k]

    @njit(cache=True)
    def scaled(Z, keep, wa, wb, sign, freqs, width, cut, kind, diag, spin, n_pair, real):  # pragma: no cover - compiled
        m = Z.shape[0]
        B = wb.size
        to_real = real.shape[0] > 0
        out = np.empty((0 if to_real else m, 0 if to_real else keep.size), dtype=np.complex128)
        g = np.empty(m)
        common = width.size == 1
        root_2pi = np.sqrt(2.0 * np.pi)
        pre0 = 0.5 * np.sqrt(1.0 / (width[0, 0] * root_2pi))
        quarter0 = 0.25 / (width[0, 0] * width[0, 0])
        r = 0
        base = 0
        for q in range(keep.size):
            p = keep[q]
            while p >= base + B:  # keep is increasing: the row advances, no integer division
                r += 1
                base += B
            b = p - base
            om = wa[r] - wb[b] if sign == 0 else (wa[r] + wb[b] if sign == 1 else -(wa[r] + wb[b]))
            s = width[0, 0] if common else width[r, b]
            c = cut[0, 0] if common else cut[r, b]
            half = 0.5 if diag is not None and diag[r] == b else 1.0
            if kind == 0:  # (1/2) sqrt(half g) = (1/2) sqrt(half / (s sqrt(2 pi))) exp(-x^2 / 4 s^2)
                if common:
                    pre, quarter = pre0 * np.sqrt(half), quarter0
                else:
                    pre, quarter = 0.5 * np.sqrt(half / (s * root_2pi)), 0.25 / (s * s)
                x0 = freqs[0] - om
                e0 = pre * np.exp(-quarter * x0 * x0)
                for j in range(m):
                    x = freqs[j] - om
                    # The Bohr frequencies of a cluster agree to ~1e-12 cm^-1 (e.g. a Kramers pair's):
                    # exp(-q x^2) = exp(-q x0^2) exp(u), u = -q (x - x0)(x + x0), and for |u| < 1e-8
                    # exp(u) = 1 + u to 5e-17, so one exponential serves the cluster.
                    u = -quarter * (x - x0) * (x + x0)
                    gx = e0 * (1.0 + u) if abs(u) < 1e-8 else pre * np.exp(-quarter * x * x)
                    g[j] = gx if abs(x) <= c else 0.0
            else:
                for j in range(m):
                    x = freqs[j] - om
                    g[j] = 0.5 * np.sqrt(half * (s / np.pi) / (x * x + s * s)) if abs(x) <= c else 0.0
            if to_real:  # real coordinates (RealForm.coordinates), a pair's row contiguous
                for j in range(m):
                    v = Z[j, p] * (g[j] * spin[j])
                    real[q, j] = v.real
                    if j < n_pair:
                        real[q, m + j] = v.imag
            else:
                for j in range(m):
                    out[j, q] = Z[j, p] * g[j]
        return out

    return keep, scaled


@dataclass(frozen=True)
class FourthOrderSums:
    """Accumulated fourth-order sums of one part at some temperatures (before the mirror clusters and
    the assembly of R; :meth:`SpinPhononRates.fourth_order_sums`).

    part: "virtual" or "resonant". temperatures: (n_T,) K. acc: per cluster, (n_T, m(m+1)/2) complex,
    cm^-1 (upper triangle of sum_k W_k Z_kj conj(Z_kj'); zero for clusters derived from their mirror
    or their time reverse;
    for a cluster with a ``swap`` (Bohr frequency 0) the "AE" pairs cover a <= b only, a = b with
    weight 1/2, and :meth:`SpinPhononRates.superoperator` adds the pairs (b, a) from them).
    dephasing: (n_T, d(d-1)/2), cm^-1, sum_k W_k |Z_k,aa - Z_k,bb|^2 for the pairs a < b (over the
    same swept pairs: doubled when R is assembled).
    R (s^-1) is RATE_PREFACTOR times their assembly.
    """

    part: str
    temperatures: np.ndarray
    acc: tuple[np.ndarray, ...]
    dephasing: np.ndarray


def _check_hamiltonian(H) -> np.ndarray:
    H = np.asarray(H)
    if H.ndim != 2 or H.shape[0] != H.shape[1]:
        raise ValueError(f"H must be a square (d, d) matrix, got shape {H.shape}")
    H = H.astype(complex)
    if not np.all(np.isfinite(H)):
        raise ValueError("H contains NaN or inf")
    scale = max(float(np.abs(H).max()), 1e-300)
    dev = float(np.abs(H - H.conj().T).max())
    if dev > 1e-10 * scale:
        raise ValueError(f"H is not Hermitian: max |H - H^H| = {dev:.3g} cm^-1")
    return 0.5 * (H + H.conj().T)


class SpinPhononRates:
    """Spin + discrete phonon bath, built once; rate superoperators for any temperature.

    d rho_ab/dt = sum_cd R_ab,cd rho_cd with R_ab,cd = sum_k [A^k_ac conj(A^k_bd) - delta_bd K_ac/2 -
    delta_ac K_db/2] (secular), jump operators A^k_fi = sqrt(2 pi/hbar B_k(w_fi, T) g_k(w_fi - Omega_k))
    M^k_fi in s^-1/2: one mode per k at second order (M = V^a), a pair of modes and the two-phonon
    T-matrix at fourth order (A. Lunghi, Sci. Adv. 8, eabn7880 (2022), doi:10.1126/sciadv.abn7880;
    derivation in docs/theory/spin-phonon.md). Energies in cm^-1, T in K, R in s^-1.

    Parameters
    ----------
    H : (d, d) spin Hamiltonian, cm^-1 (any basis; the basis of V).
    V : (n_modes, d, d) couplings dH/dQ_a in the same basis, cm^-1 per unit Q_a = a_a + a_a^+.
    mode_energies : (n_modes,) phonon energies, cm^-1 (> 0).
    width : lineshape width, cm^-1 (Gaussian standard deviation or Lorentzian HWHM). May be None if
        ``linewidths`` is given; per-mode linewidths take precedence over it.
    lineshape : "gaussian" or "lorentzian".
    linewidths : optional (n_modes,) per-mode widths, cm^-1.
    secular_tol : Bohr frequencies closer than this (cm^-1) are secular partners (docs/theory/spin-phonon.md).
    eta : extra Lorentzian half width (cm^-1, >= 0) of the intermediate states in the resonant
        (sequential) part "4-resonant" only; orders 4 and "2+4" do not depend on it.
    resonance_window : half width (in units of each mode's line width) of the window around an
        on-shell intermediate state inside which a fourth-order path counts as sequential.
    vanishing_field : with ``basis_operator`` = mu (e.g. the moment along the field axis), the secular
        structure of H + eps mu for eps -> 0+: two elements are secular partners only if their Bohr
        frequencies and their first-order shifts mu_f - mu_i both match. This is the zero-field
        limit along that axis (docs/theory/spin-phonon.md, "Degenerate levels").
    cutoff : lineshape truncation relative to its peak (None: 1e-8 Gaussian, 1e-6 Lorentzian).
    cache_bytes : memory allowed for caching the fourth-order pair data between calls.
    block_size : largest number of modes a handled per matrix product in the fourth-order sweep.
    basis_operator : optional Hermitian (d, d) operator (basis of H) whose eigenvectors fix the basis
        inside degenerate levels (e.g. the moment along the measuring axis at zero field).
    time_reversal : the unitary part Y (d, d) of an antiunitary Theta = Y K in the basis of H; "auto"
        (default): Y = exp(-i pi J_y) of one spin J = (d - 1)/2 in the |J, M> basis; None: not used.
        When Theta commutes with H and every V^a (crystal-field derivatives at zero field) and permutes
        the eigenvectors up to phases (every Kramers system), the fourth-order sweep computes half of
        the amplitudes and real Gram sums (:mod:`spinbath.quantum.time_reversal`): the same R up to
        round-off, about half the work. Checked numerically (relative 1e-11); ``symmetry`` tells
        whether it holds.

    Everything that does not depend on temperature (eigenbasis, couplings in it, denominators, pair
    windows, and the fourth-order sqrt(lineshape) * T elements when they fit in ``cache_bytes``) is
    computed once; :meth:`superoperator` takes the temperature(s).
    """

    def __init__(
        self,
        H: np.ndarray,
        V: np.ndarray,
        mode_energies: np.ndarray,
        width: float | None = None,
        lineshape: str | Lineshape = "gaussian",
        linewidths: np.ndarray | None = None,
        secular_tol: float = DEFAULT_SECULAR_TOL,
        eta: float = DEFAULT_ETA,
        cutoff: float | None = None,
        cache_bytes: int = 512 * 2**20,
        block_size: int = 256,
        basis_operator: np.ndarray | None = None,
        resonance_window: float = RESONANCE_WINDOW,
        vanishing_field: bool = False,
        time_reversal: str | np.ndarray | None = "auto",
    ):
        H = _check_hamiltonian(H)
        bath = PhononBath(mode_energies, V, linewidths)  # validates shapes, signs, Hermiticity
        if bath.dim != H.shape[0]:
            raise ValueError(f"shape mismatch: H is {H.shape[0]}x{H.shape[0]} but couplings are "
                             f"{bath.dim}x{bath.dim}")
        self.lineshape = _lookup_lineshape(lineshape)
        self.cutoff = self.lineshape.truncation_level(cutoff)
        if bath.linewidths_cm is None:
            if width is None:
                raise ValueError("give a lineshape width (cm^-1) or per-mode linewidths")
            width = float(width)
            if not np.isfinite(width) or width <= 0:
                raise ValueError(f"width must be finite and > 0 cm^-1, got {width!r}")
        self.width = None if width is None else float(width)
        secular_tol = float(secular_tol)
        if not np.isfinite(secular_tol) or secular_tol < 0:
            raise ValueError(f"secular_tol must be finite and >= 0 cm^-1, got {secular_tol!r}")
        eta = float(eta)
        if not np.isfinite(eta) or eta < 0:
            raise ValueError(f"eta must be finite and >= 0 cm^-1, got {eta!r}")
        if basis_operator is not None:
            basis_operator = np.asarray(basis_operator)
            if basis_operator.shape != H.shape:
                raise ValueError(f"basis_operator must have the shape of H {H.shape}, got {basis_operator.shape}")
        resonance_window = float(resonance_window)
        if not np.isfinite(resonance_window) or resonance_window < 0:
            raise ValueError(f"resonance_window must be finite and >= 0 (units of the width), got {resonance_window!r}")
        self.secular_tol = secular_tol
        self.eta = eta
        self.resonance_window = resonance_window
        self.cache_bytes = int(cache_bytes)
        self.block_size = max(1, int(block_size))

        self.energies, self.eigenvectors = diagonalize(H, basis_operator)
        self.energies.setflags(write=False)
        self.eigenvectors.setflags(write=False)
        self.dim = H.shape[0]
        self.n_modes = bath.n_modes

        # Sorted modes: every sum over modes is order independent, and sorting turns the search for
        # partners of a mode into a contiguous index range.
        order = np.argsort(bath.energies_cm, kind="stable")
        self._w = bath.energies_cm[order]
        self._per_mode = bath.linewidths_cm is not None
        self._widths = bath.linewidths_cm[order] if self._per_mode else np.full(self.n_modes, self.width)
        U = self.eigenvectors
        self._Vt = np.einsum("ji,ajk,kl->ail", U.conj(), bath.couplings_cm[order], U, optimize=True)
        self._Vt.setflags(write=False)

        self.labels = secular_clusters(self.energies, secular_tol)
        if vanishing_field:
            if basis_operator is None:
                raise ValueError("vanishing_field needs a basis_operator (the moment along the field axis)")
            mu = np.real(np.einsum("ji,jk,ki->i", U.conj(), basis_operator, U))
            self.labels = _refine_clusters(self.labels, mu[:, None] - mu[None, :],
                                           1e-8 * max(float(np.abs(mu).max()), 1e-300))
        W = self.energies[:, None] - self.energies[None, :]
        self.bohr = W
        clusters = []
        for c in range(int(self.labels.max()) + 1):
            f, i = np.nonzero(self.labels == c)
            m = f.size
            # A cluster of Bohr frequency 0 (the diagonal, the coherences of degenerate levels) gets
            # exactly 0: its elements differ from 0 only by eigenvalue round-off.
            zero = bool(np.all(np.abs(W[f, i]) <= secular_tol))
            omega = 0.0 if zero else float(W[f, i].mean())
            clusters.append(_Cluster(f, i, W[f, i], np.triu_indices(m), omega))
        clusters = _with_swap(clusters, self.labels)
        self.symmetry: Symmetry | None = None
        if time_reversal is not None:
            if isinstance(time_reversal, str):
                if time_reversal != "auto":
                    raise ValueError(f"time_reversal must be 'auto', None or a (d, d) unitary, got {time_reversal!r}")
                Y = spin_time_reversal(self.dim)
            else:
                Y = np.asarray(time_reversal, dtype=complex)
                if Y.shape != H.shape:
                    raise ValueError(f"time_reversal must have the shape of H {H.shape}, got {Y.shape}")
            self.symmetry = find_symmetry(self.energies, U, self._Vt, Y)
        if self.symmetry is not None:
            pos = _element_positions(clusters, self.labels.shape)
            clusters = [replace(cl, real=real_form(self.symmetry, cl.f, cl.i,
                                                   np.where(self.labels == c, pos, -1)))
                        for c, cl in enumerate(clusters)]
        self.clusters: tuple[_Cluster, ...] = tuple(clusters)
        self._mirrors = self._mirror_clusters()
        self._reversed = self._reversed_clusters()
        self._cache4: dict[str, list[_Chunk]] = {}
        self._den_cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def _mirror_clusters(self) -> dict[int, tuple[int, np.ndarray]]:
        """Fourth-order clusters obtained from their mirror instead of a sweep: {c: (source, perm)}.

        The reversed process of every two-phonon jump operator of a cluster (elements f <- i) lives
        in the mirror cluster (i <- f), with the conjugate amplitude, the same lineshape and the
        thermal weight times exp(w_src / k_B T) (docs/theory/spin-phonon.md, "Time reversal" and the thermal
        weights). So the accumulated block of one of the two follows from the other:
        J_c[j, j'] = exp(w_src / k_B T) conj(J_src[perm[j], perm[j']]). The emitting cluster (w < 0)
        is swept and the absorbing one derived (its factor is <= 1: no overflow at low T); of two
        mirror clusters at w = 0 (coherences of degenerate levels), the first one. perm[j] is the
        position in the source of the transposed element (i_j, f_j).
        """
        pos = _element_positions(self.clusters, self.labels.shape)
        mirrors: dict[int, tuple[int, np.ndarray]] = {}
        for c, cl in enumerate(self.clusters):
            src = int(self.labels[cl.i[0], cl.f[0]])
            if src == c or not (self.labels[cl.i, cl.f] == src).all() or self.clusters[src].m != cl.m:
                continue  # self-mirror (the diagonal's cluster), or no exact mirror: sweep it
            if cl.omega > 0 or (cl.omega == 0 and src < c):
                mirrors[c] = (src, pos[cl.i, cl.f])
        return mirrors

    def _reversed_clusters(self) -> dict[int, tuple[int, np.ndarray, np.ndarray]]:
        """Fourth-order clusters obtained from their time reverse instead of a sweep:
        {c: (source, perm, phi)}.

        With time reversal a symmetry (``symmetry``), z_{pi(j)} = phi_j conj(z_j) for every pair
        (:mod:`spinbath.quantum.time_reversal`). A cluster that does not hold the time reverse of its
        elements (with ``vanishing_field`` the first-order shifts mu_f - mu_i of an element and of its
        reverse are opposite, so they fall in different clusters) is the reverse of another one, and
        J_c[j, j'] = phi[j] conj(phi[j']) conj(J_src[perm[j], perm[j']]), perm[j] the position in the
        source of the reverse of element j, phi[j] the phase of that source element. The cluster of
        lower index of the two is swept (both must be swept clusters, not mirrors)."""
        if self.symmetry is None:
            return {}
        sig, tau = self.symmetry.sigma, self.symmetry.tau
        pos = _element_positions(self.clusters, self.labels.shape)
        out: dict[int, tuple[int, np.ndarray, np.ndarray]] = {}
        for c, cl in enumerate(self.clusters):
            if cl.real is not None or c in self._mirrors:
                continue
            rf, ri = sig[cl.f], sig[cl.i]
            src = int(self.labels[rf[0], ri[0]])
            if src >= c or src in self._mirrors or src in out or not (self.labels[rf, ri] == src).all() \
                    or self.clusters[src].m != cl.m:
                continue
            perm = pos[rf, ri]
            s = self.clusters[src]
            out[c] = (src, perm, tau[s.f[perm]] * tau[s.i[perm]].conj())
        return out

    # ------------------------------------------------------------------ construction helpers
    @classmethod
    def from_bath(cls, H: np.ndarray, bath, width: float | None = None, *, grid=None, **kw) -> SpinPhononRates:
        """Build from discrete modes (any :class:`~spinbath.baths.protocol.DiscreteModes`, e.g. a
        :class:`~spinbath.baths.phonons.PhononBath`; their linewidths, if any, are used), or from
        spectral channels (a :class:`~spinbath.baths.spectral.SpectralBath`) discretized on ``grid`` (ascending energies,
        cm^-1; :func:`spinbath.baths.adapters.channels_to_modes`: mode k of channel alpha has coupling
        V^alpha sqrt(B_alpha(w_k) Delta_k) and linewidth Delta_k, the trapezoid weight of the grid)."""
        from ..baths.protocol import DiscreteModes, SpectralChannels

        if isinstance(bath, SpectralChannels) and not isinstance(bath, DiscreteModes):
            if grid is None:
                raise ValueError("a SpectralBath needs a grid (cm^-1) to be discretized into modes")
            from ..baths.adapters import channels_to_modes

            bath = channels_to_modes(bath, grid)
        elif grid is not None:
            raise ValueError("grid applies only to a SpectralBath")
        if not isinstance(bath, DiscreteModes):
            raise ValueError("bath must have discrete modes (energies_cm, couplings_cm, linewidths_cm) "
                             "or spectral channels (operators, densities)")
        return cls(H, bath.couplings_cm, bath.energies_cm, width, linewidths=bath.linewidths_cm, **kw)

    @property
    def couplings_eigenbasis(self) -> np.ndarray:
        """V^a in the eigenbasis of H, modes sorted by energy (n_modes, d, d), cm^-1."""
        return self._Vt

    @property
    def mode_energies_sorted(self) -> np.ndarray:
        return self._w

    def _denominators(self, part: str) -> tuple[np.ndarray, np.ndarray]:
        """(P, M) of one part for every sorted mode (:func:`_mode_denominators`), computed once per part."""
        if part not in self._den_cache:
            self._den_cache[part] = _mode_denominators(self.energies, self._w, self._widths, part,
                                                       self.lineshape, self.eta, self.resonance_window)
        return self._den_cache[part]

    def _modes(self, part: str) -> _Modes:
        """All sorted modes as one :class:`_Modes` (the single-process sweep)."""
        P, M = self._denominators(part)
        return _Modes(0, self._w, self._widths, self._Vt, P, M)

    def _window(self) -> float:
        """Largest |w_fi - Omega| (cm^-1) at which any pair lineshape can be non-zero."""
        wmax = float(self._widths.max())
        pair = float(self.lineshape.combine(wmax, wmax)) if self._per_mode else self.width
        return float(self.lineshape.cutoff_distance(pair, self.cutoff)) * (1 + 1e-9) + 1e-9

    def _partner_ranges(self, cl: _Cluster, process: str, delta: float):
        """For each sorted mode a, the index range [lo, hi) of partners b whose Omega may matter."""
        w = self._w
        lo, hi = cl.lo - delta, cl.hi + delta
        if process == "AE":  # Omega = w_a - w_b in [lo, hi]
            b_lo = np.searchsorted(w, w - hi, side="left")
            b_hi = np.searchsorted(w, w - lo, side="right")
            if cl.swap is not None:  # (b, a) follows from (a, b): sweep a <= b (``_unfold_swapped``)
                b_lo = np.maximum(b_lo, np.arange(w.size))
        elif cl.omega == 0.0:  # two phonons absorbed or emitted with no energy to spare: weight 0
            return np.zeros(w.size, dtype=np.int64), np.zeros(w.size, dtype=np.int64)
        else:
            if process == "EE":  # Omega = -(w_a + w_b)
                lo, hi = -hi, -lo
            b_lo = np.maximum(np.arange(w.size), np.searchsorted(w, lo - w, side="left"))
            b_hi = np.searchsorted(w, hi - w, side="right")
        return b_lo, b_hi

    def count_pairs(self) -> dict[str, int]:
        """Number of (pair, element-cluster) combinations the fourth-order rates cover, by process
        (clusters derived from their mirror are counted, though not swept)."""
        delta = self._window()
        out = {p: 0 for p in _PROCESSES}
        for cl in self.clusters:
            for p in _PROCESSES:
                b_lo, b_hi = self._partner_ranges(cl, p, delta)
                out[p] += int(np.clip(b_hi - b_lo, 0, None).sum())
        return out

    # ------------------------------------------------------------------ second order
    def _second_order_chunks(self) -> Iterator[_Chunk]:
        shape, rel = self.lineshape, self.cutoff
        w, wd = self._w, self._widths
        idx = np.arange(self.n_modes)
        for c, cl in enumerate(self.clusters):
            if cl.omega == 0.0:
                continue  # no one-phonon process at zero energy (its thermal weight is 0)
            omega = w if cl.omega > 0 else -w  # absorb (w_fi > 0) or emit (w_fi < 0) one phonon
            g = shape.truncated(cl.freqs[:, None] - omega[None, :], wd[None, :], rel)
            keep = g.any(axis=0)
            if not keep.any():
                continue
            amp = self._Vt[keep][:, cl.f, cl.i].T  # (m, P)
            yield _Chunk(c, "one", np.sqrt(g[:, keep]) * amp, idx[keep])

    # ------------------------------------------------------------------ fourth order
    def _fourth_order_block(self, c: int, cl: _Cluster, process: str, a_idx: np.ndarray,
                            b_lo: np.ndarray, b_hi: np.ndarray, part: str) -> _Chunk | None:
        return _pair_block(c, cl, process, a_idx, b_lo, b_hi, self._modes(part), self.lineshape,
                           self.cutoff, None if self._per_mode else self.width)

    def _block_rows(self, cl: _Cluster, counts: np.ndarray) -> int:
        """Modes a per block, from the partner counts of the active modes.

        The grid of a block is its modes times the union of their partner ranges; it wastes
        about rows / (count + rows) of it (rows ~ median count / 4: a fifth; at least
        ``_MIN_TILE_ROWS``). Rows are also capped
        so that a tile of ``_MIN_TILE_COLS`` partners fits in the tile budget.
        """
        cap = _BLOCK_BYTES // (block_pair_bytes(cl) * _MIN_TILE_COLS)
        # at least _MIN_TILE_ROWS: where modes have few partners the tiles' fixed cost (Python
        # and the compiled calls, ~0.1 ms) outweighs the pairs they waste
        rows = min(max(int(np.median(counts)) // 4, _MIN_TILE_ROWS), cap)
        return int(np.clip(rows, 1, self.block_size))

    def _block_cols(self, cl: _Cluster, rows: int) -> int:
        """Partners b per tile of ``rows`` modes a: the tile's pair arrays (:func:`block_pair_bytes`
        per pair) and its partners' factor of the amplitude (2 x 16 m 4d bytes each) within ~128 MB."""
        per_col = rows * block_pair_bytes(cl) + factor_bytes(cl, self.dim)
        return max(1, _BLOCK_BYTES // per_col)

    def _fourth_order_plan(self, max_rows=None) -> Iterator[tuple[int, str, np.ndarray, np.ndarray, np.ndarray]]:
        """The tiles of the fourth-order sweep, in sweep order: (cluster, process, a_idx, b_lo, b_hi)
        with a_idx the sorted modes a of the tile and [b_lo, b_hi) the partner range of each, clipped
        to the tile's window of partners. A block of modes a against the union of their partner
        ranges is cut into windows of at most :meth:`_block_cols` partners, so that its memory and the
        cost of building each partner's factor once per tile stay bounded however many partners a
        mode has. ``max_rows(cl, counts)``: optional cap on the modes a per block (a memory bound)."""
        delta = self._window()
        for c, cl in enumerate(self.clusters):
            if c in self._mirrors or c in self._reversed:
                continue  # derived from its mirror or its time reverse in :meth:`superoperator`
            for process in _PROCESSES:
                b_lo, b_hi = self._partner_ranges(cl, process, delta)
                active = np.flatnonzero(b_hi > b_lo)
                if active.size == 0:
                    continue
                counts = (b_hi - b_lo)[active]
                rows = self._block_rows(cl, counts)
                if max_rows is not None:
                    rows = max(1, min(rows, int(max_rows(cl, counts))))
                for s in range(0, active.size, rows):
                    # a block does not span a gap of inactive modes wider than itself (a chunk
                    # holds the data of every mode between its first and last a)
                    run = active[s : s + rows]
                    for a_idx in np.split(run, np.flatnonzero(np.diff(run) > rows) + 1):
                        cols = self._block_cols(cl, a_idx.size)
                        for piece in split_partners(a_idx, b_lo[a_idx], b_hi[a_idx], cols):
                            yield (c, process, *piece)

    def _fourth_order_chunks_compute(self, part: str) -> Iterator[_Chunk]:
        for c, process, a_idx, b_lo, b_hi in self._fourth_order_plan():
            chunk = self._fourth_order_block(c, self.clusters[c], process, a_idx, b_lo, b_hi, part)
            if chunk is not None:
                yield chunk

    def cache_info(self) -> dict[str, tuple[int, int]]:
        """What the fourth-order cache holds: {part ("virtual" or "resonant"): (number of blocks,
        bytes)}. A part is kept after its first sweep when it fits in ``cache_bytes``; later calls
        (other temperatures, "2+4") reuse it instead of recomputing the amplitudes."""
        return {part: (len(chunks), sum(ch.nbytes for ch in chunks)) for part, chunks in self._cache4.items()}

    def _fourth_order_chunks(self, part: str = "virtual") -> Iterator[_Chunk]:
        if part in self._cache4:
            yield from self._cache4[part]
            return
        store: list[_Chunk] | None = []
        used = sum(ch.nbytes for chunks in self._cache4.values() for ch in chunks)
        for chunk in self._fourth_order_chunks_compute(part):
            if store is not None:
                used += chunk.nbytes
                if used <= self.cache_bytes:
                    store.append(chunk)
                else:
                    store = None  # too large to keep: recompute on the next call
            yield chunk
        if store is not None:
            self._cache4[part] = store

    # ------------------------------------------------------------------ assembly
    @property
    def n_transition_groups(self) -> int:
        """Number of groups of transitions with one Bohr frequency (the unit of :meth:`superoperator`'s
        ``progress``: each order sweeps them once)."""
        return len(self.clusters)

    def work_units(self, order) -> int:
        """Transition groups :meth:`superoperator` sweeps for ``order`` (n_transition_groups per part)."""
        entry = lookup_order(order)
        return self.n_transition_groups * (int(entry.second) + int(entry.fourth is not None))

    def superoperator(self, temperature, order=2, progress=None, fourth: FourthOrderSums | None = None) -> np.ndarray:
        """Rate superoperator R (s^-1) in the eigenbasis, acting on column-stacked vec(rho).

        R = R^(2), R^(4) or their sum as the order registry (:mod:`spinbath.quantum.orders`) says;
        Lunghi, Sci. Adv. 8, eabn7880 (2022), doi:10.1126/sciadv.abn7880.

        Parameters
        ----------
        temperature : K, a number or a 1-D array (all temperatures are done in one sweep).
        order : 2, 4 (the virtual two-phonon part), "2+4" (their sum) or "4-resonant" (the
            sequential part of the two-phonon amplitude, for inspection only: it repeats R^(2)).

        progress : optional callable ``progress(n)``, told each time n more transition groups are
            done (:meth:`work_units` in all), for a progress bar.
        fourth : the fourth-order pair sums of this model at these temperatures, computed elsewhere
            (:func:`spinbath.sweeps.fourth_order_sums`: on Dask workers); None: swept here.

        Returns
        -------
        R : (d*d, d*d) complex, or (n_T, d*d, d*d) for an array of temperatures.
        """
        T, scalar = check_temperatures(temperature, allow_zero=True)
        entry = lookup_order(order)
        do2, part4 = entry.second, entry.fourth
        n_groups = len(self.clusters)

        def groups_done(last: int, now: int) -> int:
            if progress is not None and now > last:
                progress(now - last)
            return max(last, now)
        acc = [np.zeros((T.size, cl.iu[0].size), dtype=complex) for cl in self.clusters]
        dephasing = np.zeros((T.size, self._diagonal_pairs[2].size))
        if do2:
            done = 0
            for ch in self._second_order_chunks():
                done = groups_done(done, ch.cluster)
                cl = self.clusters[ch.cluster]
                _accumulate_one(acc[ch.cluster], cl, ch, _element_weights(cl.freqs, T))
            groups_done(done, n_groups)
        if part4 is not None:
            if fourth is None:
                fourth = self.fourth_order_sums(T, part4, progress)
            else:
                if fourth.part != part4 or fourth.temperatures.shape != T.shape or not np.array_equal(fourth.temperatures, T):
                    raise ValueError(f"the given fourth-order sums are of part {fourth.part!r} at "
                                     f"{fourth.temperatures.size} temperatures, not of {part4!r} at these {T.size}")
                if progress is not None:
                    progress(n_groups)
            acc4, deph4 = self._unfold_swapped(fourth)
            dephasing += deph4
            for c, (src, perm, phi) in self._reversed.items():  # before the mirrors, which may read them
                acc4[c] = _mirrored(acc4[src], self.clusters[src], self.clusters[c], perm, np.ones(T.size))
                cl = self.clusters[c]
                acc4[c] *= (phi[cl.iu[0]] * phi[cl.iu[1]].conj())[None, :]
            for c, (src, perm) in self._mirrors.items():
                with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
                    factor = np.exp(self.clusters[src].omega / (KB_CM * T))  # T = 0: 0 (or 1 at w = 0)
                if self.clusters[src].omega == 0.0:
                    factor = np.ones_like(T)
                acc4[c] = _mirrored(acc4[src], self.clusters[src], self.clusters[c], perm, factor)
            for x, y in zip(acc, acc4):
                x += y
        R = self._assemble(acc, dephasing) * RATE_PREFACTOR
        return R[0] if scalar else R

    def fourth_order_sums(self, temperature, part: str = "virtual", progress=None) -> FourthOrderSums:
        """The fourth-order pair sums of the swept clusters at ``temperature`` (K), in this process.

        For every swept cluster, J[t, (j, j')] = sum over pairs (a, b) and processes of
        W_ab(t) Z_jab conj(Z_j'ab) (upper triangle j <= j'), and for the diagonal cluster the pure
        dephasing sums (docs/theory/spin-phonon.md); :meth:`superoperator` turns them into R. The
        same sums, split into chunks on Dask workers: :func:`spinbath.sweeps.fourth_order_sums`.
        ``progress(n)`` is told of finished transition groups.
        """
        T, _ = check_temperatures(temperature, allow_zero=True)
        acc, dephasing = self.empty_fourth_order_sums(T.size)
        c0, pos, pa, pb = self._diagonal_pairs
        done = 0
        for ch in self._fourth_order_chunks(part):
            if progress is not None and ch.cluster > done:
                progress(ch.cluster - done)
                done = ch.cluster
            cl = self.clusters[ch.cluster]
            _accumulate_pairs(acc[ch.cluster], cl, ch, self._w[ch.ia], self._w[ch.b0 : ch.b0 + ch.nb], T,
                              *((dephasing, (pos[pa], pos[pb])) if ch.cluster == c0 else ()))
        if progress is not None and len(self.clusters) > done:
            progress(len(self.clusters) - done)
        return FourthOrderSums(part, T, tuple(acc), dephasing)

    def _unfold_swapped(self, fourth: FourthOrderSums) -> tuple[list[np.ndarray], np.ndarray]:
        """The full pair sums from the swept ones: for a cluster with ``swap`` (omega = 0, holding the
        transpose of each element) the "AE" sum covers a <= b, a = b with weight 1/2. The pair (b, a)
        adds the complex conjugate of (a, b)'s term at the transposed elements, Z_j(b, a) =
        conj(Z_perm[j](a, b)) (time reversal with the symmetric denominators, an even lineshape and a
        weight symmetric in a, b at omega = 0; docs/theory/spin-phonon.md), so J = S + conj(S[perm, perm])
        and the dephasing sums, even under the swap, double."""
        acc = [x.copy() for x in fourth.acc]
        ones = np.ones(fourth.temperatures.size)
        for c, cl in enumerate(self.clusters):
            if cl.swap is not None:
                acc[c] += _mirrored(fourth.acc[c], cl, cl, cl.swap, ones)
        c0 = self._diagonal_pairs[0]
        factor = 2.0 if self.clusters[c0].swap is not None else 1.0
        return acc, factor * fourth.dephasing

    def empty_fourth_order_sums(self, n_temperatures: int) -> tuple[list[np.ndarray], np.ndarray]:
        """Zeroed accumulators of :class:`~spinbath.quantum.spin_phonon.FourthOrderSums`: one (n_T, m(m+1)/2) complex array per
        cluster and the (n_T, d(d-1)/2) dephasing sums."""
        acc = [np.zeros((n_temperatures, cl.iu[0].size), dtype=complex) for cl in self.clusters]
        return acc, np.zeros((n_temperatures, self._diagonal_pairs[2].size))

    @cached_property
    def _diagonal_pairs(self) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
        """Cluster of the diagonal elements (a, a), position of each in it, and all pairs a < b."""
        c0 = int(self.labels[0, 0])
        cl = self.clusters[c0]
        pos = np.empty(self.dim, dtype=np.int64)
        diag = np.flatnonzero(cl.f == cl.i)
        pos[cl.f[diag]] = diag
        pa, pb = np.triu_indices(self.dim, k=1)
        return c0, pos, pa, pb

    def _assemble(self, acc: list[np.ndarray], dephasing: np.ndarray | None = None) -> np.ndarray:
        d = self.dim
        nT = acc[0].shape[0]
        R4 = np.zeros((nT, d, d, d, d), dtype=complex)
        for cl, tri in zip(self.clusters, acc):
            m = cl.m
            J = np.zeros((nT, m, m), dtype=complex)
            J[:, cl.iu[0], cl.iu[1]] = tri
            J = J + J.conj().transpose(0, 2, 1)
            J[:, np.arange(m), np.arange(m)] *= 0.5
            # Jump term: R_ab,cd += J[(a, c), (b, d)] with (a, c) = (f_j, i_j), (b, d) = (f_j', i_j').
            R4[:, cl.f[:, None], cl.f[None, :], cl.i[:, None], cl.i[None, :]] += J
        # K[t, d, c] = sum_a R_aa,cd (jump part only): the anticommutator that preserves the trace.
        K = np.einsum("taacd->tdc", R4)
        for b in range(d):
            R4[:, :, b, :, b] -= 0.5 * K  # -delta_bd K_ac / 2
            R4[:, b, :, b, :] -= 0.5 * K.transpose(0, 2, 1)  # -delta_ac K_db / 2
        # Population diagonal without cancellation: K_cc contains the elastic |A_cc|^2, which the
        # jump term cancels exactly but in floating point leaves a round-off ~eps * |A_cc|^2 that can
        # exceed a slow escape rate. R_cc,cc = -sum_{a!=c} R_aa,cc is the same quantity written as a
        # sum of positive rates (and keeps the trace exactly).
        pop = np.einsum("taacc->tac", R4).real  # (t, a, c): rates c -> a, diagonal to be replaced
        idx = np.arange(d)
        pop[:, idx, idx] = 0.0
        escape = pop.sum(axis=1)  # (t, c): total rate out of level c
        R4[:, idx, idx, idx, idx] = -escape
        if dephasing is not None:
            # Coherence decay without cancellation, for the same reason:
            # Re R_ab,ab = -(Gamma_a + Gamma_b)/2 - sum_k |A^k_aa - A^k_bb|^2 / 2, the last sum
            # accumulated directly (``_accumulate_dephasing``) instead of as J_aa + J_bb - 2 Re J_ab.
            _, _, pa, pb = self._diagonal_pairs
            re = -0.5 * (escape[:, pa] + escape[:, pb] + dephasing)
            for a, b, col in ((pa, pb, re), (pb, pa, re)):
                R4[:, a, b, a, b] = col + 1j * R4[:, a, b, a, b].imag
        return tensor_to_superoperator(R4)


def _element_positions(clusters, shape: tuple[int, int]) -> np.ndarray:
    """pos[f, i]: the position of element (f, i) in its cluster (the clusters partition all d^2)."""
    pos = np.full(shape, -1, dtype=np.int64)
    for cl in clusters:
        pos[cl.f, cl.i] = np.arange(cl.m)
    return pos


def _with_swap(clusters: list[_Cluster], labels: np.ndarray) -> list[_Cluster]:
    """``clusters`` with ``swap`` set on those of Bohr frequency exactly 0 that hold the transpose
    (i_j, f_j) of each of their elements (the diagonal's, at least)."""
    pos = _element_positions(clusters, labels.shape)
    return [replace(cl, swap=pos[cl.i, cl.f]) if cl.omega == 0.0 and (labels[cl.i, cl.f] == c).all() else cl
            for c, cl in enumerate(clusters)]


def _mirrored(tri: np.ndarray, src: _Cluster, dst: _Cluster, perm: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """Accumulated upper triangle of cluster ``dst`` from that of its mirror ``src``:
    J_dst[j, j'] = factor(t) conj(J_src[perm[j], perm[j']]) (see ``SpinPhononRates._mirror_clusters``)."""
    nT, m = tri.shape[0], src.m
    J = np.zeros((nT, m, m), dtype=complex)
    J[:, src.iu[0], src.iu[1]] = tri
    low = src.iu[0] != src.iu[1]
    J[:, src.iu[1][low], src.iu[0][low]] = tri[:, low].conj()  # J is Hermitian
    out = J[:, perm[dst.iu[0]], perm[dst.iu[1]]].conj()
    return out * factor[:, None]


def _products(cl: _Cluster, Z: np.ndarray) -> np.ndarray:
    """Y[(j, j')] = Z_j conj(Z_j') for j <= j' (np.triu_indices order), one broadcast multiply per row."""
    m = Z.shape[0]
    Zc = Z.conj()
    Y = np.empty((cl.iu[0].size,) + Z.shape[1:], dtype=complex)
    k = 0
    for j in range(m):
        np.multiply(Z[j][None], Zc[j:], out=Y[k : k + m - j])
        k += m - j
    return Y


def _accumulate_one(out: np.ndarray, cl: _Cluster, ch: _Chunk, b: np.ndarray) -> None:
    """Second order: out[t, (j, j')] += sqrt(b_j(t) b_j'(t)) sum_p Z_jp conj(Z_j'p); b (m, n_T)."""
    Ysum = _products(cl, ch.Z).sum(axis=1)  # (n_tri,)
    sb = np.sqrt(b)
    out += (sb[cl.iu[0]] * sb[cl.iu[1]]).T * Ysum[None, :]


def _accumulate_two(out: np.ndarray, cl: _Cluster, ch: _Chunk, W: np.ndarray) -> None:
    """Fourth order: out[t, (j, j')] += sum_p W[p, t] Z_jp conj(Z_j'p) over the chunk's pairs p.

    W (P, n_T) real >= 0. Small clusters (m < SYRK_MIN_ELEMENTS): the products Z_j conj(Z_j')
    (j <= j') once, laid out (P, m(m+1)/2) so that their real and imaginary parts are one real
    matrix, then one real matrix product with W. Larger ones: per temperature one symmetric rank-P
    update (BLAS syrk, through numpy's U @ U.T) of U = sqrt(W_t) [Re Z; Im Z], (2m)^2/2 real
    multiply-adds per pair at the speed of a matrix product and no array of products; with
    G = U U^T, sum_p W Z_j conj(Z_j') = G[j, j'] + G[m+j, m+j'] + i (G[m+j, j'] - G[j, m+j']).
    (numpy's own BLAS: a second library's thread pool, e.g. scipy's zherk, would compete with it.)
    """
    m = cl.m
    if m < SYRK_MIN_ELEMENTS:
        Y = _products_kernel()(ch.Z)  # (P, n_tri) complex, C order
        out += (W.T @ Y.view(np.float64)).view(complex)
        return
    s = np.ascontiguousarray(np.sqrt(W).T)  # (n_T, P)
    Zs = np.concatenate([ch.Z.real, ch.Z.imag])  # (2m, P)
    U = np.empty_like(Zs)
    j, k = cl.iu
    for t in range(s.shape[0]):
        np.multiply(Zs, s[t], out=U)
        G = U @ U.T  # symmetric: numpy calls syrk for a product of an array with its own transpose
        out[t] += (G[j, k] + G[m + j, m + k]) + 1j * (G[m + j, k] - G[j, m + k])


def _accumulate_pairs(out: np.ndarray, cl: _Cluster, ch: _Chunk, wa: np.ndarray, wb: np.ndarray, T: np.ndarray,
                      dephasing: np.ndarray | None = None, rows: tuple[np.ndarray, np.ndarray] | None = None) -> None:
    """Fourth order: add a tile's pairs to the cluster's sums ``out`` (n_T, m(m+1)/2) and, for the
    diagonal cluster, to the dephasing sums (``rows``: :func:`_accumulate_dephasing`'s ja, jb).

    wa, wb: energies (cm^-1) of the tile's rows a and of its partners b0 .. b0 + nb - 1.
    Small clusters (m < SYRK_MIN_ELEMENTS) at temperatures > 0 take one compiled pass over the kept
    pairs that forms each pair's thermal weights and products Z_j conj(Z_j') and adds them, so that
    neither the weights (P, n_T) nor the products (P, m(m+1)/2) are laid out in memory (a tile of a
    small cluster holds ~1e7 pairs, whose arrays cost more to write and page in than to compute).
    Otherwise the weights of :func:`_pair_weights_at` and :func:`_accumulate_two`. Both add the same
    terms; only the order of the additions differs.
    """
    if cl.real is not None:
        _accumulate_pairs_real(out, cl, ch, wa, wb, T, dephasing, rows)
        return
    if cl.m < SYRK_MIN_ELEMENTS and dephasing is None:
        factors = _mode_factors(ch.process, wa, wb, cl.omega, T)
        if factors is not None:
            _small_cluster_kernel()(ch.Z, ch.keep, ch.nb, *factors, _PROCESSES.index(ch.process), out.view(np.float64))
            return
    W = ch.weights_from(wa, wb, cl.omega, T)
    _accumulate_two(out, cl, ch, W)
    if dephasing is not None:
        _accumulate_dephasing(dephasing, rows[0], rows[1], ch, W)


def _accumulate_pairs_real(out: np.ndarray, cl: _Cluster, ch: _Chunk, wa: np.ndarray, wb: np.ndarray,
                           T: np.ndarray, dephasing: np.ndarray | None,
                           rows: tuple[np.ndarray, np.ndarray] | None) -> None:
    """:func:`_accumulate_pairs` for a cluster with real coordinates (``cl.real``; ``ch.Z`` holds x,
    (P, m) real): the real Gram sums G[t] = sum_p W[p, t] x_p x_p^T, (2m)^2 / m^2 = 4 times fewer
    real multiply-adds than the complex products, turned into the cluster's sums by E G E^+
    (:meth:`~spinbath.quantum.time_reversal.RealForm.to_elements`, once per tile). For the diagonal
    cluster the pure-dephasing terms |z_aa - z_bb|^2 are further columns of the same sums, formed from
    x (:meth:`~spinbath.quantum.time_reversal.RealForm.dephasing_columns`: a level pair and its time
    reverse give one column). One compiled pass (:func:`_real_gram_kernel`)."""
    rf, X = cl.real, ch.Z
    n2 = cl.iu[0].size
    if dephasing is not None:
        idx, cre, cim, back = rf.dephasing_columns(rows[0], rows[1])
    else:
        idx, cre, cim, back = (np.zeros((0, 1), dtype=np.int64), np.zeros((0, 1)), np.zeros((0, 1)), None)
    factors = _mode_factors(ch.process, wa, wb, cl.omega, T)
    if factors is None:  # T = 0 or exponents beyond the float range: the weights laid out per pair
        W = np.ascontiguousarray(ch.weights_from(wa, wb, cl.omega, T))
        one = np.zeros((1, T.size))
        factors = (np.zeros(1), np.zeros(1), np.zeros(1), np.zeros(1), one, one, one, one)
    else:
        W = np.zeros((0, T.size))
    G = np.zeros((n2 + idx.shape[0], T.size))
    _real_gram_kernel()(X, ch.keep, ch.nb, *factors, _PROCESSES.index(ch.process), W, idx, cre, cim, G)
    out += rf.to_elements(np.ascontiguousarray(G[:n2].T), cl.iu)
    if dephasing is not None:
        dephasing += G[n2:].T[:, back]


@cache
def _real_gram_kernel():
    """Compiled pass of :func:`_accumulate_pairs_real`: for each kept pair q (flat grid index keep[q]
    = r nb + b, increasing) its thermal weights W_t (from the mode factors as in
    :func:`_small_cluster_kernel`, or the rows of ``W`` when it has any) and its columns y: the products
    x_j x_j' (j <= j', np.triu_indices order) and the dephasing terms |sum_u c_u x_idx[u]|^2; batches
    of GRAM_BATCH pairs (buffers that stay in the core's cache; the columns laid out per column, so that
    forming them vectorizes over the pairs) are added as out (n_y, n_T) += Y W, one matrix product
    (BLAS) per batch."""
    from numba import njit

    @njit(cache=True, fastmath=True)
    def kernel(X, keep, nb, e1a, e1b, e2a, e2b, f1a, f1b, f2a, f2b, kind, W, idx, cre, cim, out):  # pragma: no cover - compiled
        P, m = X.shape
        ncol, nT = out.shape
        nd, nu = idx.shape
        n2 = ncol - nd
        NB = min(GRAM_BATCH, max(P, 1))
        xb = np.zeros((m, NB))  # the batch's coordinates, one row per coordinate: products vectorize over pairs
        yb = np.zeros((ncol, NB))
        wb = np.zeros((NB, nT))
        re = np.empty(NB)
        im = np.empty(NB)
        given = W.shape[0] > 0
        r = 0
        base = 0
        s = 0
        q = 0
        while q < P:
            # gather a batch of pairs with non-zero weight: weights and coordinates
            s = 0
            while q < P and s < NB:
                p = keep[q]
                while p >= base + nb:
                    r += 1
                    base += nb
                b = p - base
                if given:
                    for t in range(nT):
                        wb[s, t] = W[q, t]
                else:
                    if not (e1a[r] + e1b[b] > 0 and e2a[r] + e2b[b] > 0):
                        q += 1
                        continue  # weight 0
                    if kind == 0:  # (one loop per process: a branch inside would keep it from vectorizing)
                        for t in range(nT):
                            q1, q2 = f1a[r, t] * f1b[b, t], f2a[r, t] * f2b[b, t]
                            wb[s, t] = q1 / ((1.0 - q1) * (1.0 - q2))
                    elif kind == 1:
                        for t in range(nT):
                            q1, q2 = f1a[r, t] * f1b[b, t], f2a[r, t] * f2b[b, t]
                            wb[s, t] = q1 * q2 / ((1.0 - q1) * (1.0 - q2))
                    else:
                        for t in range(nT):
                            q1, q2 = f1a[r, t] * f1b[b, t], f2a[r, t] * f2b[b, t]
                            wb[s, t] = 1.0 / ((1.0 - q1) * (1.0 - q2))
                for j in range(m):
                    xb[j, s] = X[q, j]
                s += 1
                q += 1
            if s == 0:
                break
            k = 0
            for j in range(m):
                xj = xb[j]
                for jj in range(j, m):
                    xjj = xb[jj]
                    y = yb[k]
                    for u in range(s):
                        y[u] = xj[u] * xjj[u]
                    k += 1
            for c in range(nd):
                for u in range(s):
                    re[u] = 0.0
                    im[u] = 0.0
                for v in range(nu):
                    xv = xb[idx[c, v]]
                    cr, ci = cre[c, v], cim[c, v]
                    for u in range(s):
                        re[u] += cr * xv[u]
                        im[u] += ci * xv[u]
                y = yb[n2 + c]
                for u in range(s):
                    y[u] = re[u] * re[u] + im[u] * im[u]
            if s == NB:
                out += np.dot(yb, wb)
            else:
                out += np.dot(yb[:, :s].copy(), wb[:s])
    return kernel


@cache
def _small_cluster_kernel():
    """Compiled fused pass of :func:`_accumulate_pairs` for small clusters: for each kept pair p
    (flat grid index keep[p] = r nb + b) with both shifted phonon energies > 0, the weights
    W_t = num / ((1 - q1)(1 - q2)), q1 = f1a[r, t] f1b[b, t], q2 = f2a[r, t] f2b[b, t] (num = q1,
    q1 q2 or 1 for kind 0, 1, 2: :func:`_pair_weights_at`), and out[t, (j, j')] += W_t Z_jp conj(Z_j'p)
    (j <= j' in np.triu_indices order; out is the float64 view, real and imaginary parts interleaved)."""
    from numba import njit

    @njit(cache=True, fastmath=True)
    def kernel(Z, keep, nb, e1a, e1b, e2a, e2b, f1a, f1b, f2a, f2b, kind, out):  # pragma: no cover - compiled
        m, P = Z.shape
        nT, n2 = out.shape
        acc = np.zeros((nT, n2))  # own array: writing into ``out`` would keep the sum from vectorizing
        w = np.empty(nT)
        y = np.empty(n2)
        for q in range(P):
            r = keep[q] // nb
            b = keep[q] - r * nb
            if not (e1a[r] + e1b[b] > 0 and e2a[r] + e2b[b] > 0):
                continue  # weight 0
            if kind == 0:  # (one loop per process: a branch inside would keep it from vectorizing)
                for t in range(nT):
                    q1, q2 = f1a[r, t] * f1b[b, t], f2a[r, t] * f2b[b, t]
                    w[t] = q1 / ((1.0 - q1) * (1.0 - q2))
            elif kind == 1:
                for t in range(nT):
                    q1, q2 = f1a[r, t] * f1b[b, t], f2a[r, t] * f2b[b, t]
                    w[t] = q1 * q2 / ((1.0 - q1) * (1.0 - q2))
            else:
                for t in range(nT):
                    q1, q2 = f1a[r, t] * f1b[b, t], f2a[r, t] * f2b[b, t]
                    w[t] = 1.0 / ((1.0 - q1) * (1.0 - q2))
            k = 0
            for j in range(m):
                zr, zi = Z[j, q].real, Z[j, q].imag
                for jj in range(j, m):
                    ur, ui = Z[jj, q].real, Z[jj, q].imag
                    y[k] = zr * ur + zi * ui  # Z_j conj(Z_j')
                    y[k + 1] = zi * ur - zr * ui
                    k += 2
            for t in range(nT):
                wt = w[t]
                for k in range(n2):
                    acc[t, k] += wt * y[k]
        out += acc

    return kernel


@cache
def _products_kernel():
    """Compiled Y[p, (j, j')] = Z[j, p] conj(Z[j', p]) for j <= j' (np.triu_indices order), (P, m(m+1)/2)."""
    from numba import njit

    @njit(cache=True)
    def kernel(Z):  # pragma: no cover - compiled
        m, P = Z.shape
        Y = np.empty((P, m * (m + 1) // 2), dtype=np.complex128)
        for p in range(P):
            k = 0
            for j in range(m):
                z = Z[j, p]
                for jj in range(j, m):
                    Y[p, k] = z * np.conj(Z[jj, p])
                    k += 1
        return Y

    return kernel


#: Clusters with at least this many elements accumulate by syrk (``_accumulate_two``).
SYRK_MIN_ELEMENTS = 8
#: Bytes of the temperature-independent arrays of one tile of the fourth-order sweep (about).
_BLOCK_BYTES = 2**27
#: Fewest partners per tile the choice of rows allows (so that building the factors stays cheap).
_MIN_TILE_COLS = 256
#: Fewest modes a per block (unless the block size or the tile budget is smaller).
_MIN_TILE_ROWS = 64


def split_partners(a_idx: np.ndarray, b_lo: np.ndarray, b_hi: np.ndarray, cols: int):
    """The block (a_idx, [b_lo, b_hi)) as tiles of at most ``cols`` consecutive partners each (the
    partner ranges clipped to windows of the union range; windows no row reaches are left out)."""
    u0, u1 = int(b_lo.min()), int(b_hi.max())
    for s in range(u0, u1, cols):
        e = min(s + cols, u1)
        lo, hi = np.clip(b_lo, s, e), np.clip(b_hi, s, e)
        if (hi > lo).any():
            yield a_idx, lo, hi


def factor_bytes(cl: _Cluster, d: int) -> int:
    """Bytes per mode of a tile's amplitude factor (m x 4d complex, and the copy that concatenating
    it makes): what each mode a (left) or partner b (right) of a tile adds."""
    return 2 * 16 * cl.m * 4 * d


#: Pairs per batch of the real-coordinate pass (:func:`_real_gram_kernel`).
GRAM_BATCH = 256


def gram_bytes(cl: _Cluster, d: int, n_T: int, diagonal: bool, pairs: int) -> int:
    """Bytes of the real-coordinate pass of a tile of ``pairs`` pairs (:func:`_real_gram_kernel`),
    0 for a cluster without real form: :func:`gram_pair_bytes` for each of min(pairs, GRAM_BATCH)
    pairs (its batch buffers) and :func:`gram_fixed_bytes`."""
    return gram_pair_bytes(cl, d, n_T, diagonal) * min(int(pairs), GRAM_BATCH) + gram_fixed_bytes(cl, d, n_T, diagonal)


def _gram_columns(cl: _Cluster, d: int, diagonal: bool) -> int:
    # the products x_j x_j' and, for the diagonal cluster, the dephasing columns (at most d(d-1)/2)
    return cl.iu[0].size + (d * (d - 1) // 2 if diagonal else 0)


def gram_pair_bytes(cl: _Cluster, d: int, n_T: int, diagonal: bool) -> int:
    """Bytes per batched pair of the real-coordinate pass: its columns, coordinates and weights."""
    return 0 if cl.real is None else 8 * (_gram_columns(cl, d, diagonal) + cl.m + n_T)


def gram_fixed_bytes(cl: _Cluster, d: int, n_T: int, diagonal: bool) -> int:
    """Bytes of the real-coordinate pass that do not depend on the pairs: its sums and their
    conversion E G E^+ (three complex n_T x m x m arrays)."""
    return 0 if cl.real is None else 8 * n_T * _gram_columns(cl, d, diagonal) + 3 * 16 * n_T * cl.m * cl.m


def block_pair_bytes(cl: _Cluster) -> int:
    """Bytes per pair of a block's grid for the arrays that do not depend on temperature: Z on the
    grid and kept (16 m each), the lineshape with its temporaries (~40 m), and the accumulation's
    own arrays (the products, 16 m(m+1)/2, or the syrk operand and its source, 32 m)."""
    m = cl.m
    return 72 * m + (32 * m if m >= SYRK_MIN_ELEMENTS else 16 * cl.iu[0].size)
def _accumulate_dephasing(out: np.ndarray, ja: np.ndarray, jb: np.ndarray, ch: _Chunk, W: np.ndarray) -> None:
    """out[t, q] += sum over the chunk's pairs p of W[p, t] |Z_ja[q] p - Z_jb[q] p|^2 (pure dephasing).

    ja, jb: rows of the chunk's Z holding the diagonal elements (a, a) and (b, b) of each level pair
    q. The terms are laid out (P, n_q) so that the sum is one real matrix product with W (P, n_T).
    """
    D = _dephasing_kernel()(ch.Z, ja, jb)
    out += W.T @ D


@cache
def _dephasing_kernel():
    """Compiled D[p, q] = |Z[ja[q], p] - Z[jb[q], p]|^2, (P, n_q) real."""
    from numba import njit

    @njit(cache=True)
    def kernel(Z, ja, jb):  # pragma: no cover - compiled
        P = Z.shape[1]
        D = np.empty((P, ja.size))
        for p in range(P):
            for q in range(ja.size):
                x = Z[ja[q], p] - Z[jb[q], p]
                D[p, q] = x.real * x.real + x.imag * x.imag
        return D

    return kernel


def spin_phonon_superoperator(H, V, mode_energies, temperature, order, width, lineshape="gaussian"):
    """Spin-phonon rate superoperator at second or fourth order (see docs/theory/spin-phonon.md).

    One-shot form of :meth:`SpinPhononRates.superoperator` (R in s^-1; A. Lunghi, Sci. Adv. 8,
    eabn7880 (2022), doi:10.1126/sciadv.abn7880).

    Parameters
    ----------
    H : (d, d) spin Hamiltonian, cm^-1.
    V : (n_modes, d, d) couplings dH/dQ_a in the basis of H, cm^-1 per unit Q_a = a_a + a_a^+.
    mode_energies : (n_modes,) cm^-1.
    temperature : K (a number, or a 1-D array for a stack of superoperators).
    order : 2, 4 (or "2+4", "4-resonant").
    width : lineshape width, cm^-1 (Gaussian standard deviation / Lorentzian HWHM).
    lineshape : "gaussian" or "lorentzian".

    Returns
    -------
    E : (d,) eigenvalues of H, ascending, cm^-1.
    R : (d*d, d*d) in s^-1, acting on column-stacked vec(rho) in the eigenbasis of H
        (d rho_ab/dt = sum_cd R_ab,cd rho_cd, index of rho_ab = a + d*b).

    Defaults of :class:`SpinPhononRates` are used for secular_tol, eta and the lineshape truncation;
    build the class directly to change them or to reuse the model across temperatures.
    """
    model = SpinPhononRates(H, V, mode_energies, width, lineshape)
    return model.energies.copy(), model.superoperator(temperature, order)


def _fourth_order_reference(H, V, mode_energies, temperature, width, lineshape="gaussian",
                            linewidths=None, secular_tol=DEFAULT_SECULAR_TOL, eta=DEFAULT_ETA,
                            cutoff=None, part="virtual", resonance_window=RESONANCE_WINDOW,
                            processes=("AE", "AA", "EE")):
    """Plain fourth-order rate superoperator: Python loops over pairs, for tests on small systems.

    Builds one jump operator A^k per pair and process exactly as written in docs/theory/spin-phonon.md
    (sum over intermediate states, both reference states, shifted phonon energies in the thermal
    weight), adds its Lindblad dissipator, and keeps R_ab,cd only where (a, c) and (b, d) lie in the
    same secular cluster. ``processes``: the two-phonon processes to include ("AE": absorb one phonon
    and emit another, the Raman process; "AA": absorb both; "EE": emit both). Returns (E, R).
    """
    shape = _lookup_lineshape(lineshape)
    rel = shape.truncation_level(cutoff)
    E, U = diagonalize(np.asarray(H, dtype=complex))
    d = E.size
    w = np.asarray(mode_energies, dtype=float)
    n = w.size
    Vt = [U.conj().T @ np.asarray(V[a]) @ U for a in range(n)]
    lw = np.full(n, float(width)) if linewidths is None else np.asarray(linewidths, dtype=float)
    T = np.array([float(temperature)])
    W = E[:, None] - E[None, :]  # W[f, i] = E_f - E_i
    labels = secular_clusters(E, secular_tol)
    c0 = labels[0, 0]
    omega = np.zeros((d, d))  # cluster frequency of each element
    for c in np.unique(labels):
        sel = labels == c
        omega[sel] = 0.0 if c == c0 else W[sel].mean()
    rows = [(a, b) for b in range(d) for a in range(d)]
    mask = np.array([[labels[a, c] == labels[b, e] for (c, e) in rows] for (a, b) in rows])

    def D(x, m):
        if part == "virtual":
            return 1.0 / x if abs(x) > resonance_window * lw[m] else 0.0
        return shape.resolvent(x, lw[m], eta)[1]

    def amplitude(first, second, x_first, x_second):
        # sum_c V^second_fc V^first_ci [D(E_c - E_i + x_first) + D(E_c - E_f + x_second)] / 2 for all
        # (f, i); x_first = +-w of the mode absorbed (-) or emitted (+) first, x_second likewise.
        T4 = np.zeros((d, d), dtype=complex)
        for f in range(d):
            for i in range(d):
                for c in range(d):
                    den = 0.5 * (D(E[c] - E[i] + x_first[0], x_first[1]) + D(E[c] - E[f] + x_second[0], x_second[1]))
                    T4[f, i] += Vt[second][f, c] * Vt[first][c, i] * den
        return T4

    R = np.zeros((d * d, d * d), dtype=complex)

    def add(T4, a, b, process, Omega, half=1.0):
        wid = float(shape.combine(lw[a], lw[b])) if linewidths is not None else float(width)
        g = shape.truncated(W - Omega, wid, rel)
        B = np.array([[_pair_weights(process, np.array([[w[a]]]), np.array([[w[b]]]), omega[f, i], T)[0, 0, 0].real
                       for i in range(d)] for f in range(d)])
        A = np.sqrt(RATE_PREFACTOR * half * B * g) * T4
        R[...] += mask * lindblad_dissipator(A)

    for a in range(n):  # absorb a, emit b: ordered pairs, a = b included
        for b in range(n):
            T4 = amplitude(b, a, (w[b], b), (w[a], a)) + amplitude(a, b, (-w[a], a), (-w[b], b))
            if "AE" in processes:
                add(T4, a, b, "AE", w[a] - w[b])
    for a in range(n):  # absorb both / emit both: unordered pairs a <= b, a = b weighted 1/2
        for b in range(a, n):
            half = 0.5 if a == b else 1.0
            T4 = amplitude(a, b, (-w[a], a), (w[b], b)) + amplitude(b, a, (-w[b], b), (w[a], a))
            if "AA" in processes:
                add(T4, a, b, "AA", w[a] + w[b], half)
            T4 = amplitude(a, b, (w[a], a), (-w[b], b)) + amplitude(b, a, (w[b], b), (-w[a], a))
            if "EE" in processes:
                add(T4, a, b, "EE", -(w[a] + w[b]), half)
    return E, R
