"""What a rate method needs from a bath: the Bath protocol.

A bath couples to the spin through Hermitian operators V^alpha (cm^-1, spin basis) and is described
either by discrete modes (:class:`DiscreteModes`: energies hbar w_a in cm^-1, couplings
V^a = dH/dQ_a per unit Q_a = a_a + a_a^+, optional widths in cm^-1; e.g.
:class:`~spinbath.baths.phonons.PhononBath`) or by spectral channels (:class:`SpectralChannels`:
operators V^alpha with spectral densities B_alpha(w) in 1/cm^-1; e.g.
:class:`~spinbath.baths.spectral.SpectralBath`). :mod:`spinbath.baths.adapters` converts between
the two; units follow the Conventions page (docs/conventions.md).
"""

from __future__ import annotations

from typing import Protocol, Union, runtime_checkable

import numpy as np

__all__ = ["Bath", "DiscreteModes", "SpectralChannels"]


@runtime_checkable
class DiscreteModes(Protocol):
    """Discrete modes: ``energies_cm`` (n,) > 0, ``couplings_cm`` (n, d, d) Hermitian V^a (cm^-1 per
    unit Q_a), ``linewidths_cm`` (n,) or None, ``n_modes`` and ``dim`` (d)."""

    energies_cm: np.ndarray
    couplings_cm: np.ndarray
    linewidths_cm: np.ndarray | None

    @property
    def n_modes(self) -> int: ...

    @property
    def dim(self) -> int: ...


@runtime_checkable
class SpectralChannels(Protocol):
    """Spectral channels: ``operators`` (n_ch, d, d) V^alpha (cm^-1) and ``densities(w)`` -> B_alpha(w)
    (n_ch,) + w.shape in 1/cm^-1, zero for w <= 0; ``n_channels`` and ``dim`` (d)."""

    @property
    def operators(self) -> np.ndarray: ...

    def densities(self, w) -> np.ndarray: ...

    @property
    def n_channels(self) -> int: ...

    @property
    def dim(self) -> int: ...


#: Either description; rate builders accept both (through :mod:`spinbath.baths.adapters`).
Bath = Union[DiscreteModes, SpectralChannels]
