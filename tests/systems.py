"""Analytic open-system test systems shared by the solver tests.

Each builder returns an :class:`OpenSystem`: the generator L as a dense (d^2, d^2) superoperator in
the column-stacking convention of :mod:`spinbath.quantum.liouville` (vec(X)[a + d*b] = X[a, b],
d vec(rho)/dt = L vec(rho)), an initial state rho0, the exact rho(t), the exact steady state (None
where it is not unique) and the exact spectrum of L (None where it is not known in closed form).
Units are those of the parameters (hbar = 1): times in the inverse unit of the rates.

Systems:
  * :func:`bloch` -- driven, damped two-level system (Bloch equations): decay down/up rates obeying
    detailed balance, pure dephasing, Larmor frequency and an optional Rabi drive.
  * :func:`dephasing_qubit` -- pure dephasing: rho_01(t) = rho_01(0) exp(-i w t - gamma t).
  * :func:`pauli_thermal` -- n levels with rate-only (Pauli) jumps whose steady state is the Gibbs
    state and whose spectrum is known in closed form.
  * :func:`damped_oscillator` -- zero-temperature damped harmonic oscillator, truncated exactly (the
    jumps only lower the excitation number).
  * :func:`uncoupled_chain` -- n identical uncoupled open-chain sites (a product system): steady
    state and spectrum from one site; a ChainModel for chain-only methods.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb
from typing import Any, Callable

import numpy as np
import scipy.linalg as sla

from spinbath.quantum.liouville import hamiltonian_superoperator, lindblad_dissipator

__all__ = ["OpenSystem", "bloch", "dephasing_qubit", "pauli_thermal", "damped_oscillator", "uncoupled_chain",
           "catalogue", "frobenius_error"]

SX = np.array([[0, 1], [1, 0]], dtype=complex)
SZ = np.array([[1, 0], [0, -1]], dtype=complex)


@dataclass(frozen=True)
class OpenSystem:
    """An open system with closed-form answers. ``L`` the generator (dense, or a chain operator in
    ``operator`` for chain-only methods); ``exact_rho(t)`` -> (len(t), d, d); ``steady`` the exact
    steady state or None; ``spectrum`` all eigenvalues of L or None; ``rate_scale`` the largest rate
    or frequency (sets the time grid and the eigenvalue error scale)."""

    name: str
    L: np.ndarray
    rho0: np.ndarray
    exact_rho: Callable[[np.ndarray], np.ndarray]
    steady: np.ndarray | None
    spectrum: np.ndarray | None
    rate_scale: float
    operator: Any = None

    @property
    def d(self) -> int:
        return self.rho0.shape[0]

    def times(self, n: int = 7) -> np.ndarray:
        """Times from 0 over a few slowest decay times."""
        return np.linspace(0.0, 3.0 / self.slowest_rate(), n)

    def slowest_rate(self) -> float:
        if self.spectrum is None:
            return 1.0 / self.rate_scale
        r = -self.spectrum.real
        return float(r[r > 1e-9 * self.rate_scale].min())

    def slowest(self, k: int) -> np.ndarray:
        """The k exact eigenvalues of largest real part (ties: increasing imaginary part)."""
        lam = np.asarray(self.spectrum)
        re = np.round(lam.real / (1e-9 * self.rate_scale))
        return lam[np.lexsort((lam.imag, -re))][:k]


def frobenius_error(states: np.ndarray, exact: np.ndarray) -> float:
    """max_t ||rho(t) - rho_exact(t)||_F."""
    return float(np.max(np.linalg.norm(np.asarray(states) - exact, axis=(-2, -1))))


def _liouvillian(H, jumps) -> np.ndarray:
    L = hamiltonian_superoperator(H)
    for A, rate in jumps:
        if rate:
            L = L + lindblad_dissipator(A, rate)
    return L


# ----------------------------------------------------------------------------------------------

def bloch(omega: float = 1.3, rabi: float = 0.0, gamma_down: float = 0.4, temperature: float = 2.0,
          gamma_phi: float = 0.25) -> OpenSystem:
    """Two-level system, basis (|g>, |e>), H = diag(0, omega) + (rabi/2) sigma_x:

        d rho/dt = -i[H, rho] + gamma_down D[sigma_-] rho + gamma_up D[sigma_+] rho
                   + (gamma_phi/2) D[sigma_z] rho,
        gamma_up = gamma_down exp(-omega/T)                                   (detailed balance).

    Without drive: p_e(t) = p_e^ss + (p_e(0) - p_e^ss) exp(-gamma_1 t), gamma_1 = gamma_down +
    gamma_up, p_e^ss = gamma_up/gamma_1 (the Gibbs population); rho_ge(t) = rho_ge(0) exp(i omega t
    - gamma_2 t), gamma_2 = gamma_1/2 + gamma_phi; spectrum {0, -gamma_1, -gamma_2 +- i omega}.
    With drive: the Bloch equations dr/dt = A r + b for r = (<sx>, <sy>, <sz>), solved exactly
    (a 3x3 exponential). Breuer and Petruccione, The Theory of Open Quantum Systems (2002), Ch. 3.
    """
    gamma_up = gamma_down * np.exp(-omega / temperature)
    g1 = gamma_down + gamma_up
    g2 = 0.5 * g1 + gamma_phi
    sm = np.array([[0, 1], [0, 0]], dtype=complex)  # |g><e|
    H = np.diag([0.0, omega]).astype(complex) + 0.5 * rabi * SX
    L = _liouvillian(H, [(sm, gamma_down), (sm.conj().T, gamma_up), (SZ, 0.5 * gamma_phi)])
    psi = np.array([np.cos(0.4), np.exp(0.7j) * np.sin(0.4)])
    rho0 = np.outer(psi, psi.conj())
    # Bloch vector with sz = p_g - p_e (sigma_z = diag(1, -1) in (g, e)); sx = 2 Re rho_ge, sy = -2 Im rho_ge
    # from d rho_ge/dt = (i omega - g2) rho_ge + (i rabi/2) sz and
    #      d rho_ee/dt = -(rabi/2) sy - gamma_down rho_ee + gamma_up rho_gg:
    A = np.array([[-g2, omega, 0.0],
                  [-omega, -g2, -rabi],
                  [0.0, rabi, -g1]])
    b = np.array([0.0, 0.0, gamma_down - gamma_up])

    def to_r(rho):
        return np.array([2 * rho[0, 1].real, -2 * rho[0, 1].imag, (rho[0, 0] - rho[1, 1]).real])

    def from_r(r):
        x, y, z = r
        return 0.5 * np.array([[1 + z, x - 1j * y], [x + 1j * y, 1 - z]])

    r_ss = np.linalg.solve(A, -b)
    r0 = to_r(rho0)

    def exact_rho(t):
        t = np.atleast_1d(np.asarray(t, dtype=float))
        if rabi == 0.0:
            pe_ss = gamma_up / g1
            pe = pe_ss + (rho0[1, 1].real - pe_ss) * np.exp(-g1 * t)
            c = rho0[0, 1] * np.exp((1j * omega - g2) * t)
            out = np.empty((t.size, 2, 2), dtype=complex)
            out[:, 0, 0], out[:, 1, 1], out[:, 0, 1], out[:, 1, 0] = 1 - pe, pe, c, c.conj()
            return out
        return np.array([from_r(r_ss + sla.expm(A * tk) @ (r0 - r_ss)) for tk in t])

    steady = from_r(r_ss)
    spectrum = (np.array([0.0, -g1, -g2 + 1j * omega, -g2 - 1j * omega]) if rabi == 0.0
                else np.concatenate([[0.0], np.linalg.eigvals(A)]))
    name = "bloch-driven" if rabi else "bloch"
    return OpenSystem(name, L, rho0, exact_rho, steady, spectrum, max(omega, abs(rabi), g1, g2))


def dephasing_qubit(omega: float = 2.0, gamma: float = 0.3) -> OpenSystem:
    """Pure dephasing: H = (omega/2) sigma_z, d rho/dt = -i[H, rho] + (gamma/2) D[sigma_z] rho, so
    rho_01(t) = rho_01(0) exp(-i omega t - gamma t) and the populations stay; spectrum {0, 0,
    -gamma +- i omega}. The steady state is not unique (None)."""
    H = 0.5 * omega * SZ
    L = _liouvillian(H, [(SZ, 0.5 * gamma)])
    psi = np.array([0.6, 0.8j])
    rho0 = np.outer(psi, psi.conj())

    def exact_rho(t):
        t = np.atleast_1d(np.asarray(t, dtype=float))
        out = np.repeat(rho0[None], t.size, axis=0)
        c = rho0[0, 1] * np.exp((-1j * omega - gamma) * t)
        out[:, 0, 1], out[:, 1, 0] = c, c.conj()
        return out

    spectrum = np.array([0.0, 0.0, -gamma + 1j * omega, -gamma - 1j * omega])
    return OpenSystem("dephasing", L, rho0, exact_rho, None, spectrum, max(omega, gamma))


def pauli_thermal(energies=(0.0, 0.3, 0.7, 1.2), temperature: float = 1.0, k: float = 0.5) -> OpenSystem:
    """n levels, H = diag(E), jumps |m><n| at rates W_{m<-n} = k pi_m (m != n), pi the Gibbs
    populations exp(-E/T)/Z (detailed balance W_mn pi_n = W_nm pi_m). Populations obey the Pauli
    equation dp/dt = k (pi 1^T - 1) p, so p(t) = pi + exp(-k t)(p(0) - pi); a coherence decays at
    the mean escape rate, rho_ab(t) = rho_ab(0) exp(-i (E_a - E_b) t - k (2 - pi_a - pi_b) t / 2).
    Steady state diag(pi); spectrum {0, -k (n-1 times), -k(2 - pi_a - pi_b)/2 - i(E_a - E_b), a != b}."""
    E = np.asarray(energies, dtype=float)
    n = E.size
    pi = np.exp(-(E - E.min()) / temperature)
    pi /= pi.sum()
    jumps = []
    for m in range(n):
        for j in range(n):
            if m != j:
                A = np.zeros((n, n), dtype=complex)
                A[m, j] = 1.0
                jumps.append((A, k * pi[m]))
    L = _liouvillian(np.diag(E).astype(complex), jumps)
    rng = np.random.default_rng(5)
    psi = rng.normal(size=n) + 1j * rng.normal(size=n)
    psi /= np.linalg.norm(psi)
    rho0 = 0.5 * np.outer(psi, psi.conj()) + 0.5 * np.diag(np.arange(1, n + 1) / (n * (n + 1) / 2))
    gam = k * (1 - pi)  # escape rates

    def exact_rho(t):
        t = np.atleast_1d(np.asarray(t, dtype=float))
        rate = 0.5 * (gam[:, None] + gam[None, :]) + 1j * (E[:, None] - E[None, :])
        out = rho0[None] * np.exp(-rate[None] * t[:, None, None])
        p = pi[None] + np.exp(-k * t)[:, None] * (np.diag(rho0).real - pi)[None]
        idx = np.arange(n)
        out[:, idx, idx] = p
        return out

    spec = [0.0] + [-k] * (n - 1)
    spec += [-0.5 * (gam[a] + gam[b]) - 1j * (E[a] - E[b]) for a in range(n) for b in range(n) if a != b]
    return OpenSystem(f"pauli-{n}", L, rho0, exact_rho, np.diag(pi).astype(complex), np.array(spec, complex),
                      max(k, float(np.ptp(E))))


def damped_oscillator(n_max: int = 5, omega: float = 1.0, kappa: float = 0.35) -> OpenSystem:
    """Zero-temperature damped oscillator, H = omega a^+ a, d rho/dt = -i[H, rho] + kappa D[a] rho,
    truncated to n <= n_max: exact, since a only lowers n. With tau = 1 - exp(-kappa t),

        rho_nm(t) = exp(-i omega (n - m) t - kappa (n + m) t / 2)
                    sum_k sqrt(C(n+k, k) C(m+k, k)) tau^k rho_{n+k, m+k}(0)

    (C. W. Gardiner and P. Zoller, Quantum Noise, 3rd ed., Springer 2004, Sec. 6.1). Steady state
    |0><0|; spectrum {-kappa (n + m)/2 - i omega (n - m)}."""
    D = n_max + 1
    a = np.diag(np.sqrt(np.arange(1, D)), 1).astype(complex)
    L = _liouvillian(omega * np.diag(np.arange(D)).astype(complex), [(a, kappa)])
    psi = np.zeros(D, complex)
    psi[[0, 2, n_max]] = [0.5, 0.5j, np.sqrt(0.5)]
    rho0 = 0.7 * np.outer(psi, psi.conj())
    rho0[1, 1] += 0.3

    def exact_rho(t):
        t = np.atleast_1d(np.asarray(t, dtype=float))
        out = np.zeros((t.size, D, D), dtype=complex)
        for i, tk in enumerate(t):
            tau = -np.expm1(-kappa * tk)
            for n in range(D):
                for m in range(D):
                    s = sum(np.sqrt(comb(n + j, j) * comb(m + j, j)) * tau ** j * rho0[n + j, m + j]
                            for j in range(D - max(n, m)))
                    out[i, n, m] = s * np.exp(-1j * omega * (n - m) * tk - 0.5 * kappa * (n + m) * tk)
        return out

    steady = np.zeros((D, D), complex)
    steady[0, 0] = 1.0
    spectrum = np.array([-0.5 * kappa * (n + m) - 1j * omega * (n - m) for n in range(D) for m in range(D)])
    return OpenSystem(f"oscillator-{D}", L, rho0, exact_rho, steady, spectrum, max(omega * n_max, kappa * n_max))


def uncoupled_chain(n: int = 3, field=(0.0, 0.0, 0.8), onsite=None) -> OpenSystem:
    """n uncoupled identical sites of the open chain (ChainModel with zero coupling and no neighbour
    rates): L = sum_j L_1^(j), so the steady state is rho_1^(x)n, rho(t) = rho_1(t)^(x)n for a
    product rho0, and the spectrum is every sum of n single-site eigenvalues. ``operator`` is the
    matrix-free :class:`~spinbath.quantum.open_chain.OpenChainLiouvillian` (for chain-only methods);
    ``L`` the sparse matrix of open_chain_liouvillian."""
    from itertools import product

    from spinbath.quantum.chain_model import ChainModel
    from spinbath.quantum.open_chain import OpenChainLiouvillian, open_chain_liouvillian

    onsite = {("z", "-"): 1.0, ("z", "+"): 0.3, ("x", "+"): 0.2} if onsite is None else onsite
    L1 = open_chain_liouvillian(1, field, (0.0, 0.0, 0.0), onsite).toarray()
    lam1, _ = np.linalg.eig(L1)
    _, _, vh = np.linalg.svd(L1)
    rho1 = vh[-1].conj().reshape(2, 2).T
    rho1 = rho1 / np.trace(rho1)
    rho1 = 0.5 * (rho1 + rho1.conj().T)
    psi = np.array([np.cos(0.3), np.sin(0.3) * np.exp(0.2j)])
    r1 = np.outer(psi, psi.conj())

    def kron_all(ms):
        out = np.ones((1, 1), complex)
        for m in ms:
            out = np.kron(out, m)
        return out

    def exact_rho(t):
        t = np.atleast_1d(np.asarray(t, dtype=float))
        return np.array([kron_all([(sla.expm(L1 * tk) @ r1.T.reshape(-1)).reshape(2, 2).T] * n) for tk in t])

    spectrum = np.array([sum(c) for c in product(lam1, repeat=n)])
    model = ChainModel(n, field, (0.0, 0.0, 0.0), onsite)
    return OpenSystem(f"uncoupled-chain-{n}", open_chain_liouvillian(n, field, (0.0, 0.0, 0.0), onsite),
                      kron_all([r1] * n), exact_rho, kron_all([rho1] * n), spectrum,
                      float(np.abs(lam1).max()) * n, operator=OpenChainLiouvillian(model))


def catalogue() -> list[OpenSystem]:
    """The small dense systems (d^2 <= 36) every evolve/steady-state/eigenvalue method is checked on."""
    return [bloch(), bloch(rabi=0.9), dephasing_qubit(), pauli_thermal(), damped_oscillator()]


def stiff_three_level():
    """Pauli rates W[m, n] (s^-1, rate n -> m) of a doublet split 0.1 cm^-1 below a level at
    100 cm^-1 that decays at ~1e9 s^-1, at T = 2 K, with a direct doublet rate of 1e-6 s^-1; all
    rates in detailed balance. Rates span 15 decades: the doublet relaxes at ~1e-6 s^-1, below the
    absolute error ~eps ||R|| of dense eigenvalues. Returns (E in cm^-1, T in K, W)."""
    from spinbath.quantum.pauli import gibbs_populations

    E, T = np.array([0.0, 0.1, 100.0]), 2.0
    p = gibbs_populations(E, T)[0]
    W = np.zeros((3, 3))
    W[0, 2], W[1, 2] = 1e9, 0.6e9
    W[2, 0], W[2, 1] = W[0, 2] * p[2] / p[0], W[1, 2] * p[2] / p[1]
    W[0, 1] = 1e-6
    W[1, 0] = W[0, 1] * p[1] / p[0]
    return E, T, W
