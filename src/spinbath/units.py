"""Physical constants and unit conversions, in one place.

Working units (the Conventions page, docs/conventions.md): energies of spin Hamiltonians, phonons and couplings in cm^-1,
temperature in K, magnetic field in T, rates in s^-1 and times in s; junction energies in meV and
bias in mV. Every constant comes from ``scipy.constants`` (CODATA).

Key relations (E in cm^-1):
    angular frequency  w = E / hbar = 2 pi c E         [s^-1], c in cm/s   (``CM_TO_RAD_PER_S``)
    thermal energy     k_B T = 0.695035 cm^-1/K * T                        (``KB_CM``)
    Zeeman energy      mu_B B = 0.466865 cm^-1/T * B                       (``MUB_CM``)
"""

from __future__ import annotations

import numpy as np
from scipy import constants as _c

__all__ = [
    "HBAR_CM_S", "CM_TO_RAD_PER_S", "KB_CM", "MUB_CM", "MEV_TO_CM", "THZ_TO_CM", "K_TO_CM",
    "KB_MEV", "MUB_MEV", "HBAR_MEV_PS", "convert_energy", "bose_einstein", "ENERGY_UNITS",
]

#: 1 cm^-1 expressed as an angular frequency, rad s^-1 (2 pi c with c in cm/s).
CM_TO_RAD_PER_S: float = 2 * np.pi * _c.c * 100.0
#: hbar in cm^-1 s: a rate in s^-1 is an energy in cm^-1 divided by this number.
HBAR_CM_S: float = 1.0 / CM_TO_RAD_PER_S
#: Boltzmann constant in cm^-1 K^-1.
KB_CM: float = _c.k / (_c.h * _c.c * 100.0)
#: Bohr magneton in cm^-1 T^-1.
MUB_CM: float = _c.physical_constants["Bohr magneton in inverse meter per tesla"][0] / 100.0
#: 1 meV in cm^-1.
MEV_TO_CM: float = 1e-3 * _c.e / (_c.h * _c.c * 100.0)
#: 1 THz (ordinary frequency) in cm^-1.
THZ_TO_CM: float = 1e12 / (_c.c * 100.0)
#: 1 K (k_B * 1 K) in cm^-1.
K_TO_CM: float = KB_CM
#: Boltzmann constant in meV K^-1.
KB_MEV: float = _c.k / _c.e * 1e3
#: Bohr magneton in meV T^-1.
MUB_MEV: float = _c.physical_constants["Bohr magneton in eV/T"][0] * 1e3
#: hbar in meV ps (0.6582 meV ps): a junction or LLG energy of 1 meV sets the time scale hbar / meV.
HBAR_MEV_PS: float = _c.hbar / _c.e * 1e3 * 1e12

#: Energy units understood by :func:`convert_energy`, each as its value in cm^-1.
ENERGY_UNITS: dict[str, float] = {
    "cm^-1": 1.0,
    "K": K_TO_CM,
    "meV": MEV_TO_CM,
    "eV": 1e3 * MEV_TO_CM,
    "THz": THZ_TO_CM,
    "GHz": 1e-3 * THZ_TO_CM,
    "muB*T": MUB_CM,
}


def convert_energy(value, from_unit: str, to_unit: str = "cm^-1"):
    """Convert an energy among cm^-1, K (k_B T), meV, eV, THz and GHz (h nu), muB*T (mu_B B).

    >>> round(convert_energy(1.0, "meV"), 4)
    8.0655
    """
    try:
        return np.asarray(value, dtype=float) * ENERGY_UNITS[from_unit] / ENERGY_UNITS[to_unit]
    except KeyError as err:
        raise ValueError(f"unknown energy unit {err.args[0]!r}; known: {', '.join(ENERGY_UNITS)}") from None


def bose_einstein(energy_cm, temperature_K):
    """Bose-Einstein occupation n = 1/(exp(E/k_B T) - 1), E in cm^-1, T in K (broadcasts).

    T = 0 gives n = 0 for E > 0. Energies must be positive.
    """
    e = np.asarray(energy_cm, dtype=float)
    t = np.asarray(temperature_K, dtype=float)
    with np.errstate(divide="ignore", over="ignore"):
        x = e / (KB_CM * t)
        return np.where(np.isinf(x), 0.0, 1.0 / np.expm1(np.where(np.isinf(x), 1.0, x)))
