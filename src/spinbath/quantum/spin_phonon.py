r"""Spin-phonon rate superoperators at second and fourth order (Lindblad form, secular).

Model
-----
    H = H_s + sum_a hbar w_a (n_a + 1/2) + sum_a V^a Q_a,      Q_a = a_a + a_a^+,

with Q_a the displacement of mode a in units of its rms zero-point amplitude sqrt(hbar/(2 m w_a))
(<0|Q_a^2|0> = 1), H_s (d, d) and V^a = dH_s/dQ_a (d, d) in cm^-1 per unit Q (for Cartesian
derivatives, V^a = dH_s/dx_a sqrt(hbar/(2 m_a w_a)), Lunghi's convention), mode energies hbar w_a in
cm^-1. Everything below is written in the eigenbasis of H_s (energies E_i ascending, cm^-1);
V^a_fi = <f|V^a|i>. Because <n+1|Q_a|n> = sqrt(n+1) with no further factor, a two-level system
coupled to one mode relaxes with the golden-rule rate 2 pi |V|^2 G / hbar exactly: this is why the
rates below carry no factor 1/2. A user who has dH/dq for q = (a + a^+)/sqrt(2) (the length unit
sqrt(hbar/(m w))) must divide it by sqrt(2) to get V. Bohr frequencies are w_fi = E_f - E_i (final
f, initial i): w_fi > 0 means the spin absorbs energy.

Jump operators (k labels a mode or a pair of modes and a process)
---------------------------------------------------------------
    A^k_fi = sqrt(2 pi / hbar * B_k(T) * g_k(w_fi - Omega_k)) * M^k_fi                       [s^-1/2]

B_k is the Bose factor (n_a = 1/(exp(hbar w_a / k_B T) - 1), at the *phonon* energy), g_k a
normalized lineshape (cm) centred at the energy Omega_k the bath gives to the spin, and M^k (cm^-1)
the transition amplitude. With hbar = 1/(2 pi c) cm^-1 s (c in cm/s), 2 pi / hbar = 2 pi * 2 pi c
turns |M|^2 (cm^-2) times g (cm) into a rate in s^-1 (``RATE_PREFACTOR``). Each element carries the
lineshape at its own Bohr frequency, so within the secular set the products give
sqrt(g(w_ac) g(w_bd)).

Second order, per mode a (two jump operators: absorption and emission):
    absorb a:  Omega = +w_a,  B = n_a,       M = V^a
    emit a:    Omega = -w_a,  B = n_a + 1,   M = V^a
(together they give G2(w, w_a) = delta(w - w_a) n_a + delta(w + w_a)(n_a + 1). Two operators differ
from a single one with sqrt(G2) only for an element that sees both lines while w_ac != w_bd within
the secular tolerance; treating processes as separate jump operators is also what fourth order does.)

Fourth order (two-phonon, T-matrix). Each path's denominator is E_intermediate - E_initial, counting
the phonon energies present, and is regularized as 1/(x - i eta) (eta in cm^-1, the retarded
prescription: T = V G0(E + i eta) V with G0(z) = 1/(z - H0), whose overall sign -1 drops out of
every rate). For an element f <- i and modes a, b:

  absorb a, emit b (Omega = w_a - w_b, B = n_a (n_b + 1)):
      T_fi = sum_c V^a_fc V^b_ci / (E_c - E_i + w_b - i eta)      [emit b first: the intermediate
           + sum_c V^b_fc V^a_ci / (E_c - E_i - w_a - i eta)       holds both phonons; absorb a first]
  absorb a and b (Omega = w_a + w_b, B = n_a n_b):
      T_fi = sum_c V^b_fc V^a_ci / (E_c - E_i - w_a - i eta)      [absorb a first]
           + sum_c V^a_fc V^b_ci / (E_c - E_i - w_b - i eta)      [absorb b first]
  emit a and b (Omega = -(w_a + w_b), B = (n_a + 1)(n_b + 1)):
      T_fi = sum_c V^b_fc V^a_ci / (E_c - E_i + w_a - i eta)      [emit a first]
           + sum_c V^a_fc V^b_ci / (E_c - E_i + w_b - i eta)      [emit b first]

Pair counting: absorb-a/emit-b runs over *ordered* pairs (a, b), a = b included (this covers both
"absorb a, emit b" and "absorb b, emit a"). Absorb-both and emit-both run over *unordered* pairs
a <= b, because their T-matrix already sums both time orders; the a = b term is weighted by 1/2:
two quanta of the same mode have thermal weight <n(n-1)> = 2 n^2 (resp. <(n+1)(n+2)> = 2 (n+1)^2)
and a single path, i.e. half of the 4 n^2 |single path|^2 that the two-path formula gives. (Summing
all ordered pairs with weight 1/2 is the same thing.)

Lineshapes (``spinbath.baths.lineshapes``): "gaussian" (width = standard deviation) or "lorentzian"
(width = HWHM), truncated below ``cutoff`` times their peak. One global ``width`` (cm^-1) or per-mode
``linewidths``; a pair uses the convolution width (quadrature sum for Gaussians, sum for Lorentzians).

Rate superoperator
------------------
    d rho_ab/dt = sum_cd R_ab,cd rho_cd,    (R in s^-1, eigenbasis of H_s, interaction picture)
    R_ab,cd = sum_k [A^k_ac conj(A^k_bd) - delta_bd K_ac / 2 - delta_ac K_db / 2],
    K = sum_k A^k+ A^k restricted as below,
acting on vec(rho) with column stacking (index of rho_ab is a + d*b; ``spinbath.quantum.liouville``).

Secular approximation: the jump term is kept only where w_ac and w_bd belong to the same cluster of
Bohr frequencies, the clusters being the single-linkage groups of the sorted list of all d^2 Bohr
frequencies with gaps > ``secular_tol`` (cm^-1). For a spectrum whose Bohr frequencies are either
equal within the tolerance or farther apart than it, this is exactly "R_ab,cd = 0 unless
|w_ac - w_bd| <= secular_tol"; in all cases it makes "same cluster" an equivalence relation, so the
kept jump terms form a Davies generator that is completely positive (Schur product of a Gram matrix
with a block of ones). K_ac = sum_j sum_k conj(A^k_ja) A^k_jc over the kept terms, which keeps the
trace exactly and equals the textbook delta_bd (A^+A)_ac with the same secular condition.
Defaults: secular_tol = 1e-4 cm^-1 (about 2e7 rad/s: far above eigenvalue round-off, below the
Zeeman splitting of any field >~ 1 mT), eta = 1 cm^-1 (well below crystal-field gaps of tens to
hundreds of cm^-1, so off-resonant denominators are untouched, while denominators that a mode brings
within ~eta of zero (a real intermediate state, i.e. the sequential Orbach process already counted at
second order) stay finite; results near such resonances scale like 1/eta and should be checked by
varying eta).

Detailed balance. On shell |T| is the same for a process and its reverse, so the rates obey
detailed balance up to the lineshape width (Bose factors at phonon energies: error ~ (width/k_B T)^2
for smooth baths). Two things break it further at fourth order: (i) the reverse process sees the
conjugate prescription 1/(x + i eta), an O(eta/|x|) error for complex couplings; (ii) near a real
intermediate state (|x| <~ width) the off-shell mismatch (~ width) between a process and its reverse
changes |1/(x - i eta)|^2 at O(1) unless eta >> width.

Performance (fourth order). A pair contributes only if its Omega lies within the lineshape window of a
Bohr frequency. Modes are sorted by energy, so for each mode a the partners b form one contiguous
index range (np.searchsorted). For each Bohr-frequency cluster (m elements) and process, a block of
modes a against the union of their partner ranges is one batched matrix product
[V^a_f. | X^a_.i] @ [Y^b_.i | V^b_f.]^T with inner dimension 2d (X, Y hold the denominators); pairs
outside their window get weight 0, and sqrt(lineshape) * T is cached between calls if it fits in
``cache_bytes`` (it does not depend on temperature). Temperature enters only through the Bose
factors, which factorize as left(a, T) * right(b, T): the products Z_j conj(Z_j') (j <= j') of a
block are formed once and contracted with all temperatures at once by one matrix product over b
and a contraction over a. No Python loop runs over pairs; the number of visited (pair, cluster)
combinations is reported by :meth:`SpinPhononRates.count_pairs`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..baths.lineshapes import Lineshape, lineshape as _lookup_lineshape
from ..baths.phonons import PhononBath
from ..spins.hamiltonian import deterministic_phase
from ..units import CM_TO_RAD_PER_S, bose_einstein
from .liouville import lindblad_dissipator, tensor_to_superoperator

__all__ = [
    "RATE_PREFACTOR", "DEFAULT_SECULAR_TOL", "DEFAULT_ETA", "diagonalize", "secular_clusters",
    "SpinPhononRates", "spin_phonon_superoperator",
]

#: 2 pi / hbar in s^-1 per cm^-1 (hbar = 1 / (2 pi c), c in cm/s): rate = RATE_PREFACTOR |V|^2 g.
RATE_PREFACTOR: float = 2.0 * np.pi * CM_TO_RAD_PER_S
#: Default secular tolerance on Bohr-frequency differences, cm^-1.
DEFAULT_SECULAR_TOL: float = 1e-4
#: Default imaginary regularization of fourth-order denominators, cm^-1.
DEFAULT_ETA: float = 1.0

_PROCESSES = ("AE", "AA", "EE")  # absorb a/emit b, absorb both, emit both


def diagonalize(H: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (ascending, cm^-1) and eigenvectors (columns) of a Hermitian H.

    Phase convention: in each eigenvector the component of largest modulus (the first one on ties)
    is real and positive. Within exactly degenerate subspaces the basis is whatever LAPACK returns;
    every quantity computed from it in this package is invariant under rotations of that basis.
    """
    E, U = np.linalg.eigh(np.asarray(H))
    return E, deterministic_phase(U)


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

    @property
    def m(self) -> int:
        return int(self.f.size)

    @property
    def lo(self) -> float:
        return float(self.freqs.min())

    @property
    def hi(self) -> float:
        return float(self.freqs.max())


