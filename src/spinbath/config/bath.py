"""The [bath] section of spin-phonon configs: where the phonon modes and their couplings come from.

Exactly one source:
    model = "dycp-model"               a seeded model bath shipped with spinbath (optional seed, scale,
                                       rolloff = "300 cm^-1": the soft-mode roll-off of its couplings)
    file = "bath.npz"                  a PhononBath (V^a) or a CFDerivativeBath (dB_k^q/dQ) .npz file
    phonopy = "phonopy_params.yaml"    phonopy force constants + cf_displacements = "cf.npz"
                                       (crystal-field parameters at displaced geometries); Gamma
                                       modes, or with mesh = [n1, n2, n3] the modes of a q-mesh
                                       (spinbath.baths.phonopy_qmesh); min_energy = "5 cm^-1" (the
                                       default): modes with |hbar w| below it are dropped and an
                                       imaginary one at or below -min_energy is an error (the three
                                       acoustic modes at Gamma are always dropped)
    [[bath.modes]]                     inline modes: energy, dB2/dB4/dB6 tables, optional dg, linewidth

Relative paths are resolved against the folder of the config file (or of the results file for
``spinbath rerun``) and must exist when the config is read.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import numpy as np
from pydantic import Field, ValidationInfo, field_validator, model_validator

from .base import EnergyCm, StrictModel
from .spin import check_rank_tables

__all__ = ["InlineModeConfig", "PhononBathConfig", "resolve_input_path"]

_DB_RANKS = (2, 4, 6, 8, 10, 12)


def resolve_input_path(value: str, info: ValidationInfo) -> str:
    """Absolute path of an input file, relative paths taken from the config's folder; must exist."""
    base = (info.context or {}).get("base_dir") if info is not None else None
    p = Path(value).expanduser()
    if not p.is_absolute():
        p = Path(base or ".") / p
    if not p.is_file():
        raise ValueError(f"file {value!r} not found (looked for {str(p)!r})")
    return str(p.resolve())


@contextmanager
def _reading(key: str, path: str):
    """Turn any failure to read or interpret an input file into one ValueError naming the key."""
    try:
        yield
    except Exception as err:  # noqa: BLE001 - numpy, zipfile, yaml and phonopy raise many kinds
        if isinstance(err, ImportError):
            raise
        msg = str(err).splitlines()[0] if str(err) else type(err).__name__
        if "pickled" in msg:
            msg = "not a NumPy .npz archive of plain arrays"
        raise ValueError(f"{key}: cannot use {path!r}: {msg}") from None


class InlineModeConfig(StrictModel):
    """One phonon mode written in the config: energy (cm^-1) and dB_k^q/dQ (cm^-1 per unit Q = a + a^+) as rank tables.

    Example: ``{energy = "180 cm^-1", dB2 = {"0" = 0.8, "2" = -0.1}, dB4 = {"0" = 2e-4}}``.
    ``dg``: optional 3x3 derivative of the g tensor per unit Q = a + a^+; ``linewidth``: optional, cm^-1.
    """

    energy: EnergyCm = Field(gt=0)
    linewidth: EnergyCm | None = Field(default=None, gt=0)
    dB2: dict[str, float] = {}
    dB4: dict[str, float] = {}
    dB6: dict[str, float] = {}
    dB8: dict[str, float] = {}
    dB10: dict[str, float] = {}
    dB12: dict[str, float] = {}
    dg: list[list[float]] | None = None

    @model_validator(mode="after")
    def _check(self):
        check_rank_tables(self, "dB", _DB_RANKS)
        if self.dg is not None:
            g = np.asarray(self.dg, dtype=float)
            if g.shape != (3, 3) or not np.all(np.isfinite(g)):
                raise ValueError("dg must be a finite 3x3 matrix")
        return self

    def derivatives(self) -> dict[tuple[int, int], float]:
        return {(k, int(q)): v for k in _DB_RANKS for q, v in getattr(self, f"dB{k}").items()}


