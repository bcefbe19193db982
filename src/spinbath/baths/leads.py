"""Electronic leads: semi-infinite tight-binding chains and their Fermi functions (energies in meV).

A lead is a semi-infinite 1D chain with on-site energy ``eps_lead`` and hopping ``t_e`` (meV),
coupled by ``t_c`` (meV) to one device site. Its retarded surface Green's function and the
self-energy it puts on that site are (Economou, *Green's Functions in Quantum Physics*, ch. 5)

    g_s(z) = [z - sqrt(z - 2 t_e) sqrt(z + 2 t_e)] / (2 t_e^2),   z = E - eps_lead,
    Sigma^R(E) = t_c^2 g_s(E + i0),        Gamma(E) = i (Sigma^R - Sigma^A) = -2 Im Sigma^R,

with *principal* square roots. The product of two principal roots picks the decaying branch on
every side of the band: inside |z| < 2 t_e, Gamma = (t_c^2 / t_e^2) sqrt(4 t_e^2 - z^2) > 0;
outside, Sigma is real and tends to t_c^2 / z. The one-root form sqrt(z^2 - 4 t_e^2) has the wrong
sign below the band (Sigma(-250) = -2 instead of -0.5 for t_e = 100, t_c = 10) and Im Sigma > 0
there, which would make the device Green's function non-causal.

For complex z in the upper half plane the same expression is the analytic continuation of
Sigma^R, which is what the contour integrals of :mod:`spinbath.junction` use.
"""

from __future__ import annotations

import numpy as np

from spinbath.units import KB_MEV

__all__ = [
    "surface_green_function",
    "surface_green_derivative",
    "chain_self_energy",
    "chain_self_energy_derivative",
    "chain_broadening",
    "fermi",
    "minus_fermi_derivative",
]


def _as_z(E) -> np.ndarray:
    """Energies as complex numbers with a *positive* zero imaginary part on the real axis.

    numpy's principal sqrt of -x - 0j is -i sqrt(x): a signed zero would flip the branch.
    """
    z = np.asarray(E, dtype=complex)
    return z.real + 1j * np.where(z.imag == 0.0, 0.0, z.imag)


def _root_product(z: np.ndarray, t_e: float) -> np.ndarray:
    return np.sqrt(z - 2.0 * t_e) * np.sqrt(z + 2.0 * t_e)


def surface_green_function(E, t_e: float, eps_lead: float = 0.0) -> np.ndarray:
    """Retarded surface Green's function g_s(E) of a semi-infinite chain, meV^-1.

    E in meV (real: the +i0 limit is taken; complex: Im E >= 0), t_e the chain hopping in meV.
    """
    if t_e <= 0:
        raise ValueError(f"lead hopping t_e must be positive (got {t_e} meV)")
    z = _as_z(E) - eps_lead
    # [z - r] / (2 t_e^2) = 2 / (z + r), r = sqrt(z - 2t_e) sqrt(z + 2t_e): the second form has no
    # cancellation far outside the band (|z + r| >= 2 t_e everywhere).
    return 2.0 / (z + _root_product(z, t_e))


def surface_green_derivative(E, t_e: float, eps_lead: float = 0.0) -> np.ndarray:
    """d g_s / dE in meV^-2: (1 - z / sqrt(z - 2t_e) sqrt(z + 2t_e)) / (2 t_e^2).

    It diverges as |z -+ 2 t_e|^(-1/2) at the band edges (integrably).
    """
    z = _as_z(E) - eps_lead
    with np.errstate(divide="ignore", invalid="ignore"):
        return (1.0 - z / _root_product(z, t_e)) / (2.0 * t_e**2)


def chain_self_energy(E, t_e: float, t_c: float, eps_lead: float = 0.0) -> np.ndarray:
    """Retarded self-energy Sigma^R(E) = t_c^2 g_s(E) of a semi-infinite chain, complex, meV.

    E: energies in meV (array or scalar); t_e: chain hopping, meV; t_c: chain-device hopping, meV.
    Im Sigma^R <= 0 everywhere; Sigma^R is real outside the band |E - eps_lead| > 2 t_e.

    >>> complex(np.round(chain_self_energy(120.0, 100.0, 10.0), 6))
    (0.6-0.8j)
    """
    return t_c**2 * surface_green_function(E, t_e, eps_lead)


def chain_self_energy_derivative(E, t_e: float, t_c: float, eps_lead: float = 0.0) -> np.ndarray:
    """d Sigma^R / dE (dimensionless), the analytic derivative of :func:`chain_self_energy`."""
    return t_c**2 * surface_green_derivative(E, t_e, eps_lead)


def chain_broadening(E, t_e: float, t_c: float, eps_lead: float = 0.0) -> np.ndarray:
    """Gamma(E) = i (Sigma^R - Sigma^A) = -2 Im Sigma^R(E) >= 0, meV, for real E in meV."""
    return -2.0 * chain_self_energy(np.asarray(E, dtype=float), t_e, t_c, eps_lead).imag


def fermi(E, mu, T: float) -> np.ndarray:
    """Fermi function f(E) = 1 / (exp((E - mu)/k_B T) + 1); E, mu in meV, T in K.

    T = 0 gives the step theta(mu - E) with f(mu) = 1/2. Written with tanh so that it never
    overflows.
    """
    if T < 0:
        raise ValueError(f"temperature must be >= 0 K (got {T})")
    x = np.asarray(E, dtype=float) - np.asarray(mu, dtype=float)
    if T == 0:
        return 0.5 * (1.0 - np.sign(x))
    return 0.5 * (1.0 - np.tanh(x / (2.0 * KB_MEV * T)))


def minus_fermi_derivative(E, mu, T: float) -> np.ndarray:
    """-df/dE = 1 / (4 k_B T cosh^2((E - mu)/2 k_B T)), meV^-1, for T > 0 K.

    At T = 0 it is delta(E - mu); callers evaluate that analytically instead of calling this.
    """
    if T <= 0:
        raise ValueError("-df/dE is a delta function at T = 0; evaluate it analytically")
    kT = KB_MEV * T
    th = np.tanh((np.asarray(E, dtype=float) - np.asarray(mu, dtype=float)) / (2.0 * kT))
    return (1.0 - th**2) / (4.0 * kT)