@dataclass(frozen=True)
class _Chunk:
    """Temperature-independent data of a set of jump operators of one cluster and one process.

    Second order ("abs", "em"): Z has shape (m, P), one column per mode ``ia[p]``.
    Fourth order ("AE", "AA", "EE"): Z has shape (m, A, B) on the grid of modes a = ``ia`` times
    b = ``b0 .. b0 + B - 1``; pairs outside the lineshape window have Z = 0, and the factor 1/2 of
    a = b in AA/EE is folded into Z (as sqrt(1/2)). Z = sqrt(lineshape) * amplitude.
    """

    cluster: int
    process: str
    Z: np.ndarray
    ia: np.ndarray
    b0: int = 0

    @property
    def nbytes(self) -> int:
        return self.Z.nbytes + self.ia.nbytes

    def left(self, nb: np.ndarray) -> np.ndarray:
        """Bose factor of mode a, (len(ia), n_T), from occupations nb (n_T, n_modes)."""
        na = nb[:, self.ia].T
        return na + 1.0 if self.process in ("em", "EE") else na

    def right(self, nb: np.ndarray) -> np.ndarray:
        """Bose factor of mode b, (B, n_T)."""
        nbb = nb[:, self.b0 : self.b0 + self.Z.shape[2]].T
        return nbb if self.process == "AA" else nbb + 1.0


