"""Config of the ``relaxation-laws`` study: spin S with D, E (+ any crystal field), field, spectral bath.

    study = "relaxation-laws"
    temperatures = {start = "2 K", stop = "40 K", num = 60, spacing = "inverse"}

    [spin]                      # SpinConfig (J, g, crystal_field, extra) plus D and E:
    J = 2                       #   H = D Sz^2 + E (Sx^2 - Sy^2) + sum B_k^q O_k^q + mu_B B.g.S
    D = "-26 cm^-1"             #   (D < 0: easy axis, ground M = +-J; the issue writes -D Sz^2)
    E = "0.2 cm^-1"

    [field]                     # StaticFieldConfig: direction and value (T)

    [[bath.modes]]              # a broadened vibrational mode (damped oscillator)
    energy = "20.1 cm^-1"       #   peak w_a
    width = "2 cm^-1"           #   half width Gamma
    dB2 = {"1" = 0.3}           #   V = dH/dq = sum dB_k^q O_k^q (cm^-1 per unit q = b + b^+)
    operators = {"SxSz" = 0.1}  #   ... + named operators (products of Sx, Sy, Sz; "1")
    name = "m1"                 #   optional (default mode0, mode1, ...)

    [bath.debye]                # acoustic continuum: Debye energy and uncorrelated branches
    energy = "30 cm^-1"
    branches = [{dB2 = {"2" = 0.01}}, {dB2 = {"-2" = 0.01}}]    # channels debye0, debye1, ...

    [[bath.quadratic]]          # W = d^2 H / dq_a dq_b between two channels (by name)
    channels = ["mode0", "mode0"]
    dB2 = {"2" = 0.05}

    # or: [bath] file = "bath.toml" holding the same [[modes]], [debye], [[quadratic]] tables

    [method]                    # relaxation_model, eta, two-phonon pairs, accuracy

Coupling coefficients are plain numbers in cm^-1 (per unit q, or q^2 for quadratic couplings).
"""

from __future__ import annotations

import tomllib
from typing import Literal

import numpy as np
from pydantic import Field, ValidationInfo, field_validator, model_validator

from .base import EnergyCm, FieldT, StrictModel
from .bath import resolve_input_path
from .grids import TemperatureSpec, temperature_values
from .spin import SpinConfig, StaticFieldConfig, check_rank_tables

__all__ = [
    "OperatorTerms", "ModeConfig", "DebyeBranchConfig", "DebyeConfig", "QuadraticConfig",
    "SpectralBathConfig", "RelaxationSpinConfig", "RelaxationMethodConfig", "RelaxationLawsConfig",
]

_RANKS = (2, 4, 6)


class OperatorTerms(StrictModel):
    """A spin operator as Stevens tables dB2/dB4/dB6 {"q" = coefficient} plus named operators."""

    dB2: dict[str, float] = {}
    dB4: dict[str, float] = {}
    dB6: dict[str, float] = {}
    operators: dict[str, float] = {}

    @model_validator(mode="after")
    def _check_terms(self):
        check_rank_tables(self, "dB", _RANKS)
        from ..baths.spectral import named_operator

        for name, c in self.operators.items():
            named_operator(1, name)  # the grammar does not depend on J; raises on unknown names
            if not np.isfinite(c):
                raise ValueError(f"operators[{name!r}] = {c} is not finite")
        return self

    def stevens_terms(self) -> dict[tuple[int, int], float]:
        return {(k, int(q)): v for k in _RANKS for q, v in getattr(self, f"dB{k}").items()}

    def spec(self) -> dict:
        return {"stevens": self.stevens_terms(), "named": dict(self.operators)}


class ModeConfig(OperatorTerms):
    """One broadened vibrational mode: peak energy, half width (cm^-1), coupling operator."""

    name: str | None = None
    energy: EnergyCm = Field(gt=0)
    width: EnergyCm = Field(gt=0)


class DebyeBranchConfig(OperatorTerms):
    """One acoustic branch: its coupling operator (the Debye energy is the continuum's)."""

    name: str | None = None


class DebyeConfig(StrictModel):
    """Debye acoustic continuum: Debye energy (cm^-1) and at least one branch."""

    energy: EnergyCm = Field(gt=0)
    branches: list[DebyeBranchConfig] = Field(min_length=1)


class QuadraticConfig(OperatorTerms):
    """W = d^2 H / dq_a dq_b for the two named channels (the same name twice: d^2 H / dq_a^2)."""

    channels: list[str] = Field(min_length=2, max_length=2)


