r"""Stationary (Boltzmann) distributions of classical spins and Neel-Brown relaxation times.

Reference: Leiva, Diaz and Nunez, Phys. Rev. B 107, 094401 (2023), doi:10.1103/PhysRevB.107.094401.

The stochastic LLG of :mod:`spinbath.classical.llg` with noise Q = 2 k_B T alpha (and the
noise-induced drift) has the stationary Fokker-Planck solution

    P(m_1, .., m_M) ∝ exp(-E(m)/k_B T)   on the product of unit spheres (uniform measure dOmega),

and, for Q = 2 k_B T_eff alpha, the same at T_eff. This module computes its averages
independently of the dynamics:

* :func:`boltzmann_quadrature` -- one free spin (the others pinned): Gauss-Legendre in
  cos(theta) times the trapezoid rule in phi (spectrally accurate for a smooth periodic
  integrand), refined by doubling until two successive grids agree to ``rtol``;
* :func:`metropolis_average` -- several free spins: Metropolis sampling with independent chains
  (vectorized across chains), error = standard deviation of the chain means / sqrt(n_chains),
  valid whatever the autocorrelation within a chain since the chains are independent.

Effective temperature (the junction paper): 1/(k_B T_eff) = 2 S^2 hbar alpha^(i) / j^(i)
(:func:`junction_effective_temperature`), i.e. in the reduced units of llg.py, where
<eta eta^T> = Q delta(t - t'), k_B T_eff = Q_iso / (2 alpha_iso) (:func:`effective_temperature`).

Neel-Brown (uniaxial spin, E = -K m_z^2, sigma = K / k_B T, reduced units of llg.py):
tau_N = (1 + alpha^2)/(2 alpha k_B T) is Brown's free-diffusion time, from the single-spin
Fokker-Planck equation 2 tau_N dP/dt = d/dx[(1 - x^2)(dP/dx + P d(beta E)/dx)], x = cos(theta)
(the diffusion coefficient on the sphere is k_B T alpha/(1 + alpha^2) = 1/(2 tau_N)); for
mu_s, gamma restored it is Brown's tau_N = beta mu_s (1 + alpha^2)/(2 gamma alpha). The longest
relaxation time 1/lambda_1 is computed exactly by :func:`uniaxial_relaxation_time` (Galerkin in
odd Legendre polynomials) and asymptotically by :func:`brown_high_barrier_time`,
tau ~ tau_N (sqrt(pi)/2) sigma^(-3/2) e^sigma (1 + 1/sigma), which is within 3.5 % of the exact
value for sigma >= 8 (1.16 at sigma = 8 without the 1/sigma factor).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import scipy.linalg as sla
from numpy.polynomial import legendre as _leg
from scipy.special import roots_legendre

from spinbath.classical.spin_model import ClassicalSpinModel
from spinbath.units import HBAR_MEV_PS

__all__ = [
    "BoltzmannAverage", "boltzmann_quadrature", "metropolis_average", "langevin",
    "effective_temperature", "junction_effective_temperature", "neel_brown_tau_N",
    "brown_high_barrier_time", "uniaxial_relaxation_time",
]


@dataclass(frozen=True)
class BoltzmannAverage:
    """An average of an observable in the Boltzmann distribution: value, its (statistical or
    quadrature) error estimate, and how it was obtained (method, grid or sample sizes)."""

    value: np.ndarray
    error: np.ndarray
    info: dict


def langevin(x) -> float | np.ndarray:
    """L(x) = coth(x) - 1/x (series x/3 - x^3/45 below |x| = 1e-3): <m.h> of a free spin with
    x = |H|/k_B T, and <m1.m2> of the dimer E = -J m1.m2 with x = J/k_B T."""
    x = np.asarray(x, dtype=float)
    small = np.abs(x) < 1e-3
    xs = np.where(small, 1.0, x)
    out = np.where(small, x / 3.0 - x**3 / 45.0, 1.0 / np.tanh(xs) - 1.0 / xs)
    return float(out) if out.ndim == 0 else out


@lru_cache(maxsize=32)
def _gauss_legendre(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights on [-1, 1] (scipy's banded eigensolver: O(n^2), unlike numpy's
    leggauss, which diagonalizes a dense n x n matrix)."""
    x, w = roots_legendre(n)
    x.flags.writeable = False
    w.flags.writeable = False
    return x, w


