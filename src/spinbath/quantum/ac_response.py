"""AC susceptibility of a spin relaxing under a rate superoperator: linear response of the master equation.

A small field h along the measuring axis adds -h M to H (M: the magnetic-moment operator along that
axis in the eigenbasis of H, e.g. g mu_B J.n). The equilibrium state follows it as
rho_eq(h) = rho_eq + h drho + O(h^2). Its *relaxing* part, the one that lags an AC field at the
frequencies of a magnetometer (Hz to kHz), is the change of the populations of the levels:

    drho = beta [ sum_n p_n P_n M P_n - <M> rho_eq ]       (beta = 1 / (k_B T), E in cm^-1)

with P_n the projector on level n (degenerate states grouped, so a Kramers doublet responds through
P_n M P_n, whatever basis was chosen inside it) and p_n its Boltzmann weight per state. The
coherences between levels of different energy (the Van Vleck part) follow the field within
picoseconds and belong to chi_S. With chi_rel = Tr(M drho) (the relaxing isothermal part),
the deviation relaxes as drho(t) = exp(G t) drho under the generator G = R - i[H, .], and

    chi(w) / chi_rel = 1 - i w Tr(M (i w - G)^-1 drho) / chi_rel = sum_g a_g (-lambda_g) / (i w - lambda_g)

(the sign convention chi = chi' - i chi'', so chi'' > 0; w = 2 pi nu), a_g the weights of the
eigenmodes lambda_g of G in M(t) (sum_g a_g = 1). One mode lambda = -1/tau gives the Debye law
1 / (1 + i w tau). The solve eliminates the fast processes first (:func:`ac_susceptibility`), so a
slow magnetization (tau of hours next to picosecond phonon processes) keeps full precision. The measured chi(w) = chi_S + (chi_T - chi_S) chi(w)/chi_rel compares with this
shape; the fits of spinbath.experiment give chi_S and chi_T.
"""

from __future__ import annotations

import numpy as np

from ..runs import consecutive_runs
from ..units import KB_CM
from .liouville import vec
from .relaxation import with_hamiltonian

__all__ = ["field_response_state", "ac_susceptibility"]


def _levels(E: np.ndarray, tol: float) -> list[np.ndarray]:
    """Indices of the levels: states whose energies (sorted) lie within ``tol`` of each other."""
    order = np.argsort(E, kind="stable")
    return [order[g] for g in consecutive_runs(E[order], tol)]


def field_response_state(E, M, temperature: float, degeneracy_cm: float = 1e-6) -> np.ndarray:
    """drho = d rho_eq / dh (relaxing part, module docstring), per unit of h M (cm^-1 per unit h).

    E: level energies (cm^-1), M: the moment operator in the eigenbasis of diag(E) (any unit, e.g.
    mu_B), temperature in K (> 0); levels closer than ``degeneracy_cm`` are one level.
    Returns a Hermitian, traceless (d, d) matrix in units of [M] / cm^-1.
    """
    E = np.asarray(E, float)
    M = np.asarray(M)
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0 K, got {temperature}")
    beta = 1.0 / (KB_CM * temperature)
    p = np.exp(-beta * (E - E.min()))
    p /= p.sum()
    rho_eq = np.diag(p).astype(complex)
    blocks = np.zeros_like(M, dtype=complex)
    for idx in _levels(E, degeneracy_cm):
        blocks[np.ix_(idx, idx)] = p[idx[0]] * M[np.ix_(idx, idx)]
    mean = np.real(np.trace(M @ rho_eq))
    return beta * (blocks - mean * rho_eq)


def _ground_liouville(E: np.ndarray, degeneracy_cm: float) -> np.ndarray:
    """Column-stacked indices a + d b of the ground level's block (a, b in the ground level)."""
    d = E.size
    ground = _levels(E, degeneracy_cm)[0]
    if ground.size == 1:  # a non-degenerate ground state: keep its partner too (the slow pair)
        ground = np.argsort(E, kind="stable")[:2]
    return np.array([a + d * b for b in ground for a in ground])


def ac_susceptibility(R, E, M, temperature: float, frequency, degeneracy_cm: float = 1e-6) -> np.ndarray:
    """chi(nu) / chi_rel (complex, chi = chi' - i chi'') at the frequencies ``frequency`` (Hz).

    R: rate superoperator (s^-1) in the eigenbasis of diag(E) on column-stacked vec(rho), as
    :meth:`spinbath.quantum.SpinPhononRates.superoperator` returns it; E (cm^-1), M, temperature (K)
    as in :func:`field_response_state`. Exact for the master equation: (i w - G) x = drho with
    G = R - i[H, .] is solved by eliminating the ground level's block s (Schur complement):

        x_s = (i w - G_ss - G_sf A^-1 G_fs)^-1 (b_s + G_sf A^-1 b_f),  A = i w - G_ff,
        x_f = A^-1 (b_f + G_fs x_s).

    A holds only the fast processes, so it is well conditioned; a direct solve of the whole system
    would lose the slow magnetization rate (1e-4 s^-1 next to phonon rates of 1e11 s^-1 in DyCp)
    to round-off.
    """
    G = with_hamiltonian(R, E)
    E = np.asarray(E, float)
    d = E.size
    drho = field_response_state(E, M, temperature, degeneracy_cm)
    chi_rel = float(np.real(np.trace(M @ drho)))
    if chi_rel <= 0:
        raise ValueError("the magnetization does not relax at this temperature (chi_rel = 0)")
    obs = vec(np.asarray(M).T)  # Tr(M X) = vec(M^T) . vec(X)
    b = vec(drho)
    s = _ground_liouville(E, degeneracy_cm)
    f = np.setdiff1d(np.arange(d * d), s)
    Gss, Gsf, Gfs, Gff = G[np.ix_(s, s)], G[np.ix_(s, f)], G[np.ix_(f, s)], G[np.ix_(f, f)]
    eye_f, eye_s = np.eye(f.size), np.eye(s.size)
    out = []
    for nu in np.atleast_1d(np.asarray(frequency, float)):
        w = 2 * np.pi * nu
        A = 1j * w * eye_f - Gff
        Y = np.linalg.solve(A, np.column_stack([Gfs, b[f]]))  # A^-1 [G_fs, b_f]
        xs = np.linalg.solve(1j * w * eye_s - Gss - Gsf @ Y[:, :-1], b[s] + Gsf @ Y[:, -1])
        xf = Y[:, -1] + Y[:, :-1] @ xs
        out.append(1.0 - 1j * w * (obs[s] @ xs + obs[f] @ xf) / chi_rel)
    return np.asarray(out)