class PhononBathConfig(StrictModel):
    """Source of the phonon modes and couplings (module docstring)."""

    model: str | None = None
    seed: int | None = None
    scale: float | None = Field(default=None, gt=0, description="coupling scale of a model bath")
    rolloff: EnergyCm | None = Field(default=None, description="model bath: soft-mode roll-off w_r (cm^-1) "
                                     "of the couplings, w / sqrt(w^2 + w_r^2)")
    file: str | None = None
    phonopy: str | None = None
    cf_displacements: str | None = None
    mesh: list[int] | None = Field(default=None, description="q-mesh n1 x n2 x n3 of the phonopy route")
    min_energy: EnergyCm | None = Field(default=None, description="phonopy route: modes with |hbar w| "
                                        "below this (cm^-1, default 5) are dropped, imaginary ones at or "
                                        "below -min_energy are an error")
    modes: list[InlineModeConfig] | None = None

    @field_validator("model")
    @classmethod
    def _model(cls, v):
        if v is None:
            return v
        from ..baths.model_baths import MODEL_BATHS

        if v not in MODEL_BATHS:
            raise ValueError(f"unknown model bath {v!r}; one of: {', '.join(sorted(MODEL_BATHS))}")
        return v

    @field_validator("file", "phonopy", "cf_displacements")
    @classmethod
    def _paths(cls, v, info: ValidationInfo):
        return None if v is None else resolve_input_path(v, info)

    @field_validator("mesh", mode="before")
    @classmethod
    def _mesh(cls, v):
        if v is None:
            return v
        if not isinstance(v, (list, tuple)) or len(v) != 3 or not all(
                isinstance(x, int) and not isinstance(x, bool) and x >= 1 for x in v):
            raise ValueError(f"mesh must be three positive integers [n1, n2, n3], got {v!r}")
        return list(v)

    @field_validator("min_energy")
    @classmethod
    def _min_energy(cls, v):
        if v is not None and not (np.isfinite(v) and v > 0):
            raise ValueError(f"min_energy must be a finite energy > 0 (cm^-1), got {v!r}: at 0 the round-off "
                             "of the acoustic modes (+-1e-6 cm^-1) would count as imaginary frequencies")
        return v

    @field_validator("rolloff")
    @classmethod
    def _rolloff(cls, v):
        if v is not None and not (np.isfinite(v) and v > 0):
            raise ValueError(f"rolloff must be a finite energy > 0 (cm^-1), got {v!r}")
        return v

    @model_validator(mode="after")
    def _one_source(self):
        given = [k for k in ("model", "file", "phonopy", "modes") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one bath source: model, file, phonopy or [[bath.modes]]"
                             + (f" (got {', '.join(given)})" if given else ""))
        if (self.seed is not None or self.scale is not None or self.rolloff is not None) and self.model is None:
            raise ValueError("seed, scale and rolloff apply only to a model bath (model = ...)")
        if (self.phonopy is None) != (self.cf_displacements is None):
            raise ValueError("phonopy and cf_displacements go together (modes + crystal field at displaced geometries)")
        if self.mesh is not None and self.phonopy is None:
            raise ValueError("mesh applies only to the phonopy route (phonopy = ..., cf_displacements = ...)")
        if self.min_energy is not None and self.phonopy is None:
            raise ValueError("min_energy applies only to the phonopy route (phonopy = ..., cf_displacements = ...)")
        if self.modes is not None and not self.modes:
            raise ValueError("[[bath.modes]] is empty")
        return self

    def build(self, J: float, field_T=(0.0, 0.0, 0.0)):
        """The :class:`~spinbath.baths.phonons.PhononBath` (couplings in the |J, M> basis, cm^-1)."""
        from ..baths.cf_couplings import CF_SCHEMA, couplings_from_cf_derivatives, load_cf_derivative_npz
        from ..baths.phonons import PhononBath

        if self.model is not None:
            from ..baths.model_baths import MODEL_BATHS

            kw = {k: getattr(self, k) for k in ("seed", "scale") if getattr(self, k) is not None}
            if self.rolloff is not None:
                kw["rolloff_cm"] = self.rolloff
            bath = MODEL_BATHS[self.model](**kw)
            if bath.dim != int(round(2 * J)) + 1:
                raise ValueError(f"bath.model {self.model!r} is built for dimension {bath.dim}, "
                                 f"but the spin has J = {J:g}")
            return bath
        if self.file is not None:
            with _reading("bath.file", self.file):
                with np.load(self.file, allow_pickle=False) as f:
                    schema = str(f["schema"]) if "schema" in f.files else ""
                if schema == CF_SCHEMA:
                    return load_cf_derivative_npz(self.file, J=J, field_T=field_T)
                bath = PhononBath.load_npz(self.file)
            if bath.dim != int(round(2 * J)) + 1:
                raise ValueError(f"bath.file: couplings are {bath.dim}x{bath.dim}, "
                                 f"but the spin has 2J+1 = {int(round(2 * J)) + 1}")
            return bath
        if self.phonopy is not None:
            from ..baths.phonopy_route import bath_from_phonopy, load_cf_displacements

            with _reading("bath.cf_displacements", self.cf_displacements):
                cf = load_cf_displacements(self.cf_displacements)
            if abs(float(cf.J) - J) > 1e-9:
                raise ValueError(f"bath.cf_displacements holds crystal fields for J = {float(cf.J):g}, "
                                 f"but the spin has J = {J:g}")
            kw = {} if self.min_energy is None else {"min_energy_cm": self.min_energy}
            if self.mesh is not None:
                from ..baths.phonopy_qmesh import bath_from_phonopy_mesh

                with _reading("bath.phonopy", self.phonopy):
                    return bath_from_phonopy_mesh(self.phonopy, cf, self.mesh, field_T=field_T, **kw)
            with _reading("bath.phonopy", self.phonopy):
                return bath_from_phonopy(self.phonopy, cf, field_T=field_T, **kw)
        keys = sorted({kq for m in self.modes for kq in m.derivatives()})
        dB = np.array([[m.derivatives().get(kq, 0.0) for kq in keys] for m in self.modes]).reshape(len(self.modes), len(keys))
        dg = None
        if any(m.dg is not None for m in self.modes):
            dg = np.array([np.zeros((3, 3)) if m.dg is None else np.asarray(m.dg, float) for m in self.modes])
        V = couplings_from_cf_derivatives(J, dB, keys, dg, field_T)
        lw = [m.linewidth for m in self.modes]
        if any(x is not None for x in lw) and not all(x is not None for x in lw):
            raise ValueError("bath.modes: give a linewidth for every mode or for none")
        return PhononBath([m.energy for m in self.modes], V,
                          None if lw[0] is None else np.asarray(lw, float), source="inline modes in the config")