def _check_kT(kT: float) -> float:
    kT = float(kT)
    if not (kT > 0 and np.isfinite(kT)):
        raise ValueError(f"k_B T must be positive and finite, got {kT}")
    return kT


def _single_free(model: ClassicalSpinModel) -> int:
    free = model.free
    if free.size != 1:
        raise ValueError(f"boltzmann_quadrature needs exactly one free spin (pin the others); "
                         f"the model has {free.size}")
    return int(free[0])


def _quadrature_once(model, kT, observable, n_theta, n_phi, a):
    x, wx = _gauss_legendre(n_theta)
    phi = 2.0 * np.pi * np.arange(n_phi) / n_phi
    s = np.sqrt(1.0 - x**2)
    grid = np.stack(np.broadcast_arrays(s[:, None] * np.cos(phi), s[:, None] * np.sin(phi),
                                        x[:, None]), axis=-1)           # (n_theta, n_phi, 3)
    m = np.broadcast_to(model.pinned_directions, grid.shape[:2] + (model.n_spins, 3)).copy()
    m[:, :, a, :] = grid
    E = model.energy(m)
    logw = -(E - E.min()) / kT
    w = np.exp(logw) * wx[:, None]
    Z = w.sum()
    vals = np.asarray(observable(m), dtype=float)
    if vals.shape[:2] != (n_theta, n_phi):
        raise ValueError("observable(m) must return an array with leading shape m.shape[:-2]")
    return np.tensordot(w, vals, axes=([0, 1], [0, 1])) / Z


def boltzmann_quadrature(model: ClassicalSpinModel, kT: float,
                         observable: Callable[[np.ndarray], np.ndarray], *,
                         rtol: float = 1e-10, n_start: int = 32,
                         n_max: int = 4096) -> BoltzmannAverage:
    """<observable> = int dOmega observable(m) e^(-E/kT) / int dOmega e^(-E/kT) for a model with
    one free spin (the others pinned at their directions).

    observable(m) receives m of shape (n_theta, n_phi, M, 3) and returns (n_theta, n_phi, ...).
    Grid: n Gauss-Legendre nodes in cos(theta) and 2n points in phi, n doubled from n_start
    until two successive results agree to rtol |value| + 1e-15 (the reported error is that last
    difference); ValueError if n_max is reached first.
    """
    kT = _check_kT(kT)
    a = _single_free(model)
    n = int(n_start)
    prev = _quadrature_once(model, kT, observable, n, 2 * n, a)
    while True:
        n *= 2
        if n > n_max:
            raise ValueError(f"Boltzmann quadrature not converged to rtol={rtol} with "
                             f"{n // 2} nodes (k_B T = {kT} may be too small for the field)")
        cur = _quadrature_once(model, kT, observable, n, 2 * n, a)
        err = np.abs(cur - prev)
        if np.all(err <= rtol * np.maximum(np.abs(cur), 1e-300) + 1e-15):
            return BoltzmannAverage(cur, err, {"method": "quadrature", "n_theta": n,
                                               "n_phi": 2 * n})
        prev = cur


