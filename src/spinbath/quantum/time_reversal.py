r"""Time reversal of the spin-phonon model in its eigenbasis, and the real coordinates it gives the
two-phonon amplitudes of a secular cluster (the fourth-order sweep's halving of its work).

An antiunitary Theta = Y K (Y unitary in the basis of H, K complex conjugation; for one spin J in
the |J, M> basis Y = exp(-i pi J_y), Theta^2 = (-1)^{2J}) is a **symmetry of the model** when it
commutes with H and with every coupling V^a = dH/dQ_a: crystal-field derivatives at zero field (the
Stevens operators of even rank are time-even); a magnetic field or a g-tensor derivative times a
field breaks it. In the eigenbasis |f> of H, Theta |f> = sum_g tau_gf |g> with tau = U^+ Y conj(U).
When tau is a *phase permutation*, Theta |f> = tau_f |sigma(f)> (always so for Kramers doublets:
<f| Theta f> = 0 for Theta^2 = -1, so Theta f lies along the doublet's other basis vector, whatever
the basis chosen inside it), time-evenness reads

    V^a_{sigma f, sigma i} = tau_f conj(tau_i) conj(V^a_fi).

The two-phonon amplitude of a pair, T_fi = sum_n V_fn V_ni D(E_n, ...) + (a <-> b), has real
denominators that depend on energies only (E_{sigma n} = E_n), and the lineshape factor of the
element depends on its Bohr frequency only, so its scaled amplitude z_j = Z_{f_j i_j} obeys

    z_{pi(j)} = phi_j conj(z_j),   pi(j) = (sigma f_j, sigma i_j),   phi_j = tau_{f_j} conj(tau_{i_j})

for every pair of modes and every process. For a cluster that holds pi(j) with each of its elements
j, the m amplitudes are therefore m real numbers (:class:`RealForm`): for an element paired with
another, the real and imaginary parts of the representative's amplitude; for an element mapped onto
itself (pi(j) = j, integer spins), the real amplitude e^{-i theta_j / 2} z_j, theta_j = arg phi_j.
With x these real coordinates, z = E x (E complex m x m, two entries per row at most) and

    J_{jj'} = sum_p W_p z_j conj(z_j') = (E G E^+)_{jj'},   G = sum_p W_p x x^T  (real symmetric),

so the sweep computes the amplitudes of the representatives only (half of them) and accumulates a
real m x m Gram matrix instead of a complex one (a quarter of the real multiply-adds of the
2m x 2m real form). Used by :class:`~spinbath.quantum.spin_phonon.SpinPhononRates`, where it is
exact up to round-off (tests/quantum/test_time_reversal.py compares it with the full sweep).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache

import numpy as np

__all__ = ["Symmetry", "RealForm", "find_symmetry", "real_form", "spin_time_reversal", "time_reversal_unitary",
           "TIME_EVEN_TOL"]

#: Largest |V_{sigma f, sigma i} - tau_f conj(tau_i) conj(V_fi)| relative to max |V^a| of the mode
#: (eigenbasis) for which a coupling counts as time-even.
TIME_EVEN_TOL: float = 1e-11
#: Tolerance on |tau_gf| being 0 or 1 (unitary in the eigenbasis, exact up to round-off).
_PERMUTATION_TOL: float = 1e-8
#: Modes checked at once (bounds the temporaries at 1e6 modes).
_CHECK_BLOCK: int = 4096


@dataclass(frozen=True)
class Symmetry:
    """Theta |f> = tau[f] |sigma[f]> in the eigenbasis: sigma (d,) an involution, tau (d,) unit phases."""

    sigma: np.ndarray
    tau: np.ndarray


@dataclass(frozen=True)
class RealForm:
    """Real coordinates of a cluster's m amplitudes (module docstring).

    rep (r,): positions in the cluster of the representatives whose amplitudes the sweep computes,
    the n_pair paired ones first, then the self-mapped ones. spin (r,): unit factors s (1 for a paired
    representative, e^{-i theta / 2} for a self-mapped one); x = [Re(s z_rep); Im(s z_rep[:n_pair])].
    E (m, m) complex: z = E x.
    """

    rep: np.ndarray
    spin: np.ndarray
    n_pair: int
    E: np.ndarray
    _columns: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def m(self) -> int:
        return int(self.E.shape[0])

    def coordinates(self, z_rep: np.ndarray) -> np.ndarray:
        """x, laid out (P, m) real (a pair's coordinates contiguous), from the representatives'
        amplitudes z_rep (r, P) complex."""
        r = self.rep.size
        s = z_rep * self.spin[:, None]
        x = np.empty((z_rep.shape[1], self.m))
        x[:, :r] = s.real.T
        x[:, r:] = s[: self.n_pair].imag.T
        return x

    def amplitudes(self, x: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """z[rows] (len(rows), P) complex from the coordinates x (P, m)."""
        return self.E[rows] @ x.T

    def dephasing_columns(self, ja: np.ndarray, jb: np.ndarray):
        """The pure-dephasing terms |z_ja[q] - z_jb[q]|^2 as distinct real quadratic forms of x:
        (idx, cre, cim, back), column c = (sum_u cre[c, u] x_idx[c, u])^2 + (sum_u cim[c, u] x_idx[c, u])^2
        and term q = column back[q]. A level pair and its time reverse (z_{sigma a sigma a} =
        conj(z_aa)) give the same column, so it is computed once. Cached per (ja, jb)."""
        key = (np.asarray(ja).tobytes(), np.asarray(jb).tobytes())
        if key not in self._columns:
            C = self.E[ja] - self.E[jb]  # (n_q, m)
            forms: dict[tuple, int] = {}
            rows, back = [], np.empty(C.shape[0], dtype=np.int64)
            for q, c in enumerate(C):
                nz = np.flatnonzero(np.abs(c) > 1e-14)
                # |c . x|^2 = |conj(c) . x|^2 for real x: one key for both
                keys = [tuple((int(k), round(float(v.real), 12), round(float(v.imag), 12)) for k, v in zip(nz, w))
                        for w in (c[nz], c[nz].conj())]
                kq = min(keys)
                if kq not in forms:
                    forms[kq] = len(rows)
                    rows.append((nz, c[nz]))
                back[q] = forms[kq]
            width = max([1] + [nz.size for nz, _ in rows])
            idx = np.zeros((len(rows), width), dtype=np.int64)
            cre, cim = np.zeros((len(rows), width)), np.zeros((len(rows), width))
            for c, (nz, v) in enumerate(rows):
                idx[c, : nz.size], cre[c, : nz.size], cim[c, : nz.size] = nz, v.real, v.imag
            self._columns[key] = (idx, cre, cim, back)
        return self._columns[key]

    def to_elements(self, G: np.ndarray, iu: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        """Upper triangle (n_T, m(m+1)/2) complex of E G E^+ from the real Gram matrices' upper
        triangle G (n_T, m(m+1)/2) (np.triu_indices order)."""
        nT, m = G.shape[0], self.m
        full = np.zeros((nT, m, m))
        full[:, iu[0], iu[1]] = G
        full[:, iu[1], iu[0]] = G
        J = self.E @ full @ self.E.conj().T
        return J[:, iu[0], iu[1]]


def time_reversal_unitary(Jy: np.ndarray) -> np.ndarray:
    """Y = exp(-i pi J_y) for the total J_y of the spins (any number of sites) in the |M> product
    basis: Theta = Y K."""
    import scipy.linalg as sla

    return sla.expm(-1j * np.pi * np.asarray(Jy))


@lru_cache(maxsize=16)
def spin_time_reversal(d: int) -> np.ndarray:
    """:func:`time_reversal_unitary` of one spin J = (d - 1)/2 in spinbath's |J, M> basis;
    read-only, computed once per d."""
    from ..spins.operators import spin_matrices

    Y = time_reversal_unitary(spin_matrices(Fraction(d - 1, 2))[1])
    Y.setflags(write=False)
    return Y


def find_symmetry(energies: np.ndarray, U: np.ndarray, Vt: np.ndarray, Y: np.ndarray) -> Symmetry | None:
    """The phase permutation of Theta = Y K in the eigenbasis (columns of U, energies cm^-1), or None
    when Theta is not a symmetry of H and of every coupling Vt (n, d, d) (eigenbasis, cm^-1), or
    does not permute the eigenvectors up to phases (a degenerate level of an integer spin in a basis
    that mixes its time-reversed states)."""
    d = U.shape[0]
    if Y.shape != (d, d):
        return None
    tau_full = U.conj().T @ Y @ U.conj()
    mag = np.abs(tau_full)
    sigma = mag.argmax(axis=0)
    cols = np.arange(d)
    if (np.abs(mag[sigma, cols] - 1.0) > _PERMUTATION_TOL).any() or ((mag > _PERMUTATION_TOL).sum(axis=0) != 1).any():
        return None
    if not np.array_equal(sigma[sigma], cols):
        return None
    spread = float(np.ptp(energies)) if d > 1 else 0.0
    if (np.abs(energies[sigma] - energies) > 1e-10 * spread + 1e-12).any():
        return None  # Theta does not commute with H
    tau = tau_full[sigma, cols]
    tau = tau / np.abs(tau)
    phase = tau[:, None] * tau.conj()[None, :]
    for s in range(0, Vt.shape[0], _CHECK_BLOCK):
        V = Vt[s : s + _CHECK_BLOCK]
        dev = np.abs(V[:, sigma][:, :, sigma] - phase * V.conj()).max(axis=(1, 2))
        if (dev > TIME_EVEN_TOL * np.abs(V).max(axis=(1, 2))).any():
            return None
    return Symmetry(sigma, tau)


def real_form(sym: Symmetry, f: np.ndarray, i: np.ndarray, position: np.ndarray) -> RealForm | None:
    """The real coordinates of the cluster with elements (f_j, i_j); ``position[f, i]``: position of
    element (f, i) in this cluster, -1 if not in it. None if the cluster does not hold the time
    reverse of each of its elements."""
    m = f.size
    partner = position[sym.sigma[f], sym.sigma[i]]
    if (partner < 0).any():
        return None
    phi = sym.tau[f] * sym.tau[i].conj()
    paired = [j for j in range(m) if j < partner[j]]
    fixed = [j for j in range(m) if j == partner[j]]
    rep = np.array(paired + fixed, dtype=np.int64)
    n_pair, r = len(paired), rep.size
    spin = np.ones(r, dtype=complex)
    E = np.zeros((m, m), dtype=complex)
    for k, j in enumerate(paired):  # z_j = x_k + i x_{r+k}; z_pi(j) = phi_j conj(z_j)
        E[j, k], E[j, r + k] = 1.0, 1j
        E[partner[j], k], E[partner[j], r + k] = phi[j], -1j * phi[j]
    for k, j in enumerate(fixed, start=n_pair):  # z_j = e^{i theta/2} x_k, real x_k
        half = np.exp(0.5j * np.angle(phi[j]))
        spin[k], E[j, k] = half.conj(), half
    return RealForm(rep, spin, n_pair, E)
