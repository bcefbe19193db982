"""One check of bath temperatures (K) for the rate builders.

The 0 K rule: a bath at T = 0 K is allowed where the rates have a finite limit, i.e. where they
enter only through Bose factors n(w) = 1 / (exp(w / k_B T) - 1) -> 0 (spontaneous emission only;
:class:`spinbath.quantum.spin_phonon.SpinPhononRates`). Builders that divide by k_B T (e.g. the
Redfield-like laws of :class:`spinbath.quantum.phonon_rates.PhononRates`) ask for T > 0 K with
``allow_zero=False``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["check_temperatures"]


def check_temperatures(temperature, *, allow_zero: bool) -> tuple[np.ndarray, bool]:
    """(T as a 1-D float array in K, whether ``temperature`` was a scalar).

    Accepts a number or a non-empty 1-D array. Raises ValueError for another shape
    ("temperature must be a number or a non-empty 1-D array (K), got shape ..."), for NaN or inf, for
    T < 0 K, and for T = 0 K unless ``allow_zero`` ("temperatures must be finite and >= 0 K" or
    "... > 0 K", with the offending values).
    """
    T = np.asarray(temperature, dtype=float)
    scalar = T.ndim == 0
    T = np.atleast_1d(T)
    if T.ndim != 1 or T.size == 0:
        raise ValueError(f"temperature must be a number or a non-empty 1-D array (K), got shape {T.shape}")
    ok = np.isfinite(T) & ((T >= 0) if allow_zero else (T > 0))
    if not np.all(ok):
        bound = ">= 0 K" if allow_zero else "> 0 K"
        raise ValueError(f"temperatures must be finite and {bound}, got {T[~ok][:3]}")
    return T, scalar