def metropolis_average(model: ClassicalSpinModel, kT: float,
                       observable: Callable[[np.ndarray], np.ndarray], *, n_chains: int = 256,
                       n_sweeps: int = 4000, burn_in: int = 500, seed=None,
                       step: float = 0.5) -> BoltzmannAverage:
    """<observable> by Metropolis sampling of exp(-E/kT) over the free spins.

    n_chains independent chains (vectorized) start from uniform random directions; each sweep
    proposes, for every free spin in turn, m' = (m + step g)/|m + step g| with g an isotropic
    Gaussian (a symmetric proposal on the sphere: its density depends only on the angle between
    m and m'). During burn_in sweeps the step is tuned toward 50 % acceptance; after it, the
    observable (shape of observable(m) for m (n_chains, M, 3), minus the chain axis) is averaged
    per chain. value = mean of the chain means, error = their standard deviation / sqrt(n_chains).
    """
    kT = _check_kT(kT)
    if n_chains < 2 or n_sweeps < 1 or burn_in < 0:
        raise ValueError("need n_chains >= 2, n_sweeps >= 1, burn_in >= 0")
    rng = np.random.default_rng(seed)
    free = model.free
    m = model.with_pins_applied(np.broadcast_to(model.pinned_directions,
                                                (n_chains, model.n_spins, 3)))
    g = rng.standard_normal((n_chains, free.size, 3))
    m[:, free] = g / np.linalg.norm(g, axis=-1, keepdims=True)
    E = model.energy(m)
    acc_sum = None
    count = 0
    accepted, proposed = 0, 0
    for sweep in range(burn_in + n_sweeps):
        for a in free:
            prop = m[:, a] + step * rng.standard_normal((n_chains, 3))
            prop /= np.linalg.norm(prop, axis=-1, keepdims=True)
            trial = m.copy()
            trial[:, a] = prop
            Et = model.energy(trial)
            ok = np.log(rng.random(n_chains)) < -(Et - E) / kT
            m[ok, a] = prop[ok]
            E = np.where(ok, Et, E)
            accepted += int(ok.sum())
            proposed += n_chains
        if sweep < burn_in and (sweep + 1) % 20 == 0:
            rate = accepted / proposed
            step = float(np.clip(step * np.exp(rate - 0.5), 1e-3, 10.0))
            accepted, proposed = 0, 0
        if sweep >= burn_in:
            vals = np.asarray(observable(m), dtype=float)
            acc_sum = vals if acc_sum is None else acc_sum + vals
            count += 1
    chain_means = acc_sum / count
    value = chain_means.mean(axis=0)
    error = chain_means.std(axis=0, ddof=1) / np.sqrt(n_chains)
    return BoltzmannAverage(value, error, {"method": "metropolis", "n_chains": n_chains,
                                           "n_sweeps": n_sweeps, "burn_in": burn_in,
                                           "step": step, "acceptance": accepted / max(proposed, 1)})


# ----------------------------------------------------------------------- effective temperature
def effective_temperature(noise, damping) -> float | np.ndarray:
    """k_B T_eff = Q_iso / (2 alpha_iso) in the reduced units of llg.py (energy unit).

    Scalars give a scalar. 3 x 3 blocks (or (M, M, 3, 3) / (3M, 3M) matrices, taken spin by
    spin on the diagonal blocks) give per spin tr(Q_aa) / (2 tr(alpha_aa))."""
    Q = np.asarray(noise, dtype=float)
    A = np.asarray(damping, dtype=float)
    if Q.ndim == 0 and A.ndim == 0:
        if A <= 0:
            raise ValueError("isotropic damping must be positive for an effective temperature")
        return float(Q / (2.0 * A))
    if Q.shape != A.shape:
        raise ValueError(f"noise and damping must have the same shape, got {Q.shape}, {A.shape}")
    if Q.ndim == 4:
        Q = Q.transpose(0, 2, 1, 3).reshape(3 * Q.shape[0], -1)
        A = A.transpose(0, 2, 1, 3).reshape(3 * A.shape[0], -1)
    if Q.ndim != 2 or Q.shape[0] != Q.shape[1] or Q.shape[0] % 3:
        raise ValueError(f"expected 3M x 3M (or (M, M, 3, 3)) matrices, got {Q.shape}")
    M = Q.shape[0] // 3
    tq = np.array([np.trace(Q[3 * a:3 * a + 3, 3 * a:3 * a + 3]) for a in range(M)])
    ta = np.array([np.trace(A[3 * a:3 * a + 3, 3 * a:3 * a + 3]) for a in range(M)])
    if np.any(ta <= 0):
        raise ValueError("every spin needs positive on-site damping for an effective temperature")
    return tq / (2.0 * ta)


