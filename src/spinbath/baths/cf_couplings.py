"""Spin-phonon couplings from crystal-field derivatives.

A mode a modulates the crystal field and, optionally, the g tensor; to first order in the
dimensionless displacement Q_a = a_a + a_a^+ (the displacement in units of the rms zero-point
amplitude sqrt(hbar/(2 m w_a)); the convention of :mod:`spinbath.baths.phonons` and of the rates):

    V^a = dH_s/dQ_a = sum_{k,q} (dB_k^q/dQ_a) O_k^q  +  mu_B B . (dg/dQ_a) . J ,

with B_k^q Stevens parameters (cm^-1, the Conventions page (docs/conventions.md)), O_k^q the extended Stevens operators of the J
multiplet in the |J, M> basis (M descending), mu_B = 0.46686 cm^-1/T and B the applied field (T).
Derivatives per unit q = (a + a^+)/sqrt(2) must be divided by sqrt(2) first.
The result is a (n_modes, d, d) Hermitian array in cm^-1 per unit Q, in the same basis as
:meth:`spinbath.spins.SpinHamiltonian.matrix`.

File format of a bath given by crystal-field derivatives (NumPy .npz, no pickles):

    schema          str (0-d)            "spinbath.CFDerivativeBath/1"
    J               float (0-d)          total angular momentum of the multiplet
    energies_cm     float64 (n,)         mode energies, cm^-1, > 0
    kq              int (n_keys, 2)      the (k, q) of each column of dB_cm (Stevens convention)
    dB_cm           float64 (n, n_keys)  dB_k^q/dQ_a, cm^-1 per unit Q
    dg              float64 (n, 3, 3)    optional, dg/dQ_a per unit Q (used with the applied field)
    linewidths_cm   float64 (n,)         optional, per-mode linewidths, cm^-1
    source          str (0-d)            optional free text
"""

from __future__ import annotations

from collections.abc import Sequence

import os

import numpy as np

from ..spins.operators import check_spin, spin_matrices
from ..spins.stevens import check_kq, stevens
from ..units import MUB_CM

__all__ = ["couplings_from_cf_derivatives", "CF_SCHEMA", "save_cf_derivative_npz",
           "load_cf_derivative_npz"]

CF_SCHEMA = "spinbath.CFDerivativeBath/1"


def couplings_from_cf_derivatives(
    J: float,
    dB: np.ndarray,
    keys: Sequence[tuple[int, int]],
    dg: np.ndarray | None = None,
    field_T: Sequence[float] = (0.0, 0.0, 0.0),
) -> np.ndarray:
    """V^a = sum_j dB[a, j] O_{keys[j]} (+ mu_B B.dg[a].J), cm^-1 per unit Q = a + a^+.

    Parameters
    ----------
    J : total angular momentum of the multiplet (multiple of 1/2).
    dB : (n_modes, n_keys) real derivatives dB_k^q/dQ_a, cm^-1.
    keys : the (k, q) of each column of ``dB`` (Stevens convention).
    dg : optional (n_modes, 3, 3) real derivatives of the g tensor (dimensionless, per unit Q).
    field_T : applied field (T), needed only for the ``dg`` term.

    Returns
    -------
    (n_modes, d, d) complex Hermitian array, d = 2J + 1.
    """
    Jf = check_spin(J)
    dB = np.asarray(dB)
    if dB.ndim != 2:
        raise ValueError(f"dB must have shape (n_modes, n_keys), got {dB.shape}")
    if not np.isrealobj(dB) or not np.all(np.isfinite(dB)):
        raise ValueError("dB must be real and finite (cm^-1 per unit Q)")
    keys = [check_kq(*k) for k in keys]
    if len(keys) != dB.shape[1]:
        raise ValueError(f"dB has {dB.shape[1]} columns but {len(keys)} (k, q) keys were given")
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate (k, q) keys in crystal-field derivatives")
    d = int(round(2 * Jf)) + 1
    if keys:
        O = np.stack([stevens(Jf, k, q) for k, q in keys])  # (n_keys, d, d)
        V = np.tensordot(dB.astype(float), O, axes=(1, 0))
    else:
        V = np.zeros((dB.shape[0], d, d), dtype=complex)
    if dg is not None:
        dg = np.asarray(dg)
        if dg.shape != (dB.shape[0], 3, 3):
            raise ValueError(f"dg must have shape ({dB.shape[0]}, 3, 3), got {dg.shape}")
        if not np.isrealobj(dg) or not np.all(np.isfinite(dg)):
            raise ValueError("dg must be real and finite")
        b = np.asarray(field_T, dtype=float)
        if b.shape != (3,) or not np.all(np.isfinite(b)):
            raise ValueError(f"field_T must be a finite 3-vector in T, got {field_T!r}")
        Jxyz = np.stack(spin_matrices(Jf))  # (3, d, d)
        V = V + MUB_CM * np.einsum("i,aij,jkl->akl", b, dg, Jxyz)
    return np.asarray(V, dtype=complex)


def save_cf_derivative_npz(path: str | os.PathLike, J: float, energies_cm, keys, dB_cm, dg=None,
                           linewidths_cm=None, source: str = "") -> None:
    """Write a crystal-field-derivative bath (schema in the module docstring)."""
    data = dict(schema=np.array(CF_SCHEMA), J=np.array(float(J)), energies_cm=np.asarray(energies_cm, float),
                kq=np.asarray(keys, dtype=int).reshape(-1, 2), dB_cm=np.asarray(dB_cm, float),
                source=np.array(source))
    if dg is not None:
        data["dg"] = np.asarray(dg, float)
    if linewidths_cm is not None:
        data["linewidths_cm"] = np.asarray(linewidths_cm, float)
    np.savez(path, **data)


def load_cf_derivative_npz(path: str | os.PathLike, J: float | None = None,
                           field_T: Sequence[float] = (0.0, 0.0, 0.0)):
    """Read a crystal-field-derivative bath and return a :class:`~spinbath.baths.phonons.PhononBath` with V^a (cm^-1).

    ``J``, if given, must match the file's J. ``field_T`` (T) enters only through ``dg``.
    """
    from .phonons import PhononBath

    name = os.fspath(path)
    with np.load(path, allow_pickle=False) as f:
        keys = set(f.files)
        missing = {"J", "energies_cm", "kq", "dB_cm"} - keys
        if missing:
            raise ValueError(f"{name!r} is not a {CF_SCHEMA} file: missing {sorted(missing)}")
        schema = str(f["schema"]) if "schema" in keys else CF_SCHEMA
        if schema != CF_SCHEMA:
            raise ValueError(f"{name!r} has schema {schema!r}, expected {CF_SCHEMA!r}")
        J_file = float(f["J"])
        if J is not None and abs(J_file - float(J)) > 1e-9:
            raise ValueError(f"{name!r} holds couplings for J = {J_file:g}, but the spin has J = {float(J):g}")
        kq = np.asarray(f["kq"])
        if kq.ndim != 2 or kq.shape[1] != 2:
            raise ValueError(f"{name!r}: kq must have shape (n_keys, 2), got {kq.shape}")
        V = couplings_from_cf_derivatives(J_file, f["dB_cm"], [tuple(int(x) for x in r) for r in kq],
                                          f["dg"] if "dg" in keys else None, field_T)
        return PhononBath(f["energies_cm"], V, f["linewidths_cm"] if "linewidths_cm" in keys else None,
                          source=str(f["source"]) if "source" in keys else "")