class SpectralBathConfig(StrictModel):
    """[bath]: broadened modes, a Debye continuum and quadratic couplings (module docstring).

    ``file = "bath.toml"`` reads the same tables (``[[modes]]``, ``[debye]``, ``[[quadratic]]``,
    at the top level of that file) instead of inline ones; a relative path is taken from the
    config's folder.
    """

    file: str | None = None
    modes: list[ModeConfig] = []
    debye: DebyeConfig | None = None
    quadratic: list[QuadraticConfig] = []

    @model_validator(mode="before")
    @classmethod
    def _read_file(cls, data, info: ValidationInfo):
        if not isinstance(data, dict) or data.get("file") is None:
            return data
        others = sorted(k for k in data if k != "file")
        if others:
            raise ValueError(f"give the bath either inline or as a file, not both (inline keys: {', '.join(others)})")
        path = resolve_input_path(str(data["file"]), info)
        try:
            with open(path, "rb") as fh:
                tables = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as err:
            raise ValueError(f"cannot read bath file {data['file']!r}: {err}") from None
        if not isinstance(tables, dict):
            raise ValueError(f"bath file {data['file']!r} must hold [[modes]], [debye], [[quadratic]] tables")
        return {**tables, "file": path}

    def channel_names(self) -> list[str]:
        names = [m.name or f"mode{i}" for i, m in enumerate(self.modes)]
        if self.debye is not None:
            names += [b.name or f"debye{i}" for i, b in enumerate(self.debye.branches)]
        return names

    @model_validator(mode="after")
    def _check(self):
        names = self.channel_names()
        if not names:
            raise ValueError("the bath needs at least one [[bath.modes]] entry or a [bath.debye] continuum")
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"channel names must be unique; repeated: {dup}")
        seen = set()
        for q in self.quadratic:
            for n in q.channels:
                if n not in names:
                    raise ValueError(f"quadratic.channels: unknown channel {n!r}; channels: {', '.join(names)}")
            key = tuple(sorted(q.channels))
            if key in seen:
                raise ValueError(f"quadratic coupling between {key[0]!r} and {key[1]!r} given twice")
            seen.add(key)
        return self

    def build(self, J: float):
        """The :class:`~spinbath.baths.spectral.SpectralBath` (operators in the |J, M> basis)."""
        from ..baths.spectral import bath_from_spec

        names = self.channel_names()
        modes = [dict(m.spec(), energy=m.energy, width=m.width, name=names[i]) for i, m in enumerate(self.modes)]
        debye = None
        if self.debye is not None:
            off = len(self.modes)
            debye = {"energy": self.debye.energy,
                     "branches": [dict(b.spec(), name=names[off + i]) for i, b in enumerate(self.debye.branches)]}
        quad = [dict(q.spec(), channels=tuple(q.channels)) for q in self.quadratic]
        return bath_from_spec(J, modes, debye, quad)


class RelaxationSpinConfig(SpinConfig):
    """SpinConfig plus the axial and rhombic terms H += D Sz^2 + E (Sx^2 - Sy^2) (cm^-1).

    Sign convention: D < 0 is easy axis (ground M = +-J); for S = 2, D = -26 cm^-1 puts +-1 at
    3|D| = 78 cm^-1. (Papers that write -D Sz^2 quote a positive D for the same easy axis.)
    E (Sx^2 - Sy^2) = E O_2^2.
    """

    D: EnergyCm = 0.0
    E: EnergyCm = 0.0

    def hamiltonian(self):
        from ..spins.operators import spin_matrices
        from ..spins.stevens import stevens

        h = super().hamiltonian()
        if self.D or self.E:
            Sz = spin_matrices(self.J)[2]
            h = h.with_extra(self.D * (Sz @ Sz) + self.E * stevens(self.J, 2, 2))
        return h


class RelaxationMethodConfig(StrictModel):
    """[method]: relaxation model(s), intermediate-state width, two-phonon pairs, accuracy.

    relaxation_model: "two-state", "multi-level" or "both" (default). eta: width of intermediate
    states in the two-phonon energy denominators (cm^-1); the resonant part it broadens counts in
    the two-state model only (the multi-level model has real steps as one-phonon rates). doublet_ratio: quasi-doublet
    criterion. two_phonon_max_gap: two-phonon rates for every pair split by less than this
    (default: the pairs inside each quasi-doublet). epsrel: relative accuracy of every two-phonon
    rate. probe_field: at zero field, a vanishing field along [field].direction picks the basis of
    degenerate doublets (states of definite moment).
    """

    relaxation_model: Literal["two-state", "multi-level", "both"] = "both"
    eta: EnergyCm = Field(default=1.0, gt=0)
    doublet_ratio: float = Field(default=0.2, gt=0, lt=1)
    two_phonon_max_gap: EnergyCm | None = Field(default=None, gt=0)
    epsrel: float = Field(default=1e-6, gt=0, lt=0.1)
    probe_field: FieldT = Field(default=1e-7, gt=0)

    def models(self) -> list[str]:
        return ["two-state", "multi-level"] if self.relaxation_model == "both" else [self.relaxation_model]


class RelaxationLawsConfig(StrictModel):
    """``study = "relaxation-laws"``: [spin], [field], [bath], [method] and the temperatures."""

    study: Literal["relaxation-laws"]
    title: str = "Relaxation laws"
    spin: RelaxationSpinConfig
    field: StaticFieldConfig = StaticFieldConfig()
    bath: SpectralBathConfig
    method: RelaxationMethodConfig = RelaxationMethodConfig()
    temperatures: TemperatureSpec

    @field_validator("temperatures")
    @classmethod
    def _temps(cls, v):
        temperature_values(v)
        return v