def _parse_order(order) -> tuple[bool, bool]:
    key = str(order).replace(" ", "")
    table = {"2": (True, False), "4": (False, True), "2+4": (True, True), "4+2": (True, True)}
    if key not in table:
        raise ValueError(f"order must be 2, 4 or '2+4', got {order!r}")
    return table[key]


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


def _check_temperatures(temperature) -> tuple[np.ndarray, bool]:
    T = np.asarray(temperature, dtype=float)
    scalar = T.ndim == 0
    T = np.atleast_1d(T)
    if T.ndim != 1:
        raise ValueError(f"temperature must be a number or a 1-D array (K), got shape {T.shape}")
    if not np.all(np.isfinite(T)) or np.any(T < 0):
        raise ValueError(f"temperatures must be finite and >= 0 K, got {temperature!r}")
    return T, scalar


class SpinPhononRates:
    """Spin + discrete phonon bath, built once; rate superoperators for any temperature.

    Parameters
    ----------
    H : (d, d) spin Hamiltonian, cm^-1 (any basis; the basis of V).
    V : (n_modes, d, d) couplings dH/dQ_a in the same basis, cm^-1 per unit Q_a = a_a + a_a^+.
    mode_energies : (n_modes,) phonon energies, cm^-1 (> 0).
    width : lineshape width, cm^-1 (Gaussian standard deviation or Lorentzian HWHM). May be None if
        ``linewidths`` is given; per-mode linewidths take precedence over it.
    lineshape : "gaussian" or "lorentzian".
    linewidths : optional (n_modes,) per-mode widths, cm^-1.
    secular_tol : Bohr frequencies closer than this (cm^-1) are secular partners (module docstring).
    eta : imaginary regularization of fourth-order denominators, cm^-1 (>= 0).
    cutoff : lineshape truncation relative to its peak (None: 1e-8 Gaussian, 1e-6 Lorentzian).
    cache_bytes : memory allowed for caching the fourth-order pair data between calls.
    block_size : largest number of modes a handled per matrix product in the fourth-order sweep.

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
    ):
        H = _check_hamiltonian(H)
        bath = PhononBath(mode_energies, V, linewidths)  # validates shapes, signs, Hermiticity
        if bath.dim != H.shape[0]:
            raise ValueError(f"shape mismatch: H is {H.shape[0]}x{H.shape[0]} but couplings are "
                             f"{bath.dim}x{bath.dim}")
        self.lineshape = _lookup_lineshape(lineshape)
        self.cutoff = self.lineshape._rel(cutoff)
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
        self.secular_tol = secular_tol
        self.eta = eta
        self.cache_bytes = int(cache_bytes)
        self.block_size = max(1, int(block_size))

        self.energies, self.eigenvectors = diagonalize(H)
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
        W = self.energies[:, None] - self.energies[None, :]
        self.bohr = W
        clusters = []
        for c in range(int(self.labels.max()) + 1):
            f, i = np.nonzero(self.labels == c)
            m = f.size
            clusters.append(_Cluster(f, i, W[f, i], np.triu_indices(m)))
        self.clusters: tuple[_Cluster, ...] = tuple(clusters)
        self._cache4: list[_Chunk] | None = None

    # ------------------------------------------------------------------ construction helpers
    @classmethod
    def from_bath(cls, H: np.ndarray, bath: PhononBath, width: float | None = None, **kw) -> SpinPhononRates:
        """Build from a :class:`~spinbath.baths.phonons.PhononBath` (its linewidths, if any, are used)."""
        return cls(H, bath.couplings_cm, bath.energies_cm, width, linewidths=bath.linewidths_cm, **kw)

    @property
    def couplings_eigenbasis(self) -> np.ndarray:
        """V^a in the eigenbasis of H, modes sorted by energy (n_modes, d, d), cm^-1."""
        return self._Vt

    @property
    def mode_energies_sorted(self) -> np.ndarray:
        return self._w

    @cached_property
    def _denominators(self) -> tuple[np.ndarray, np.ndarray]:
        """XpT[m, i, c] = V^m_ci / (E_c - E_i + w_m - i eta), XmT likewise with - w_m; (n, d, d)."""
        E = self.energies
        base = (E[None, None, :] - E[None, :, None])  # [., i, c] = E_c - E_i
        w = self._w[:, None, None]
        den_p = base + w - 1j * self.eta
        den_m = base - w - 1j * self.eta
        if np.any(den_p == 0) or np.any(den_m == 0):
            raise ValueError("a fourth-order denominator E_c - E_i +- w_a vanishes exactly; use eta > 0")
        VT = self._Vt.transpose(0, 2, 1)  # [m, i, c] = V^m_ci
        return VT / den_p, VT / den_m

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
        else:
            if process == "EE":  # Omega = -(w_a + w_b)
                lo, hi = -hi, -lo
            b_lo = np.maximum(np.arange(w.size), np.searchsorted(w, lo - w, side="left"))
            b_hi = np.searchsorted(w, hi - w, side="right")
        return b_lo, b_hi

    def count_pairs(self) -> dict[str, int]:
        """Number of (pair, element-cluster) combinations the fourth-order sweep visits, by process."""
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
            amp = self._Vt[:, cl.f, cl.i].T  # (m, n)
            for process, sign in (("abs", 1.0), ("em", -1.0)):
                omega = sign * w
                g = shape.truncated(cl.freqs[:, None] - omega[None, :], wd[None, :], rel)
                keep = g.any(axis=0)
                if not keep.any():
                    continue
                yield _Chunk(c, process, np.sqrt(g[:, keep]) * amp[:, keep], idx[keep])

    # ------------------------------------------------------------------ fourth order
    def _fourth_order_block(self, c: int, cl: _Cluster, process: str, a_idx: np.ndarray,
                            b_lo: np.ndarray, b_hi: np.ndarray) -> _Chunk | None:
        u0, u1 = int(b_lo.min()), int(b_hi.max())
        if u1 <= u0:
            return None
        b_idx = np.arange(u0, u1)
        valid = (b_idx[None, :] >= b_lo[:, None]) & (b_idx[None, :] < b_hi[:, None])  # (A, B)
        XpT, XmT = self._denominators
        Vt = self._Vt
        f, i = cl.f, cl.i
        # T[j, a, b] = sum over the 2d columns of [path 1 | path 2]: one batched product per block.
        Va = Vt[a_idx][:, f, :]  # (A, m, d): V^a_{f_j c}
        Vb = Vt[u0:u1][:, f, :]  # (B, m, d): V^b_{f_j c}
        if process == "AE":
            Xa, Xb = XmT[a_idx][:, i, :], XpT[u0:u1][:, i, :]
        elif process == "AA":
            Xa, Xb = XmT[a_idx][:, i, :], XmT[u0:u1][:, i, :]
        else:  # "EE"
            Xa, Xb = XpT[a_idx][:, i, :], XpT[u0:u1][:, i, :]
        left = np.concatenate([Va, Xa], axis=2).transpose(1, 0, 2)  # (m, A, 2d)
        right = np.concatenate([Xb, Vb], axis=2).transpose(1, 2, 0)  # (m, 2d, B)
        Z = np.matmul(left, right)  # (m, A, B)
        wa, wb = self._w[a_idx][:, None], self._w[u0:u1][None, :]
        if process == "AE":
            omega = wa - wb
        elif process == "AA":
            omega = wa + wb
        else:
            omega = -(wa + wb)
        if self._per_mode:
            width = self.lineshape.combine(self._widths[a_idx][:, None], self._widths[u0:u1][None, :])
        else:
            width = self.width
        g = self.lineshape.truncated(cl.freqs[:, None, None] - omega[None], width, self.cutoff)
        g *= valid[None]
        if process != "AE":
            g *= np.where(a_idx[:, None] == b_idx[None, :], 0.5, 1.0)[None]
        if not g.any():
            return None
        np.sqrt(g, out=g)
        Z *= g
        return _Chunk(c, process, Z, a_idx, u0)

    def _block_rows(self, cl: _Cluster, counts: np.ndarray) -> int:
        """Modes a per block, from the partner counts of the active modes.

        The grid of a block is its modes times the union of their partner ranges; it wastes
        little when the block spans about half a window (rows ~ median count / 2), and the
        products Y (m(m+1)/2, A, B) are kept to ~64 MB.
        """
        widest = max(int(counts.max()), 1)
        budget = 2**22  # complex entries of Y
        rows = min(budget // (cl.iu[0].size * int(1.5 * widest) + 1), int(np.median(counts)) // 2)
        return int(np.clip(rows, 1, self.block_size))

    def _fourth_order_chunks_compute(self) -> Iterator[_Chunk]:
        delta = self._window()
        for c, cl in enumerate(self.clusters):
            for process in _PROCESSES:
                b_lo, b_hi = self._partner_ranges(cl, process, delta)
                active = np.flatnonzero(b_hi > b_lo)
                if active.size == 0:
                    continue
                rows = self._block_rows(cl, (b_hi - b_lo)[active])
                for s in range(0, active.size, rows):
                    a_idx = active[s : s + rows]
                    chunk = self._fourth_order_block(c, cl, process, a_idx, b_lo[a_idx], b_hi[a_idx])
                    if chunk is not None:
                        yield chunk

    def _fourth_order_chunks(self) -> Iterator[_Chunk]:
        if self._cache4 is not None:
            yield from self._cache4
            return
        store: list[_Chunk] | None = []
        used = 0
        for chunk in self._fourth_order_chunks_compute():
            if store is not None:
                used += chunk.nbytes
                if used <= self.cache_bytes:
                    store.append(chunk)
                else:
                    store = None  # too large to keep: recompute on the next call
            yield chunk
        if store is not None:
            self._cache4 = store

    # ------------------------------------------------------------------ assembly
    def superoperator(self, temperature, order=2) -> np.ndarray:
        """Rate superoperator R (s^-1) in the eigenbasis, acting on column-stacked vec(rho).

        Parameters
        ----------
        temperature : K, a number or a 1-D array (all temperatures are done in one sweep).
        order : 2, 4 or "2+4".

        Returns
        -------
        R : (d*d, d*d) complex, or (n_T, d*d, d*d) for an array of temperatures.
        """
        T, scalar = _check_temperatures(temperature)
        do2, do4 = _parse_order(order)
        nb = bose_einstein(self._w[None, :], T[:, None])  # (n_T, n_modes)
        acc = [np.zeros((T.size, cl.iu[0].size), dtype=complex) for cl in self.clusters]
        c0, pos, pa, pb = self._diagonal_pairs
        dephasing = np.zeros((T.size, pa.size))
        chunks: list[Iterator[_Chunk]] = []
        if do2:
            chunks.append(self._second_order_chunks())
        if do4:
            chunks.append(self._fourth_order_chunks())
        for it in chunks:
            for ch in it:
                _accumulate(acc[ch.cluster], self.clusters[ch.cluster], ch, nb)
                if ch.cluster == c0:
                    _accumulate_dephasing(dephasing, pos[pa], pos[pb], ch, nb)
        R = self._assemble(acc, dephasing) * RATE_PREFACTOR
        return R[0] if scalar else R

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
        # Population diagonal without cancellation: K_cc contains the elastic |A_cc|^2 (lineshape
        # tails at zero frequency), which the jump term cancels exactly but in floating point leaves
        # a round-off ~eps * |A_cc|^2 that can exceed a slow escape rate. R_cc,cc = -sum_{a!=c} R_aa,cc
        # is the same quantity written as a sum of positive rates (and keeps the trace exactly).
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


def _accumulate(out: np.ndarray, cl: _Cluster, ch: _Chunk, nb: np.ndarray) -> None:
    """out[t, (j, j')] += sum over the chunk's jump operators of B(t) Z_j conj(Z_j'), j <= j'.

    The products Y = Z_j conj(Z_j') are formed once per chunk (one broadcast multiply per row j),
    and the temperature sums are matrix products: second order Y (n_tri, P) @ left (P, n_T); fourth
    order, with the Bose weight of a pair factorized as left(a, t) * right(b, t), first
    (n_tri A, B) @ right (B, n_T), then a contraction over a with left (A, n_T).
    """
    Z = ch.Z
    m = Z.shape[0]
    ntri = cl.iu[0].size
    Zc = Z.conj()
    Y = np.empty((ntri,) + Z.shape[1:], dtype=complex)
    k = 0
    for j in range(m):  # rows (j, j..m-1) of the upper triangle, in np.triu_indices order
        np.multiply(Z[j][None], Zc[j:], out=Y[k : k + m - j])
        k += m - j
    left = ch.left(nb)  # (A or P, n_T)
    if Y.ndim == 2:  # second order
        res = Y @ left.astype(complex)
    else:
        A, B = Y.shape[1], Y.shape[2]
        tmp = (Y.reshape(ntri * A, B) @ ch.right(nb).astype(complex)).reshape(ntri, A, -1)
        res = np.einsum("kat,at->kt", tmp, left)
    out += res.T


def _accumulate_dephasing(out: np.ndarray, ja: np.ndarray, jb: np.ndarray, ch: _Chunk, nb: np.ndarray) -> None:
    """out[t, p] += sum over the chunk's jump operators of B(t) |Z_ja[p] - Z_jb[p]|^2 (pure dephasing).

    ja, jb: rows of the chunk's Z holding the diagonal elements (a, a) and (b, b) of each pair p.
    """
    D = np.abs(ch.Z[ja] - ch.Z[jb]) ** 2  # (n_pairs, P) or (n_pairs, A, B), real
    left = ch.left(nb)
    if D.ndim == 2:
        out += (D @ left).T
    else:
        n, A, B = D.shape
        tmp = (D.reshape(n * A, B) @ ch.right(nb)).reshape(n, A, -1)
        out += np.einsum("kat,at->tk", tmp, left)


def spin_phonon_superoperator(H, V, mode_energies, temperature, order, width, lineshape="gaussian"):
    """Spin-phonon rate superoperator at second or fourth order (see the module docstring).

    Parameters
    ----------
    H : (d, d) spin Hamiltonian, cm^-1.
    V : (n_modes, d, d) couplings dH/dQ_a in the basis of H, cm^-1 per unit Q_a = a_a + a_a^+.
    mode_energies : (n_modes,) cm^-1.
    temperature : K (a number, or a 1-D array for a stack of superoperators).
    order : 2, 4 (or "2+4").
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
                            cutoff=None):
    """Plain fourth-order rate superoperator: Python loops over pairs, for tests on small systems.

    Builds one jump operator A^k per pair and process exactly as in the module docstring, adds its
    Lindblad dissipator, and keeps R_ab,cd only where |w_ac - w_bd| <= secular_tol. Returns (E, R).
    """
    shape = _lookup_lineshape(lineshape)
    rel = shape._rel(cutoff)
    E, U = diagonalize(np.asarray(H, dtype=complex))
    d = E.size
    w = np.asarray(mode_energies, dtype=float)
    n = w.size
    Vt = [U.conj().T @ np.asarray(V[a]) @ U for a in range(n)]
    lw = None if linewidths is None else np.asarray(linewidths, dtype=float)
    occ = bose_einstein(w, float(temperature))
    W = E[:, None] - E[None, :]  # W[f, i] = E_f - E_i
    # Secular mask on vec indices: row (a, b) -> a + d*b, column (c, e) -> c + d*e.
    rows = [(a, b) for b in range(d) for a in range(d)]
    mask = np.array([[abs(W[a, c] - W[b, e]) <= secular_tol for (c, e) in rows] for (a, b) in rows])

    def pair_width(a, b):
        return width if lw is None else float(shape.combine(lw[a], lw[b]))

    def path_sum(Vfirst, Vsecond, shift):
        # sum_c Vsecond[f, c] Vfirst[c, i] / (E_c - E_i + shift - i eta)
        T = np.zeros((d, d), dtype=complex)
        for c in range(d):
            T += np.outer(Vsecond[:, c], Vfirst[c, :]) / (E[c] - E[None, :] + shift - 1j * eta)
        return T

    R = np.zeros((d * d, d * d), dtype=complex)

    def add(T, omega, bose, wid):
        g = shape.truncated(W - omega, wid, rel)
        A = np.sqrt(RATE_PREFACTOR * bose * g) * T
        R[...] += mask * lindblad_dissipator(A)

    for a in range(n):  # absorb a, emit b: ordered pairs, a = b included
        for b in range(n):
            T = path_sum(Vt[b], Vt[a], w[b]) + path_sum(Vt[a], Vt[b], -w[a])
            add(T, w[a] - w[b], occ[a] * (occ[b] + 1), pair_width(a, b))
    for a in range(n):  # absorb both / emit both: unordered pairs a <= b, a = b weighted 1/2
        for b in range(a, n):
            half = 0.5 if a == b else 1.0
            T = path_sum(Vt[a], Vt[b], -w[a]) + path_sum(Vt[b], Vt[a], -w[b])
            add(T, w[a] + w[b], half * occ[a] * occ[b], pair_width(a, b))
            T = path_sum(Vt[a], Vt[b], w[a]) + path_sum(Vt[b], Vt[a], w[b])
            add(T, -(w[a] + w[b]), half * (occ[a] + 1) * (occ[b] + 1), pair_width(a, b))
    return E, R
