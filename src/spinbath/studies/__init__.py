"""Studies: a config schema, a run that returns an xarray.Dataset, and a figure drawn from it.

Each study module defines a :class:`Study` and is listed in ``_MODULES``; the registry imports
them lazily so that ``spinbath --version`` stays fast.

The config model of each study (the pydantic model of its whole TOML file) is importable from here,
constructible with keyword arguments (nested sections as dicts or models, quantities as numbers in
the working unit or unit strings) and runnable with :func:`spinbath.run`::

    from spinbath.studies import SpectrumConfig
    cfg = SpectrumConfig(study="spectrum", spin={"J": "15/2", "g": 4 / 3, "crystal_field": {"dataset": "dycp"}},
                         field={"start": "0 T", "stop": "5 T", "num": 51})

Each name is the study's own ``Study.config_model`` (an alias, not a copy), imported on first use.
None of these names is the name of a submodule, so no module can shadow them.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

#: Public name of each study's config model -> the study.
_CONFIG_MODELS = {
    "SpectrumConfig": "spectrum",
    "SpinPhononConfig": "spin-phonon",
    "OpenChainConfig": "open-chain",
    "JunctionCouplingsConfig": "junction-couplings",
    "DimerLLGConfig": "dimer-llg",
    "RelaxationLawsConfig": "relaxation-laws",
    "HysteresisConfig": "hysteresis",
}

__all__ = ["Study", "get_study", "study_names", "tau_range_row", *_CONFIG_MODELS]

_MODULES = {
    "spectrum": "spinbath.studies.spectrum",
    "spin-phonon": "spinbath.studies.spin_phonon",
    "open-chain": "spinbath.studies.open_chain",
    "junction-couplings": "spinbath.studies.junction_couplings",
    "dimer-llg": "spinbath.studies.dimer_llg",
    "relaxation-laws": "spinbath.studies.relaxation_laws",
    "hysteresis": "spinbath.studies.hysteresis",
}


@dataclass(frozen=True)
class Study:
    """What a study provides to the CLI.

    name: the value of ``study`` in configs.
    config_model: pydantic model of the whole TOML file.
    run: config -> xarray.Dataset, every variable and coordinate with a ``units`` attribute.
    plot: (dataset, path) -> None, writes the figure (format from the suffix).
    summary: dataset -> list of (label, value) rows printed after a run.
    plot_sweep: optional (dataset of a [sweep], path) -> None; without it the generic sweep figure.
    """

    name: str
    description: str
    config_model: type
    run: Callable
    plot: Callable
    summary: Callable
    plot_sweep: Callable | None = None


def tau_range_row(label: str, T, tau) -> tuple[str, str]:
    """A summary row "tau <label> (s)": its values at the lowest and highest temperature."""
    def fmt(x: float) -> str:
        return "inf" if not math.isfinite(x) else f"{x:.3g}"

    return (f"tau {label} (s)", f"{fmt(float(tau[0]))} at {float(T[0]):g} K .. "
                                f"{fmt(float(tau[-1]))} at {float(T[-1]):g} K")


def study_names() -> list[str]:
    """Names of the registered studies (the values ``study = ...`` of a config may take), sorted."""
    return sorted(_MODULES)


@cache
def get_study(name: str) -> Study:
    """The :class:`Study` registered as ``name`` (its module is imported on first use); KeyError if unknown."""
    if name not in _MODULES:
        raise KeyError(name)
    return importlib.import_module(_MODULES[name]).STUDY


def __getattr__(name: str):
    if name in _CONFIG_MODELS:
        model = get_study(_CONFIG_MODELS[name]).config_model
        globals()[name] = model
        return model
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
