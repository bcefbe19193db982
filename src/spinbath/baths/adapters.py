"""Conversions between discrete-mode baths and spectral-channel baths (the Bath protocol).

* :func:`modes_to_channels`: each discrete mode a (energy w_a, coupling V^a, width Gamma_a) becomes one
  channel with the damped-oscillator density B_a(w) = (4/pi) w_a Gamma_a w / ((w^2 - w_a^2)^2 +
  (2 Gamma_a w)^2), a Lorentzian of half width Gamma_a at w ~ w_a that tends to delta(w - w_a) as
  Gamma_a -> 0.
* :func:`channels_to_modes`: channel alpha on the grid w_k (cm^-1, ascending, > 0) with trapezoid
  weights Delta_k becomes modes of energy w_k and coupling V^alpha sqrt(B_alpha(w_k) Delta_k), each
  with linewidth Delta_k, so sum_k |V_k|^2 delta(w - w_k) -> |V^alpha|^2 B_alpha(w).

Both keep the one-phonon (second-order) rate 2 pi/hbar |V_mn|^2 B(|w_nm|) (n(w) + 1 or n(w)) of
A. Lunghi, Sci. Adv. 8, eabn7880 (2022), doi:10.1126/sciadv.abn7880, in the narrow-width / fine-grid
limit; units follow the Conventions page (docs/conventions.md).
"""

from __future__ import annotations

import numpy as np

from .phonons import PhononBath
from .spectral import DampedOscillator, SpectralBath, SpectralChannel

__all__ = ["channels_to_modes", "grid_weights", "modes_to_channels"]


def modes_to_channels(bath: PhononBath, width: float | None = None) -> SpectralBath:
    """One damped-oscillator channel ``mode{a}`` per mode (half width Gamma_a in cm^-1: the mode's
    linewidth, else ``width``). ValueError if neither is given."""
    lw = bath.linewidths_cm
    if lw is None:
        if width is None:
            raise ValueError("the discrete-mode bath has no linewidths: give a mode width (cm^-1) to broaden it")
        lw = np.full(bath.n_modes, float(width))
    channels = tuple(
        SpectralChannel(f"mode{a}", DampedOscillator(float(w), float(g)), V)
        for a, (w, g, V) in enumerate(zip(bath.energies_cm, lw, bath.couplings_cm))
    )
    return SpectralBath(channels)


def grid_weights(grid) -> np.ndarray:
    """Trapezoid weights Delta_k (cm^-1) of an ascending grid of > 0 energies (>= 2 points)."""
    w = np.asarray(grid, dtype=float).ravel()
    if w.size < 2 or not np.all(np.isfinite(w)) or np.any(w <= 0) or np.any(np.diff(w) <= 0):
        raise ValueError("the discretization grid must hold >= 2 ascending, finite energies > 0 cm^-1")
    d = np.diff(w)
    return 0.5 * (np.concatenate([d, [0.0]]) + np.concatenate([[0.0], d]))


def channels_to_modes(bath: SpectralBath, grid) -> PhononBath:
    """Modes w_k (cm^-1) with V = V^alpha sqrt(B_alpha(w_k) Delta_k) and linewidth Delta_k, for each channel
    alpha in turn (n_channels * len(grid) modes). Baths with quadratic couplings are refused."""
    if bath.quadratic:
        raise ValueError("a spectral bath with quadratic couplings has no discrete-mode (linear) form")
    w = np.asarray(grid, dtype=float).ravel()
    dw = grid_weights(w)
    amp = np.sqrt(bath.densities(w) * dw)  # (n_ch, n_grid)
    V = amp[:, :, None, None] * bath.operators[:, None, :, :]
    d = bath.dim
    return PhononBath(
        np.tile(w, bath.n_channels), V.reshape(-1, d, d), np.tile(dw, bath.n_channels),
        source=f"discretized spectral bath ({bath.n_channels} channels x {w.size} grid points)",
    )
