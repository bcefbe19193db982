"""Discrete phonon modes linearly coupled to a spin system.

The bath is a set of harmonic modes a = 0..n-1 with energies hbar w_a (cm^-1) and linear couplings

    H = H_s + sum_a hbar w_a (n_a + 1/2) + sum_a V^a Q_a,     Q_a = a_a + a_a^+,

where Q_a is the displacement of mode a in units of its rms zero-point amplitude sqrt(hbar/(2 m w_a))
(<0|Q_a^2|0> = 1) and V^a = dH_s/dQ_a (cm^-1 per unit Q) is a Hermitian (d, d) matrix in the
*spin basis* (the basis in which H_s is written, e.g. |J, M>), not in the eigenbasis of H_s. This is
the convention of the golden-rule rates 2 pi |V_fi|^2 G / hbar of :mod:`spinbath.quantum.spin_phonon`
(<n+1|Q_a|n> = sqrt(n+1)); a derivative dH/dq with q = (a + a^+)/sqrt(2) must be divided by sqrt(2).
An optional per-mode linewidth (cm^-1) replaces the global lineshape width of rate calculations.

File format (``save_npz`` / ``load_npz``, NumPy .npz, no pickles):

    energies_cm     float64 (n,)       mode energies, cm^-1, > 0
    couplings_cm    complex128 (n,d,d) V^a in the spin basis, cm^-1
    linewidths_cm   float64 (n,)       optional, per-mode widths, cm^-1, > 0
    source          str (0-d array)    free text: where the data come from
    schema          str (0-d array)    "spinbath.PhononBath/1"
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

__all__ = ["PhononBath", "SCHEMA"]

SCHEMA = "spinbath.PhononBath/1"
#: Hermiticity is checked to this tolerance relative to the largest coupling element.
HERMITIAN_RTOL = 1e-10


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.array(a, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class PhononBath:
    """Phonon modes with linear spin couplings (immutable; arrays are read-only copies).

    Parameters
    ----------
    energies_cm : (n,) mode energies hbar w_a, cm^-1, finite and > 0.
    couplings_cm : (n, d, d) Hermitian matrices V^a = dH_s/dQ_a (Q_a = a_a + a_a^+) in the spin
        basis, cm^-1 per unit Q.
    linewidths_cm : optional (n,) per-mode linewidths, cm^-1, finite and > 0.
    source : free text describing the origin of the data.
    """

    energies_cm: np.ndarray
    couplings_cm: np.ndarray
    linewidths_cm: np.ndarray | None = None
    source: str = field(default="")

    def __post_init__(self):
        e = np.asarray(self.energies_cm)
        if e.ndim != 1:
            raise ValueError(f"energies_cm must be a 1-D array (n_modes,), got shape {e.shape}")
        if not np.isrealobj(e):
            raise ValueError("energies_cm must be real")
        e = e.astype(float)
        if e.size == 0:
            raise ValueError("a PhononBath needs at least one mode")
        bad = np.flatnonzero(~np.isfinite(e))
        if bad.size:
            raise ValueError(f"energies_cm contains NaN/inf at mode(s) {bad[:10].tolist()}")
        bad = np.flatnonzero(e <= 0)
        if bad.size:
            raise ValueError(
                f"mode energies must be > 0 cm^-1; mode {bad[0]} has {e[bad[0]]!r}"
                f" ({bad.size} non-positive in total)"
            )
        v = np.asarray(self.couplings_cm)
        if v.ndim != 3 or v.shape[1] != v.shape[2]:
            raise ValueError(f"couplings_cm must have shape (n_modes, d, d), got {v.shape}")
        if v.shape[0] != e.size:
            raise ValueError(
                f"shape mismatch: {e.size} mode energies but {v.shape[0]} coupling matrices"
            )
        v = v.astype(complex)
        if not np.all(np.isfinite(v)):
            bad = np.flatnonzero(~np.isfinite(v).all(axis=(1, 2)))
            raise ValueError(f"couplings_cm contains NaN/inf for mode(s) {bad[:10].tolist()}")
        scale = max(float(np.abs(v).max()), 1e-300)
        dev = np.abs(v - v.conj().transpose(0, 2, 1)).max(axis=(1, 2))
        bad = np.flatnonzero(dev > HERMITIAN_RTOL * scale)
        if bad.size:
            raise ValueError(
                f"coupling matrix of mode {bad[0]} is not Hermitian: max |V - V^H| = {dev[bad[0]]:.3g}"
                f" cm^-1 (tolerance {HERMITIAN_RTOL * scale:.3g}); {bad.size} mode(s) affected"
            )
        lw = self.linewidths_cm
        if lw is not None:
            lw = np.asarray(lw)
            if lw.shape != e.shape:
                raise ValueError(
                    f"shape mismatch: linewidths_cm has shape {lw.shape}, expected ({e.size},)"
                )
            lw = lw.astype(float)
            bad = np.flatnonzero(~np.isfinite(lw) | (lw <= 0))
            if bad.size:
                raise ValueError(
                    f"linewidths must be finite and > 0 cm^-1; mode {bad[0]} has {lw[bad[0]]!r}"
                )
            lw = _readonly(lw)
        object.__setattr__(self, "energies_cm", _readonly(e))
        object.__setattr__(self, "couplings_cm", _readonly(v))
        object.__setattr__(self, "linewidths_cm", lw)
        object.__setattr__(self, "source", str(self.source))

    @property
    def n_modes(self) -> int:
        return int(self.energies_cm.size)

    @property
    def dim(self) -> int:
        """Dimension d of the spin space the couplings act on."""
        return int(self.couplings_cm.shape[1])

    def couplings_in_basis(self, U: np.ndarray) -> np.ndarray:
        """Couplings U^H V^a U, e.g. in the eigenbasis of H_s (columns of U = eigenvectors)."""
        U = np.asarray(U)
        if U.shape != (self.dim, self.dim):
            raise ValueError(f"basis of shape {U.shape} does not fit couplings of dimension {self.dim}")
        return np.einsum("ji,ajk,kl->ail", U.conj(), self.couplings_cm, U, optimize=True)

    def save_npz(self, path: str | os.PathLike) -> None:
        """Write the bath to ``path`` (.npz, schema in the module docstring)."""
        data = {
            "energies_cm": self.energies_cm,
            "couplings_cm": self.couplings_cm,
            "source": np.array(self.source),
            "schema": np.array(SCHEMA),
        }
        if self.linewidths_cm is not None:
            data["linewidths_cm"] = self.linewidths_cm
        np.savez(path, **data)

    @classmethod
    def load_npz(cls, path: str | os.PathLike) -> PhononBath:
        """Read a bath written by :meth:`save_npz` (validated again on load)."""
        with np.load(path, allow_pickle=False) as f:
            keys = set(f.files)
            missing = {"energies_cm", "couplings_cm"} - keys
            if missing:
                raise ValueError(f"{os.fspath(path)!r} is not a PhononBath file: missing {sorted(missing)}")
            schema = str(f["schema"]) if "schema" in keys else SCHEMA
            if schema != SCHEMA:
                raise ValueError(f"{os.fspath(path)!r} has schema {schema!r}, expected {SCHEMA!r}")
            return cls(
                energies_cm=f["energies_cm"],
                couplings_cm=f["couplings_cm"],
                linewidths_cm=f["linewidths_cm"] if "linewidths_cm" in keys else None,
                source=str(f["source"]) if "source" in keys else "",
            )
