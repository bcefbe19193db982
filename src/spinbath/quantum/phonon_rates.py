r"""One- and two-phonon transition rates between the eigenstates of a spin coupled to spectral channels.

Channels alpha of :mod:`spinbath.baths.spectral` (V^alpha = dH/dq_alpha, densities B_alpha(w) in
1/cm^-1, quadratic couplings W^{alpha beta}; q = b + b^+). One phonon:
W1_{m<-n} = (2 pi / hbar) sum_a |V^a_mn|^2 B_a(|w_nm|) (n + 1 or n); two phonons (Raman and the
sum processes): the squared second-order T-matrix integrated over B_a(w1) B_b(w2) with Bose
factors, split into a virtual and a resonant (sequential) part; rates in s^-1, energies in cm^-1,
T in K. The relaxation laws this gives (direct, Orbach, Raman, the vibronic-barrier law) follow
L. Gu and R. Wu, Phys. Rev. Lett. 125, 117203 (2020), doi:10.1103/PhysRevLett.125.117203. The
derivation, the energy denominators, detailed balance and the quadrature are in
docs/theory/relaxation-laws.md; units follow the Conventions page (docs/conventions.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.integrate import quad_vec

from ..baths.adapters import modes_to_channels
from ..baths.protocol import DiscreteModes
from ..baths.spectral import SpectralBath
from ..units import KB_CM, bose_einstein
from .spin_phonon import RATE_PREFACTOR, _check_hamiltonian, diagonalize
from .temperatures import check_temperatures

#: Default width of intermediate states of the two-phonon rates, cm^-1 (docs/theory/relaxation-laws.md).
DEFAULT_ETA: float = 1.0

__all__ = [
    "PhononRates", "quasi_degenerate_clusters", "DEFAULT_DOUBLET_RATIO", "DEFAULT_EPSREL", "RATE_PREFACTOR",
]

#: Consecutive levels are a quasi-doublet when their gap is below this fraction of the neighbouring gaps.
DEFAULT_DOUBLET_RATIO = 0.2
#: Default relative accuracy of every two-phonon rate (each pair and temperature).
DEFAULT_EPSREL = 1e-6
#: Two-phonon rates below this fraction of their no-cancellation bound are round-off (see _adaptive_integral).
ROUNDOFF_FLOOR = 1e-9
#: Bose factors beyond this many k_B T_max above the bath's extent are dropped (< e^-50).
_THERMAL_CUTOFF = 50.0


def quasi_degenerate_clusters(E: np.ndarray, ratio: float = DEFAULT_DOUBLET_RATIO) -> np.ndarray:
    """Cluster label of each level (E ascending, cm^-1): consecutive levels i, i+1 belong together
    when E_{i+1} - E_i < ratio * min(E_i - E_{i-1}, E_{i+2} - E_{i+1}) (missing neighbours: inf)."""
    E = np.asarray(E, dtype=float)
    gaps = np.diff(E)
    left = np.concatenate([[np.inf], gaps[:-1]])
    right = np.concatenate([gaps[1:], [np.inf]])
    join = gaps < ratio * np.minimum(left, right)
    return np.concatenate([[0], np.cumsum(~join)]).astype(int)


def _groups_within(E: np.ndarray, tol: float) -> np.ndarray:
    """Single-linkage groups of sorted energies with gaps <= tol (labels)."""
    return np.concatenate([[0], np.cumsum(np.diff(E) > tol)]).astype(int)


@dataclass(frozen=True)
class _PairData:
    """Temperature-independent data of the downhill pairs (m <- n, E_n >= E_m) of one process."""

    m: np.ndarray  # (P,)
    n: np.ndarray  # (P,)
    omega: np.ndarray  # (P,) E_n - E_m >= 0
    Z: np.ndarray  # (P, nch, 2d): [V^a_{c n} | V^a_{m c}] (a: channel, c: intermediate state)
    Zs: np.ndarray  # (P, nch, 2d): the halves swapped, [V^a_{m c} | V^a_{c n}]
    wa: np.ndarray  # (R,) channel a of each ordered quadratic entry (a, b)
    wb: np.ndarray  # (R,) channel b
    wv: np.ndarray  # (P, R): W^{ab}_{mn}
    intra: np.ndarray  # (P, d) bool: c in the clusters of n or m (principal-value denominators)
    same: np.ndarray  # (P, d, d) bool: c, c' excited and in the same resonance group


class PhononRates:
    """Spin Hamiltonian + spectral bath, built once; one- and two-phonon rates at any temperatures.

    Golden-rule rates in s^-1 (energies cm^-1, T in K): one phonon W1_{m<-n} = (2 pi/hbar) sum_a
    |V^a_mn|^2 B_a(|w_nm|) (n + 1 or n); two phonons from the squared second-order T-matrix
    integrated over B_a(w1) B_b(w2) (docs/theory/relaxation-laws.md); the relaxation laws of
    L. Gu and R. Wu, Phys. Rev. Lett. 125, 117203 (2020), doi:10.1103/PhysRevLett.125.117203.

    Parameters
    ----------
    H : (d, d) Hermitian spin Hamiltonian, cm^-1, in the basis of the bath operators.
    bath : :class:`~spinbath.baths.spectral.SpectralBath` with operators of dimension d, or a
        discrete-mode :class:`~spinbath.baths.phonons.PhononBath`, broadened into one damped-oscillator
        channel per mode (:func:`spinbath.baths.adapters.modes_to_channels`; half width: the mode's
        linewidth, else ``mode_width`` in cm^-1).
    eta : width of intermediate states in energy denominators, cm^-1 (> 0).
    doublet_ratio : quasi-doublet criterion (:func:`quasi_degenerate_clusters`).
    two_phonon_max_gap : if given (cm^-1), two-phonon rates for every pair split by less than this,
        instead of the pairs inside the quasi-degenerate clusters. The two lowest levels always get them.
    epsrel : relative accuracy of each two-phonon rate.

    Attributes: ``energies`` (d,), ``eigenvectors`` (d, d) columns, ``clusters`` (d,) labels,
    ``two_phonon_pairs`` list of (m, n) downhill pairs, ``V`` (nch, d, d) in the eigenbasis, and the
    quadratic couplings as ``quadratic_pairs`` (Q, 2) channel indices with ``W`` (Q, d, d).
    """

    def __init__(self, H: np.ndarray, bath: SpectralBath, *, eta: float = DEFAULT_ETA,
                 doublet_ratio: float = DEFAULT_DOUBLET_RATIO, two_phonon_max_gap: float | None = None,
                 epsrel: float = DEFAULT_EPSREL, mode_width: float | None = None):
        H = _check_hamiltonian(H)
        if isinstance(bath, DiscreteModes):  # PhononBath or any object with modes
            bath = modes_to_channels(bath, mode_width)
        if not isinstance(bath, SpectralBath):
            raise ValueError("bath must be a spinbath.baths.spectral.SpectralBath or a spinbath.baths.phonons.PhononBath")
        if bath.dim != H.shape[0]:
            raise ValueError(f"shape mismatch: H is {H.shape[0]}x{H.shape[0]} but the bath operators are "
                             f"{bath.dim}x{bath.dim}")
        eta = float(eta)
        if not np.isfinite(eta) or eta <= 0:
            raise ValueError(f"eta must be finite and > 0 cm^-1, got {eta!r}")
        if not 0 < float(doublet_ratio) < 1:
            raise ValueError(f"doublet_ratio must lie in (0, 1), got {doublet_ratio!r}")
        if two_phonon_max_gap is not None and not float(two_phonon_max_gap) > 0:
            raise ValueError(f"two_phonon_max_gap must be > 0 cm^-1, got {two_phonon_max_gap!r}")
        if not 0 < float(epsrel) < 0.1:
            raise ValueError(f"epsrel must lie in (0, 0.1), got {epsrel!r}")
        self.bath = bath
        self.eta = eta
        self.epsrel = float(epsrel)
        self.energies, self.eigenvectors = diagonalize(H)
        self.V = bath.operators_in_basis(self.eigenvectors)
        self.quadratic_pairs, self.W = bath.quadratic_in_basis(self.eigenvectors)
        self.clusters = quasi_degenerate_clusters(self.energies, float(doublet_ratio))
        self.two_phonon_pairs = self._select_pairs(two_phonon_max_gap)

    @property
    def dim(self) -> int:
        return int(self.energies.size)

    def _select_pairs(self, max_gap: float | None) -> list[tuple[int, int]]:
        E, d = self.energies, self.dim
        pairs = set()
        for i in range(d):
            for j in range(i + 1, d):
                if max_gap is None:
                    keep = self.clusters[i] == self.clusters[j]
                else:
                    keep = E[j] - E[i] < max_gap
                if keep:
                    pairs.add((i, j))
        pairs.add((0, 1))
        # Downhill orientation: n is the upper level (the larger index on exact ties).
        return sorted(pairs)

    # ------------------------------------------------------------------ one phonon
    @cached_property
    def _one_phonon_kernel(self) -> np.ndarray:
        """G[m, n] = sum_a |V^a_mn|^2 B_a(|omega_nm|), cm^-1 (temperature independent)."""
        E = self.energies
        w = np.abs(E[None, :] - E[:, None])  # w[m, n] = |E_n - E_m|
        B = self.bath.densities(w)  # (nch, d, d)
        G = np.einsum("amn,amn->mn", np.abs(self.V) ** 2, B)
        np.fill_diagonal(G, 0.0)
        return G

    def one_phonon(self, temperature) -> np.ndarray:
        """W1[t, m, n]: one-phonon rate m <- n (s^-1), shape (n_T, d, d), zero diagonal.

        W1_{m<-n} = (2 pi/hbar) sum_a |V^a_mn|^2 B_a(|w_nm|) [n(|w_nm|) + 1 if w_nm > 0 (emission),
        n(|w_nm|) if w_nm < 0], w_nm = E_n - E_m in cm^-1, n the Bose factor at T (K) > 0; Gu & Wu,
        Phys. Rev. Lett. 125, 117203 (2020), doi:10.1103/PhysRevLett.125.117203.
        """
        T, _ = check_temperatures(temperature, allow_zero=False)
        E = self.energies
        om = E[None, :] - E[:, None]  # om[m, n] = omega_nm = E_n - E_m
        w = np.abs(om)
        with np.errstate(divide="ignore", invalid="ignore"):
            nb = bose_einstein(np.where(w > 0, w, 1.0)[None], T[:, None, None])
        occ = np.where(om[None] > 0, nb + 1.0, nb)
        occ = np.where(w[None] > 0, occ, 0.0)  # B(0) = 0 for both kinds: no elastic one-phonon rate
        return RATE_PREFACTOR * self._one_phonon_kernel[None] * occ

    # ------------------------------------------------------------------ two phonons
    def _pair_data(self, pairs: list[tuple[int, int]]) -> _PairData:
        E, V = self.energies, self.V
        # (i, j) with i < j: downhill is j -> i (E_j >= E_i).
        m = np.array([p[0] for p in pairs], int)
        n = np.array([p[1] for p in pairs], int)
        omega = E[n] - E[m]
        Vcol = V[:, :, n].transpose(2, 0, 1)  # (P, nch, d): V^a_{c n}
        Vrow = V[:, m, :].transpose(1, 0, 2)  # (P, nch, d): V^a_{m c}
        Z = np.ascontiguousarray(np.concatenate([Vcol, Vrow], axis=2))
        Zs = np.ascontiguousarray(np.concatenate([Vrow, Vcol], axis=2))
        # Ordered entries (a, b) of the symmetric quadratic couplings: (i, j) and (j, i) for i != j.
        qi, qj = self.quadratic_pairs[:, 0], self.quadratic_pairs[:, 1]
        off = qi != qj
        wa = np.concatenate([qi, qj[off]])
        wb = np.concatenate([qj, qi[off]])
        Wq = np.concatenate([self.W, self.W[off]], axis=0)  # (R, d, d)
        wv = Wq[:, m, n].T if Wq.shape[0] else np.zeros((m.size, 0), complex)
        cl = self.clusters
        intra = (cl[None, :] == cl[n][:, None]) | (cl[None, :] == cl[m][:, None])
        grp = _groups_within(E, self.eta)
        same = (grp[:, None] == grp[None, :])[None] & ~intra[:, :, None] & ~intra[:, None, :]
        return _PairData(m, n, omega, Z, Zs, wa, wb, np.ascontiguousarray(wv), intra, same)

    def _kernel(self, pd: _PairData, w1: np.ndarray, w2: np.ndarray, x1: np.ndarray, x2: np.ndarray,
                bound: bool = False) -> np.ndarray:
        """sum_ab B_a(w1) B_b(w2) |T^ab_mn|^2 split as (virtual, resonant), shape (2, P, k).

        w1, w2: (P, k) phonon energies; x1, x2: (P, k, d) arguments of the path-1 / path-2
        denominators g(x) (docs/theory/relaxation-laws.md). ``bound=True`` returns instead the same sum with every
        term of T taken in absolute value, shape (1, P, k): the size the result would have without
        cancellations, which sets its round-off floor.

        T^ab = sum_c X_ac Y_bc + W^ab with X = Z g (Z = [V_cn | V_mc], g = [g1 | g2], c over 2d
        path-and-state slots) and Y = Zs. The weighted sum over channel pairs is a Frobenius norm,
        sum_ab B_a B_b |(X Y^T)_ab|^2 = ||A C^T||_F^2 with A = sqrt(B(w1)) Z g, C = sqrt(B(w2)) Zs,
        and equals ||R_A g R_C^T||_F^2 with R the triangular factors of thin QR decompositions
        (Q has orthonormal columns): O(n_channels d^2) per point instead of O(n_channels^2 d), and
        the sum over intermediate states c is still done on amplitudes, so cancellations between
        them (Van Vleck, time reversal) keep round-off ~eps of the amplitude, as in T itself. The
        Gram matrices G = R^T R^* (sum_a B_a Z_ac Z_ac'^*) give the resonant part. The quadratic
        couplings add their few (a, b) entries explicitly.
        """
        eta = self.eta
        B1 = self.bath.densities(w1).transpose(1, 2, 0)  # (P, k, nch)
        B2 = self.bath.densities(w2).transpose(1, 2, 0)
        intra = pd.intra[:, None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            g1 = np.where(intra, x1 / (x1 * x1 + eta * eta), 1.0 / (x1 + 1j * eta))
            g2 = np.where(intra, x2 / (x2 * x2 + eta * eta), 1.0 / (x2 + 1j * eta))
        g = np.concatenate([g1, g2], axis=-1)  # (P, k, 2d)
        Z, Zs, wv = pd.Z, pd.Zs, pd.wv
        if bound:
            # No cancellation anywhere: all terms in absolute value (Gram form, no precision needed).
            Z, Zs, wv, g = np.abs(Z), np.abs(Zs), np.abs(wv), np.abs(g)
            G1 = (Z[:, None] * B1[..., None]).transpose(0, 1, 3, 2) @ Z[:, None]
            G2 = (Zs[:, None] * B2[..., None]).transpose(0, 1, 3, 2) @ Zs[:, None]
            S = np.einsum("pkc,pkce,pke->pk", g, G1 * G2, g)
        else:
            RA = np.linalg.qr(Z[:, None] * np.sqrt(B1)[..., None], mode="r")  # (P, k, r, 2d)
            RC = np.linalg.qr(Zs[:, None] * np.sqrt(B2)[..., None], mode="r")
            M = (RA * g[..., None, :]) @ RC.transpose(0, 1, 3, 2)
            S = (M.real**2 + M.imag**2).sum(axis=(-2, -1))
        if wv.shape[1]:
            # Quadratic couplings: 2 Re sum B_a B_b conj(W_ab) (X Y^T)_ab + sum B_a B_b |W_ab|^2.
            bb = B1[:, :, pd.wa] * B2[:, :, pd.wb]  # (P, k, R)
            XY = np.einsum("prc,pkc,prc->pkr", Z[:, pd.wa], g, Zs[:, pd.wb])
            S += np.einsum("pkr,pkr->pk", bb, 2.0 * (wv.conj()[:, None] * XY).real + np.abs(wv[:, None]) ** 2)
        if bound:
            return S[None]
        d = self.dim
        res = np.zeros_like(S)
        if pd.same.any():
            # Resonant part (docs/theory/relaxation-laws.md): path 1 pairs V^a_cn (G1, first half) with V^b_mc (G2,
            # first half); path 2 V^a_mc (G1, second half) with V^b_cn (G2, second half).
            G1 = RA.transpose(0, 1, 3, 2) @ RA.conj()  # sum_a B_a(w1) Z_ac conj(Z_ac')
            G2 = RC.transpose(0, 1, 3, 2) @ RC.conj()
            for half, x in ((slice(0, d), x1), (slice(d, 2 * d), x2)):
                r = np.sqrt(np.sqrt(np.pi / 2.0) / eta**2) * np.exp(-0.25 * (x / eta) ** 2)  # (P, k, d)
                K = r[..., :, None] * r[..., None, :] * pd.same[:, None]
                res += ((G1[..., half, half] * G2[..., half, half]).real * K).sum(axis=(-2, -1))
        return np.stack([S - res, res])

    def _raman_breakpoints(self, pd: _PairData) -> tuple[np.ndarray, np.ndarray]:
        """(points, widths) in w1 for the Raman integrals of all pairs."""
        E, eta = self.energies, self.eta
        pts, wid = [], []
        for pos, width in self.bath.features():
            for om in np.unique(pd.omega):
                pts += [pos, pos - om]
                wid += [width, width]
        for p in range(pd.m.size):
            n, m = pd.n[p], pd.m[p]
            exc = ~pd.intra[p]
            for x in np.concatenate([E[exc] - E[n], E[m] - E[exc]]):
                pts.append(x)
                wid.append(eta)
        return np.array(pts, float), np.array(wid, float)

    def _sum_breakpoints(self, pd: _PairData) -> tuple[np.ndarray, np.ndarray]:
        """(points, widths) in s = w1/omega_p (0 < s < 1) for the two-phonon emission integrals."""
        E, eta = self.energies, self.eta
        pts, wid = [], []
        for p in range(pd.m.size):
            om = pd.omega[p]
            n = pd.n[p]
            exc = ~pd.intra[p]
            for pos, width in self.bath.features():
                pts += [pos / om, 1.0 - pos / om]
                wid += [width / om] * 2
            for x in E[n] - E[exc]:
                pts += [x / om, 1.0 - x / om]
                wid += [eta / om] * 2
        return np.array(pts, float), np.array(wid, float)

    def two_phonon(self, temperature) -> dict[str, np.ndarray]:
        """Two-phonon rates m <- n (s^-1) for ``two_phonon_pairs`` and their reverses.

        W2_{m<-n} = (2 pi/hbar) sum_ab int dw1 B_a(w1) B_b(w2) n(w1) (n(w2) + 1) |T^ab_mn(w1, w2)|^2
        (Raman, w2 = w1 + w_nm; the sum processes likewise), T the second-order T-matrix
        (docs/theory/relaxation-laws.md); Gu & Wu, Phys. Rev. Lett. 125, 117203 (2020),
        doi:10.1103/PhysRevLett.125.117203.

        Returns arrays (n_T, d, d), zero outside the two-phonon pairs:
            "raman"           virtual Raman (absorb w1, emit w1 + omega), resonant part removed
            "raman-resonant"  the eta-broadened real-intermediate (sequential) part of |T|^2
            "sum"             virtual two-phonon emission / absorption (w1 + w2 = |omega_nm|)
            "sum-resonant"    its resonant part
        The full T-matrix rate of a process is the sum of its two entries (docs/theory/relaxation-laws.md).
        """
        T, _ = check_temperatures(temperature, allow_zero=False)
        d = self.dim
        keys = ("raman", "raman-resonant", "sum", "sum-resonant")
        out = {k: np.zeros((T.size, d, d)) for k in keys}
        pd = self._pair_data(self.two_phonon_pairs)
        raman = self._raman(pd, T)  # (2, P, n_T)
        big = pd.omega > 1e-9 * max(1.0, float(np.abs(self.energies).max()))
        summ = np.zeros_like(raman)
        if big.any():
            pd_big = self._pair_data([p for p, b in zip(self.two_phonon_pairs, big) if b])
            summ[:, big] = self._sum(pd_big, T)
        back_factor = np.exp(-pd.omega[:, None] / (KB_CM * T[None, :]))
        for key, val in zip(keys, (raman[0], raman[1], summ[0], summ[1])):
            val = RATE_PREFACTOR * val  # (P, n_T)
            out[key][:, pd.m, pd.n] = val.T
            out[key][:, pd.n, pd.m] = (val * back_factor).T
        return out

    def rates(self, temperature) -> dict[str, np.ndarray]:
        """All rates (n_T, d, d), s^-1: "one-phonon" and the four entries of :meth:`two_phonon`."""
        out = {"one-phonon": self.one_phonon(temperature)}
        out.update(self.two_phonon(temperature))
        return out

    @staticmethod
    def model_rates(rates: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The transition rates W (n_T, d, d) each relaxation model uses, from :meth:`rates`.

        "two-state": one-phonon + the full two-phonon T-matrix rates (virtual + resonant: real
        intermediate levels count through their eta-broadened resonance; >= 0 by construction).
        "multi-level": one-phonon (real Orbach steps between all levels) + virtual two-phonon rates,
        each clipped at 0: a virtual rate next to a resonance can be negative (docs/theory/relaxation-laws.md),
        a correction of relative size ~ hbar Gamma_c / Gamma to the sequential rate through the
        resonant level c, which this model carries in other entries of the Pauli matrix; clipping
        keeps it a valid rate matrix (off-diagonal entries >= 0).
        Also "clipped": (n_T,) number of negative virtual entries set to 0, and "clipped_max": the
        largest clipped |rate| (s^-1) per temperature.
        """
        one = rates["one-phonon"]
        full = rates["raman"] + rates["raman-resonant"] + rates["sum"] + rates["sum-resonant"]
        virtual = rates["raman"] + rates["sum"]
        neg = virtual < 0
        return {
            "two-state": one + np.maximum(full, 0.0),
            "multi-level": one + np.maximum(virtual, 0.0),
            "clipped": neg.sum(axis=(1, 2)),
            "clipped_max": np.where(neg, -virtual, 0.0).max(axis=(1, 2)),
        }

    def _raman(self, pd: _PairData, T: np.ndarray) -> np.ndarray:
        """int dw1 kernel(w1) n(w1)(n(w1 + omega) + 1): (virtual, resonant) x pair x temperature, cm^-1."""
        E = self.energies
        P = pd.m.size
        En = E[pd.n][:, None, None]
        Ec = E[None, None, :]

        def kernel(x, bound=False):  # x (k,) -> (P, k)
            w1 = np.broadcast_to(x[None, :], (P, x.size))
            w2 = w1 + pd.omega[:, None]
            return self._kernel(pd, w1, w2, En - Ec + w1[..., None], En - Ec - w2[..., None], bound)

        def bose(x):  # (P, n_T, k)
            n1 = bose_einstein(x[None, None, :], T[None, :, None])
            n2 = bose_einstein(x[None, None, :] + pd.omega[:, None, None], T[None, :, None])
            return n1 * (n2 + 1.0)

        hi = self.bath.extent() + _THERMAL_CUTOFF * KB_CM * T.max()
        pts, wid = self._raman_breakpoints(pd)
        return _adaptive_integral(kernel, bose, 0.0, hi, pts, wid, (2, P, T.size), self.epsrel)

    def _sum(self, pd: _PairData, T: np.ndarray) -> np.ndarray:
        """(1/2) int_0^omega dw1 kernel n-factors, in s = w1 / omega (Jacobian omega), (2, P, n_T), cm^-1."""
        E = self.energies
        P = pd.m.size
        En = E[pd.n][:, None, None]
        Ec = E[None, None, :]
        om = pd.omega[:, None]

        def kernel(s, bound=False):
            w1 = s[None, :] * om
            w2 = (1.0 - s[None, :]) * om
            return 0.5 * om[None] * self._kernel(pd, w1, w2, En - Ec - w1[..., None], En - Ec - w2[..., None],
                                                 bound)

        def bose(s):
            w1 = s[None, None, :] * om[:, :, None]
            w2 = (1.0 - s[None, None, :]) * om[:, :, None]
            Tk = T[None, :, None]
            return (bose_einstein(w1, Tk) + 1.0) * (bose_einstein(w2, Tk) + 1.0)

        pts, wid = self._sum_breakpoints(pd)
        return _adaptive_integral(kernel, bose, 0.0, 1.0, pts, wid, (2, P, T.size), self.epsrel)


def _probe_points(lo: float, hi: float, pts: np.ndarray, wid: np.ndarray) -> np.ndarray:
    """Sample points for the scale estimate: even and geometric grids plus a stencil around every breakpoint."""
    span = hi - lo
    base = [np.linspace(lo, hi, 81)[1:-1], lo + np.geomspace(1e-6 * span, span, 81)[:-1]]
    stencil = np.array([-8.0, -3.0, -1.0, -0.3, 0.0, 0.3, 1.0, 3.0, 8.0])
    base.append((pts[:, None] + wid[:, None] * stencil[None, :]).ravel())
    x = np.unique(np.concatenate(base))
    return x[(x > lo) & (x < hi)]


def _adaptive_integral(kernel, bose, lo: float, hi: float, pts: np.ndarray, wid: np.ndarray,
                       shape: tuple[int, int, int], epsrel: float) -> np.ndarray:
    """int_lo^hi kernel(x)[c, p] * bose(x)[p, t] dx for every (c, p, t), each to relative accuracy ~epsrel.

    kernel(x (k,), bound=False) -> (C, P, k) (bound=True: (1, P, k)); bose(x (k,)) -> (P, n_T, k).
    One quad_vec over the vector of all (c, p, t), each component divided by a coarse estimate of
    its own size. A component below ROUNDOFF_FLOOR times its no-cancellation bound
    (``kernel(x, bound=True)``) is round-off (e.g. a Kramers Raman amplitude that time reversal
    cancels): it is resolved only to that floor, so that the quadrature does not chase noise, and
    returned as 0.
    """
    keep = (pts > lo) & (pts < hi) & np.isfinite(pts)
    pts, wid = pts[keep], wid[keep]
    order = np.argsort(pts)
    pts, wid = pts[order], wid[order]
    # Merge breakpoints closer than a thousandth of the narrowest structure: tiny intervals cost
    # 21 evaluations each and resolve nothing.
    if pts.size:
        sep = 1e-3 * max(float(wid.min()), 1e-12 * (hi - lo))
        first = np.concatenate([[True], np.diff(pts) > sep])
        pts, wid = pts[first], wid[first]
    # Coarse size of every component: trapezoid rule for |integrand| and its bound on probe points.
    x = _probe_points(lo, hi, pts, wid)
    chunks = [slice(i, i + 64) for i in range(0, x.size, 64)]
    vals = np.concatenate([np.abs(kernel(x[c]))[..., None, :] * bose(x[c]) for c in chunks], axis=-1)
    bnd = np.concatenate([kernel(x[c], bound=True)[..., None, :] * bose(x[c]) for c in chunks], axis=-1)
    est, top = np.trapezoid(vals, x, axis=-1), np.trapezoid(bnd, x, axis=-1)
    floor = np.broadcast_to(ROUNDOFF_FLOOR * top, shape)
    scale = np.maximum(est, floor)
    zero = ~(scale > 0)  # nothing couples this pair: the integrand vanishes identically
    scale = np.where(zero, 1.0, scale)
    result = np.zeros(shape)
    for _ in range(3):
        def f(xx, scale=scale):
            xa = np.array([xx])
            return (kernel(xa)[..., None, 0] * bose(xa)[..., 0] / scale).ravel()

        res, _err = quad_vec(f, lo, hi, epsabs=1e-3 * epsrel, epsrel=epsrel, norm="max",
                             points=list(pts), limit=4000)
        result = np.asarray(res).reshape(shape) * scale
        # Components far below their scale were overestimated by the probe: integrate them again
        # with the value just found (never below the round-off floor).
        better = np.maximum(np.abs(result), floor)
        small = (better < 1e-3 * scale) & ~zero
        if not small.any():
            break
        scale = np.where(small, better, scale)
    # Below the round-off floor a component is not resolved (it can even come out negative): zero.
    return np.where(zero | (np.abs(result) < floor), 0.0, result)
