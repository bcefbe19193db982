r"""Pauli master equation for level populations: rate matrix, detailed balance, relaxation times.

Populations p_n of the eigenstates of H_s (energies E_n in cm^-1, ascending) obey

    dp/dt = R p,    R_mn = W_{m<-n} (m != n),    R_nn = -sum_{m != n} W_{m<-n}     (s^-1),

with W >= 0 the transition rates (s^-1), e.g. ``PhononRates.model_rates(...)[model]`` of
:mod:`spinbath.quantum.phonon_rates`. Columns of R sum to zero (probability is conserved).
Detailed balance W_{m<-n} p_n^eq = W_{n<-m} p_m^eq with the Gibbs populations p^eq ~ exp(-E / k_B T) makes p^eq a steady state and R similar to the symmetric
matrix S = P^-1/2 R P^1/2 (S_mn = sign(W_mn) sqrt(W_{m<-n} W_{n<-m})), so all relaxation rates
(-eigenvalues of R) are real and >= 0.

Two relaxation models (``RELAXATION_MODELS``):

``"two-state"`` -- the reduction used for the ground (pseudo) doublet {l, u} = {0, 1}: only the
rates between its two levels count,
    tau^-1 = W_{u<-l} + W_{l<-u}          (= 2 W when the splitting << k_B T),
the decay rate of p_u - p_u^eq in the two-level master equation. Real excitation to higher levels
enters only as far as the two-phonon T-matrix contains it (its eta-broadened resonant part, which the
caller adds to W); the sequential rate of the full level scheme is :func:`sequential_rate`.

``"multi-level"`` -- the full R: tau^-1 is its slowest non-zero relaxation rate. It is computed as
the fixed point Lambda = slow eigenvalue of the doublet Schur complement
    K(Lambda) = R_DD - R_DX (R_XX + Lambda)^-1 R_XD        (D = {0, 1}, X = the other levels),
with K's diagonal taken from its column sums (K_00 = s_0 - K_10, s = -Lambda 1^T (R_XX +
Lambda)^-1 R_XD) and its off-diagonal as W + the flux through X, never as differences of escape
rates. It carries relative round-off of its own size, whereas the eigenvalues of the full R carry
absolute round-off ~ eps ||R|| (excited levels decay ~10^10 times faster than the ground doublet at
low T, and a fast excursion that returns to where it started must not be subtracted from a rate 30
decades smaller). The result is cross-checked against the eigenvalues of R; a resolvable one (above
~1e3 eps ||R||) below the doublet's wins (then the slowest process is not the doublet's).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..units import KB_CM

__all__ = [
    "RELAXATION_MODELS", "rate_matrix", "gibbs_populations", "detailed_balance_error", "two_state_rate",
    "multilevel_rate", "multilevel_rate_details", "MultilevelRate", "sequential_rate", "relaxation_rates",
]

RELAXATION_MODELS = ("two-state", "multi-level")

#: Eigenvalues of S below this multiple of eps * ||S|| are not resolved by the dense eigensolver.
_EIG_FLOOR = 1e3 * np.finfo(float).eps


def _stack(W) -> tuple[np.ndarray, bool]:
    W = np.asarray(W, dtype=float)
    single = W.ndim == 2
    W = W[None] if single else W
    if W.ndim != 3 or W.shape[1] != W.shape[2]:
        raise ValueError(f"rates must have shape (d, d) or (n_T, d, d), got {W.shape}")
    return W, single


def rate_matrix(W) -> np.ndarray:
    """R from rates W[..., m, n] = W_{m<-n} (s^-1; the diagonal of W is ignored): R_mn = W_mn
    (m != n), R_nn = -sum_m W_mn, the generator of the Pauli master equation dp/dt = R p (Breuer
    and Petruccione, The Theory of Open Quantum Systems, Oxford 2002, Sec. 3.3)."""
    W, single = _stack(W)
    R = W.copy()
    idx = np.arange(R.shape[1])
    R[:, idx, idx] = 0.0
    R[:, idx, idx] = -R.sum(axis=1)
    return R[0] if single else R


def gibbs_populations(E, temperature) -> np.ndarray:
    """p^eq_n = exp(-(E_n - E_0)/k_B T) / Z, shape (n_T, d) (E in cm^-1, T in K > 0)."""
    E = np.asarray(E, dtype=float)
    T = np.atleast_1d(np.asarray(temperature, dtype=float))
    x = -(E[None, :] - E.min()) / (KB_CM * T[:, None])
    p = np.exp(x)
    return p / p.sum(axis=1, keepdims=True)


def detailed_balance_error(W, E, temperature) -> float:
    """max over pairs and T of |W_{m<-n} p_n - W_{n<-m} p_m| / (W_{m<-n} p_n + W_{n<-m} p_m) (0 = exact).

    Evaluated in logarithms, |tanh((ln W_{m<-n} - ln W_{n<-m} - (E_n - E_m) / k_B T) / 2)|, so that
    Boltzmann factors below the smallest double (uphill rates at k_B T << gaps) do not turn into a
    false violation. A rate that is exactly 0 opposite a non-zero one counts as a violation (1) only
    when detailed balance would make it representable (> 1e-300 s^-1); below that it underflowed.
    """
    W, _ = _stack(W)
    E = np.asarray(E, dtype=float)
    T = np.atleast_1d(np.asarray(temperature, dtype=float))
    x = -(E[None, :] - E.min()) / (KB_CM * T[:, None])  # ln p_n + ln Z, shape (n_T, d)
    with np.errstate(divide="ignore"):
        lw = np.log(np.abs(W))
    lf = lw + x[:, None, :]  # ln of W_{m<-n} p_n (+ ln Z)
    lf_t = lf.transpose(0, 2, 1)
    both = np.isfinite(lf) & np.isfinite(lf_t)
    with np.errstate(invalid="ignore"):
        rel = np.where(both, np.abs(np.tanh((lf - lf_t) / 2)), 0.0)
    # W_{m<-n} = 0 while W_{n<-m} > 0: detailed balance asks W_{m<-n} = W_{n<-m} p_m / p_n.
    expected = lf_t - x[:, None, :]
    missing = ~np.isfinite(lw) & np.isfinite(lw.transpose(0, 2, 1)) & (expected > np.log(1e-300))
    rel = np.where(missing, 1.0, rel)
    return float(rel.max())


def two_state_rate(W, pair: tuple[int, int] = (0, 1)) -> np.ndarray:
    """tau^-1 = W_{u<-l} + W_{l<-u} (s^-1) for the pair {l, u}, shape (n_T,) (or a scalar): the decay
    rate of p_u - p_u^eq in the two-level Pauli equation (L. Gu and R. Wu, Phys. Rev. Lett. 125,
    117203 (2020), doi:10.1103/PhysRevLett.125.117203)."""
    W, single = _stack(W)
    a, b = pair
    r = W[:, a, b] + W[:, b, a]
    return r[0] if single else r


def _elimination(R: np.ndarray, D: np.ndarray, X: np.ndarray, lam: float) -> tuple[np.ndarray, np.ndarray]:
    """(C, s) for one (d, d) R: C = -R_DX (R_XX + lam)^-1 R_XD, the flux through the eliminated
    levels X (off-diagonal entries >= 0 for rates >= 0 and lam below their decay rates), and
    s = -lam 1^T (R_XX + lam)^-1 R_XD, the column sums of K(lam) = R_DD + C.

    Returning the pieces lets callers form the doublet rates without subtracting large diagonal
    escape rates (which would cancel to ~eps of the fastest rate).
    """
    nD = D.size
    if X.size == 0:
        return np.zeros((nD, nD)), np.zeros(nD)
    A = R[np.ix_(X, X)] + lam * np.eye(X.size)
    rhs = R[np.ix_(X, D)]
    try:
        sol = np.linalg.solve(A, rhs)
    except np.linalg.LinAlgError:
        sol = np.linalg.lstsq(A, rhs, rcond=None)[0]
    return -R[np.ix_(D, X)] @ sol, -lam * sol.sum(axis=0)


def _inert(W: np.ndarray) -> np.ndarray:
    """Levels with no rate in or out (they neither relax nor are fed; a zero row and column of R)."""
    off = W.copy()
    np.fill_diagonal(off, 0.0)
    return (np.abs(off).max(axis=0) == 0) & (np.abs(off).max(axis=1) == 0)


def _doublet_sets(W: np.ndarray, pair: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    d = W.shape[0]
    D = np.array(pair, int)
    inert = _inert(W)
    X = np.array([i for i in range(d) if i not in pair and not inert[i]], int)
    return D, X


def sequential_rate(W, pair: tuple[int, int] = (0, 1)) -> np.ndarray:
    """Rate added to W_{u<-l} + W_{l<-u} by real excursions through the other levels (s^-1).

    From the Schur complement of the doublet at lam = 0: C_ul + C_lu with
    C = -R_DX R_XX^-1 R_XD, the effective transfer through excited levels (sequential Orbach)
    with the return flux counted, valid when the other levels relax much faster than the doublet
    (low T). Shape (n_T,). Orbach process: R. Orbach, Proc. R. Soc. Lond. A 264, 458 (1961),
    doi:10.1098/rspa.1961.0211.
    """
    W, single = _stack(W)
    out = np.empty(W.shape[0])
    for t in range(W.shape[0]):
        D, X = _doublet_sets(W[t], pair)
        C, _ = _elimination(rate_matrix(W[t]), D, X, 0.0)
        out[t] = C[1, 0] + C[0, 1]
    return out[0] if single else out


@dataclass(frozen=True)
class MultilevelRate:
    """The slowest relaxation rate of a Pauli rate matrix with its provenance.

    ``rate``: the slowest non-zero decay rate lambda_1 of dP/dt = R P (s^-1), shape (n_T,) or a
    scalar; ``from_eigensolver``: True where a resolvable eigenvalue of R below the doublet's rate
    was returned instead of the doublet Schur-complement fixed point (same shape, bool).
    """

    rate: np.ndarray | float
    from_eigensolver: np.ndarray | bool


def multilevel_rate(W, pair: tuple[int, int] = (0, 1)):
    """Slowest non-zero relaxation rate of the full Pauli matrix (s^-1), shape (n_T,) (or a scalar):
    ``multilevel_rate_details(W, pair).rate``.

    Doublet Schur-complement fixed point, checked against the eigenvalues of R (module docstring).
    """
    return multilevel_rate_details(W, pair).rate


def multilevel_rate_details(W, pair: tuple[int, int] = (0, 1)) -> MultilevelRate:
    """:func:`multilevel_rate` with its provenance, as a :class:`MultilevelRate`.

    The rate Lambda (s^-1) is the fixed point Lambda = slow eigenvalue of the 2x2 Schur complement
    K(Lambda) = R_DD - R_DX (R_XX + Lambda)^-1 R_XD of the rate matrix R on the doublet D = ``pair``
    (X: the other levels; module docstring for the round-off-free form), then compared with the
    eigenvalues of R. Pauli master equation: H.-P. Breuer and F. Petruccione, The Theory of Open
    Quantum Systems (Oxford University Press, 2002), Sec. 3.3, doi:10.1093/acprof:oso/9780199213900.001.0001.
    """
    W, single = _stack(W)
    rates = np.empty(W.shape[0])
    other = np.zeros(W.shape[0], bool)
    for t in range(W.shape[0]):
        Wt = W[t]
        R = rate_matrix(Wt)
        D, X = _doublet_sets(Wt, pair)
        a_, b_ = pair
        lam = 0.0
        for _ in range(50):
            C, colsum = _elimination(R, D, X, lam)
            k10, k01 = Wt[b_, a_] + C[1, 0], Wt[a_, b_] + C[0, 1]  # off-diagonals of K(lam), >= 0
            # Diagonals from the column sums (K_00 = colsum_0 - K_10), not from R_DD + C_DD, which
            # would subtract escape rates that can exceed the doublet's by 30 decades.
            a, b = k10 - colsum[0], k01 - colsum[1]
            # Larger eigenvalue of -K, written without cancellation.
            new = 0.5 * (a + b + np.sqrt((a - b) ** 2 + 4.0 * max(k01 * k10, 0.0)))
            if abs(new - lam) <= 1e-13 * max(abs(new), 1e-300):
                lam = new
                break
            lam = new
        keep = ~_inert(Wt)
        Rk = R[np.ix_(keep, keep)]
        ev = np.sort(-np.linalg.eigvals(Rk).real)
        floor = _EIG_FLOOR * max(float(np.abs(Rk).max()), 1e-300)
        # ev[0] is the stationary state (0 up to round-off); the next resolvable one is the slowest decay.
        cand = ev[1:][ev[1:] > floor]
        if cand.size and cand[0] < lam * (1.0 - 1e-6):
            lam, other[t] = float(cand[0]), True
        rates[t] = lam
    if single:
        return MultilevelRate(rate=float(rates[0]), from_eigensolver=bool(other[0]))
    return MultilevelRate(rate=rates, from_eigensolver=other)


def relaxation_rates(model_rates: dict[str, np.ndarray], pair: tuple[int, int] = (0, 1)) -> dict[str, np.ndarray]:
    """tau^-1 (s^-1) of every model in ``RELAXATION_MODELS``, each from its own rates
    (the dict of ``PhononRates.model_rates``)."""
    return {"two-state": two_state_rate(model_rates["two-state"], pair),
            "multi-level": multilevel_rate(model_rates["multi-level"], pair)}
