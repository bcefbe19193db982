"""Green's functions of the two-site device coupled to the leads (energies in meV, G in meV^-1).

Retarded / advanced:   G^R(E) = [E - H_D - Sigma_L(E) P_1 - Sigma_R(E) P_2]^-1,  G^A = (G^R)^+
Lesser / greater:      G^<(E) = G^R [ i f_L Gamma_L P_1 + i f_R Gamma_R P_2 ] G^A
                       G^>(E) = G^R [ -i (1 - f_L) Gamma_L P_1 - i (1 - f_R) Gamma_R P_2 ] G^A

(P_a projects on site a, both spins). Inside the band G^> - G^< = G^R - G^A exactly; outside it
the device can hold bound states (real poles of G^R) that G^R Sigma^< G^A does not see, which is
why :mod:`spinbath.junction.kernels` never builds the equilibrium part from this formula.

Spin along t_hat is conserved, so in a frame with t_hat = z the 4 x 4 functions are two 2 x 2 site
blocks, one per spin s = +1 (hopping t0 + t) and s = -1 (t0 - t). The ``block_*`` functions work in
that frame and accept complex energies in the upper half plane (analytic continuation of G^R).
"""

from __future__ import annotations

import numpy as np

from spinbath.baths.leads import (
    chain_self_energy,
    chain_self_energy_derivative,
    fermi,
)
from spinbath.junction.model import JunctionModel, chemical_potentials

__all__ = [
    "greens_functions",
    "block_retarded",
    "block_retarded_derivative",
    "SPINS",
]

#: Spin labels of the two blocks (+1: up along t_hat, -1: down).
SPINS = (1, -1)


def greens_functions(model: JunctionModel, E, V: float = 0.0, mu_F: float = 0.0, T: float = 0.0):
    """G^R, G^A, G^<, G^> of the device at real energies E (meV), each of shape (len(E), 4, 4).

    Basis (site 1 up, 1 down, 2 up, 2 down) with spin along the lab z axis; V in mV, mu_F in meV,
    T in K. Intended for checks and users' own analysis; the couplings use the spin blocks.
    """
    E = np.atleast_1d(np.asarray(E, dtype=float))
    sig_L, sig_R = model.self_energies(E)
    H = model.device_hamiltonian()
    M = np.zeros((E.size, 4, 4), dtype=complex)
    M[:] = -H
    idx = np.arange(4)
    M[:, idx, idx] += E[:, None]
    M[:, [0, 1], [0, 1]] -= sig_L[:, None]
    M[:, [2, 3], [2, 3]] -= sig_R[:, None]
    GR = np.linalg.inv(M)
    GA = np.conj(np.swapaxes(GR, -1, -2))
    mu_L, mu_R = chemical_potentials(V, mu_F)
    f_L, f_R = fermi(E, mu_L, T), fermi(E, mu_R, T)
    gam_L, gam_R = -2.0 * sig_L.imag, -2.0 * sig_R.imag
    lesser_in = np.zeros_like(M)
    greater_in = np.zeros_like(M)
    lesser_in[:, [0, 1], [0, 1]] = (1j * f_L * gam_L)[:, None]
    lesser_in[:, [2, 3], [2, 3]] = (1j * f_R * gam_R)[:, None]
    greater_in[:, [0, 1], [0, 1]] = (-1j * (1 - f_L) * gam_L)[:, None]
    greater_in[:, [2, 3], [2, 3]] = (-1j * (1 - f_R) * gam_R)[:, None]
    G_less = GR @ lesser_in @ GA
    G_greater = GR @ greater_in @ GA
    return GR, GA, G_less, G_greater


def block_retarded(z, model: JunctionModel) -> np.ndarray:
    """G^R in the spin-diagonal frame: shape z.shape + (2 spins, 2 sites, 2 sites), meV^-1.

    z: real energies (the +i0 limit) or complex energies with Im z > 0, meV. Closed-form 2 x 2
    inverse: G = [[d, b], [b, a]] / (a d - b^2) with a = z - eps0 - Sigma_L, d = z - eps0 - Sigma_R,
    b = t0 + s t.
    """
    z = np.asarray(z, dtype=complex)
    sig_L = chain_self_energy(z, model.t_e, model.t_L)
    sig_R = chain_self_energy(z, model.t_e, model.t_R)
    a = z - model.eps0 - sig_L
    d = z - model.eps0 - sig_R
    out = np.empty(z.shape + (2, 2, 2), dtype=complex)
    for k, hop in enumerate(model.spin_hoppings()):
        det = a * d - hop * hop
        out[..., k, 0, 0] = d / det
        out[..., k, 1, 1] = a / det
        out[..., k, 0, 1] = hop / det
        out[..., k, 1, 0] = hop / det
    return out


def block_retarded_derivative(z, model: JunctionModel, G: np.ndarray | None = None) -> np.ndarray:
    """dG^R/dz = -G (1 - dSigma/dz) G in the spin-diagonal frame, same shape as G, meV^-2."""
    z = np.asarray(z, dtype=complex)
    if G is None:
        G = block_retarded(z, model)
    dsig = np.stack(
        [
            chain_self_energy_derivative(z, model.t_e, model.t_L),
            chain_self_energy_derivative(z, model.t_e, model.t_R),
        ],
        axis=-1,
    )
    # (1 - Sigma') is diagonal in site space: it scales the columns of the left factor.
    return -(G * (1.0 - dsig)[..., None, None, :]) @ G