def junction_effective_temperature(alpha_i, j_i, S: float,
                                   hbar: float = HBAR_MEV_PS) -> float | np.ndarray:
    """k_B T_eff = j^(i) / (2 S^2 hbar alpha^(i)), Leiva et al.'s 1/(k_B T_eff) = 2 S^2 hbar
    alpha^(i)/j^(i) (j in meV^2 ps and hbar in meV ps give meV)."""
    alpha_i = np.asarray(alpha_i, dtype=float)
    if np.any(alpha_i <= 0) or S <= 0:
        raise ValueError("alpha^(i) and S must be positive")
    out = np.asarray(j_i, dtype=float) / (2.0 * S**2 * hbar * alpha_i)
    return float(out) if out.ndim == 0 else out


# ------------------------------------------------------------------------------- Neel-Brown
def neel_brown_tau_N(alpha: float, kT: float) -> float:
    """Brown's free-diffusion time tau_N = (1 + alpha^2) / (2 alpha k_B T) (reduced time units,
    hbar S / energy unit; alpha the scalar Gilbert damping)."""
    kT = _check_kT(kT)
    if not alpha > 0:
        raise ValueError("alpha must be positive")
    return (1.0 + alpha**2) / (2.0 * alpha * kT)


def brown_high_barrier_time(sigma, tau_N: float = 1.0) -> float | np.ndarray:
    """tau ~ tau_N (sqrt(pi)/2) sigma^(-3/2) e^sigma (1 + 1/sigma), sigma = K / k_B T (the
    longest relaxation time of a uniaxial spin for sigma >> 1)."""
    s = np.asarray(sigma, dtype=float)
    out = tau_N * 0.5 * np.sqrt(np.pi) * s**-1.5 * np.exp(s) * (1.0 + 1.0 / s)
    return float(out) if out.ndim == 0 else out


def uniaxial_relaxation_time(sigma: float, tau_N: float = 1.0, degree: int = 81,
                             n_quad: int = 400) -> float:
    """Exact longest relaxation time 1/lambda_1 of the uniaxial spin, E = -K m_z^2 (sigma =
    K/k_B T >= 0): the lowest eigenvalue of 2 tau_N dP/dt = d/dx[(1 - x^2)(dP/dx + P
    d(beta E)/dx)] among odd functions, by Galerkin in odd Legendre polynomials (self-adjoint
    form with weight e^(sigma x^2)); converged to ~1e-9 for sigma <= 30 with the defaults."""
    if not sigma >= 0:
        raise ValueError("sigma must be >= 0")
    x, wq = _gauss_legendre(n_quad)
    w = np.exp(sigma * (x**2 - 1.0)) * wq           # scaled weight (constant factor cancels)
    odd = np.arange(1, degree + 1, 2)
    eye = np.eye(degree + 1)
    P = np.array([_leg.legval(x, eye[k]) for k in odd])
    dP = np.array([_leg.legval(x, _leg.legder(eye[k])) for k in odd])
    # einsum, not BLAS: these products are small, and a threaded BLAS next to numba's worker
    # threads (llg kernels in the same process) can be slowed down a hundredfold
    A = np.einsum("iq,jq,q->ij", dP, dP, (1.0 - x**2) * w)
    B = np.einsum("iq,jq,q->ij", P, P, w)
    lam = sla.eigh(A, B, eigvals_only=True, subset_by_index=[0, 0])[0]   # = 2 tau_N lambda_1
    return float(2.0 * tau_N / lam)
