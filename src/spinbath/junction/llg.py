"""Parameters of the dimer's generalized stochastic LLG, from the junction couplings.

Reference: Leiva, Diaz and Nunez, Phys. Rev. B 107, 094401 (2023), doi:10.1103/PhysRevB.107.094401.

For classical spins S_a = S m_a (|m_a| = 1) coupled by H_sd = Delta sum_a S_a . s_a, the field on the
unit vector m_a (h_a = -dE/dm_a = S B_a, meV) and the equation of motion are

    hbar S dm_a/dt = -m_a x (h_a + eta_a) + hbar S sum_b m_a x (alpha^G_ab dm_b/dt)
    h_a = sum_b W_ab m_b + h0_a,          W_ab = Delta^2 S^2 chi_ab(0)        (3 x 3, meV)
                                         h0_a = -Delta S <s_a>_0           (meV)
    alpha^G_ab = Delta^2 S chi'_ab        (3 x 3, dimensionless Gilbert tensor; iso + an parts)
    <eta_a^i(t) eta_b^j(t')> = Delta^2 S^2 hbar C_ab^ij delta(t - t')      (meV^2 ps)

with hbar = 0.6582 meV ps, so dm/dt is in ps^-1. In equilibrium the noise is 2 k_B T times the
damping coefficient hbar S^2 Delta^2 chi' of the field equation (fluctuation-dissipation); under
bias it is not, and T_eff measures by how much. The dm (reactive) part of chi' is left out of
alpha^G as in Leiva et al. and reported by :func:`spinbath.junction.couplings`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spinbath.junction.kernels import SpinKernels, spin_kernels
from spinbath.junction.model import JunctionModel
from spinbath.units import HBAR_MEV_PS

__all__ = ["DimerLLGParameters", "llg_parameters", "parameters_from_kernels", "parameters_from_couplings",
           "tensor"]

_EPS = np.zeros((3, 3, 3))
_EPS[0, 1, 2] = _EPS[1, 2, 0] = _EPS[2, 0, 1] = 1.0
_EPS[0, 2, 1] = _EPS[2, 1, 0] = _EPS[1, 0, 2] = -1.0


def tensor(iso, an, dm, t_hat) -> np.ndarray:
    """3 x 3 tensor iso delta_ij + an t_i t_j + dm eps_ijk t_k (broadcast over leading axes)."""
    n = np.asarray(t_hat, dtype=float)
    iso, an, dm = (np.asarray(x, dtype=float)[..., None, None] for x in (iso, an, dm))
    return iso * np.eye(3) + an * np.outer(n, n) + dm * np.einsum("ijk,k->ij", _EPS, n)


@dataclass(frozen=True)
class DimerLLGParameters:
    """Everything the dimer LLG needs at one (V, mu_F, T); see the module docstring for equations.

    exchange: W_ab, shape (2, 2, 3, 3), meV (a = b: on-site anisotropy and torque terms);
    zeeman: h0_a, shape (2, 3), meV; damping: alpha^G_ab, shape (2, 2, 3, 3), dimensionless;
    noise: covariance of eta in meV^2 ps, shape (2, 2, 3, 3); S: spin length; Delta: s-d exchange,
    meV; t_hat: unit vector; V (mV), mu_F (meV), T (K); T_eff: effective temperature per site, K.
    """

    exchange: np.ndarray
    zeeman: np.ndarray
    damping: np.ndarray
    noise: np.ndarray
    S: float
    Delta: float
    t_hat: tuple[float, float, float]
    V: float
    mu_F: float
    T: float
    T_eff: tuple[float, float]
    hbar: float = HBAR_MEV_PS

    def field(self, m: np.ndarray) -> np.ndarray:
        """h_a = sum_b W_ab m_b + h0_a for m of shape (..., 2, 3), meV."""
        return np.einsum("abij,...bj->...ai", self.exchange, m) + self.zeeman


def parameters_from_kernels(k: SpinKernels, index: int, *, S: float, Delta: float,
                            t_hat) -> DimerLLGParameters:
    """Build the LLG parameters of point ``index`` of ``k`` (see :func:`llg_parameters`)."""
    n = np.asarray(t_hat, dtype=float)
    st, sl, no = k.static[index], k.slope[index], k.noise[index]
    W = Delta**2 * S**2 * tensor(st[..., 0], st[..., 1], st[..., 2], n)
    zeeman = -Delta * S * k.spin[index][:, None] * n
    damping = Delta**2 * S * tensor(sl[..., 0], sl[..., 1], 0.0 * sl[..., 2], n)
    noise = Delta**2 * S**2 * HBAR_MEV_PS * tensor(no[..., 0], no[..., 1], 0.0 * no[..., 2], n)
    from spinbath.junction.couplings import couplings_from_kernels

    named = couplings_from_kernels(k)
    return DimerLLGParameters(
        exchange=W, zeeman=zeeman, damping=damping, noise=noise, S=float(S), Delta=float(Delta),
        t_hat=tuple(float(x) for x in n), V=float(k.V[index]), mu_F=float(k.mu_F[index]),
        T=k.T, T_eff=(float(named["T_eff1"][index]), float(named["T_eff2"][index])),
    )


def parameters_from_couplings(named: dict, index: int, *, S: float, Delta: float, t_hat,
                              V: float, mu_F: float, T: float) -> DimerLLGParameters:
    """LLG parameters from named couplings (:func:`spinbath.junction.couplings_from_kernels`, or a
    ``junction-couplings`` results file): point ``index`` of arrays with a leading point axis.

    The on-site isotropic kernel (a field along m_a itself, no torque) is not among the named
    couplings and is set to 0 here; every torque is the same as with :func:`parameters_from_kernels`.
    """
    n = np.asarray(t_hat, dtype=float)
    g = lambda key: float(np.asarray(named[key])[index])  # noqa: E731
    static = np.zeros((2, 2, 3))
    for a, b in ((0, 1), (1, 0)):
        tag = str(a + 1)
        static[a, b] = (-g("J" + tag), -g("A" + tag), -g("D" + tag))
        static[a, a] = (0.0, -2.0 * g("K" + tag), -g("Dloc" + tag))
    mat = lambda key: np.asarray(named[key])[index]  # noqa: E731
    W = Delta**2 * S**2 * tensor(static[..., 0], static[..., 1], static[..., 2], n)
    spin = np.array([g("s1"), g("s2")])
    zeeman = -Delta * S * spin[:, None] * n
    zero = np.zeros((2, 2))
    damping = Delta**2 * S * tensor(mat("alpha_i"), mat("alpha_an"), zero, n)
    noise = Delta**2 * S**2 * HBAR_MEV_PS * tensor(mat("j_i"), mat("j_an"), zero, n)
    return DimerLLGParameters(
        exchange=W, zeeman=zeeman, damping=damping, noise=noise, S=float(S), Delta=float(Delta),
        t_hat=tuple(float(x) for x in n), V=float(V), mu_F=float(mu_F), T=float(T),
        T_eff=(g("T_eff1"), g("T_eff2")),
    )


def llg_parameters(V: float, mu_F: float, T: float = 0.0, *, S: float, Delta: float,
                   model: JunctionModel | None = None) -> DimerLLGParameters:
    """LLG parameters of the dimer at bias V (mV), Fermi energy mu_F (meV), temperature T (K).

    S: spin length of each localized moment (dimensionless, e.g. 1 or 5/2); Delta: s-d exchange in
    meV (the couplings are second order in it); model: the junction (defaults if None).
    """
    if S <= 0:
        raise ValueError(f"spin length S must be positive (got {S})")
    if not np.isfinite(Delta):
        raise ValueError(f"Delta must be a finite energy in meV (got {Delta})")
    model = model or JunctionModel()
    k = spin_kernels(model, V, mu_F, T)
    return parameters_from_kernels(k, 0, S=S, Delta=Delta, t_hat=model.t_hat)
