"""AC susceptibility data: columns found in a file, rows grouped into isothermal frequency sweeps.

chi = chi' - i chi'' (chi'' > 0) per sweep, in the unit of the file (emu/Oe) or molar (cm^3/mol =
emu Oe^-1 mol^-1) when the sample mass and molar mass are known:

    chi_molar = chi (emu/Oe) * M (g/mol) / m (g) - chi_dia,

with ``diamagnetic`` = chi_dia in cm^3/mol (sample, eicosane and holder together; usually negative,
e.g. -0.5 M 1e-6 cm^3/mol by Pascal's rule of thumb) subtracted from chi' only. Mass and molar mass
come from the arguments or else from the MPMS3 header (SAMPLE_MASS in mg, SAMPLE_MOLECULAR_WEIGHT).

Grouping: consecutive rows belong to one sweep while their temperature stays within ``tolerance``
(K) of the sweep's running mean, so thermometer jitter does not split a sweep and a temperature met
again later in the file starts a new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from ..runs import consecutive_runs
from .readers import Table, find_column, read_table, unit_of

__all__ = ["ACSweep", "ACData", "read_ac", "group_by_temperature"]


@dataclass
class ACSweep:
    """One isothermal frequency sweep: temperature (K, mean), field (Oe, mean), frequency (Hz),
    chi_p = chi', chi_pp = chi'' (unit ``units``), their standard errors (or None), the rows."""

    temperature: float
    field: float
    frequency: np.ndarray
    chi_p: np.ndarray
    chi_pp: np.ndarray
    err_p: np.ndarray | None
    err_pp: np.ndarray | None
    units: str
    source: str
    rows: np.ndarray

    @property
    def size(self) -> int:
        return self.frequency.size


@dataclass
class ACData:
    """The sweeps of one or more files, in file order."""

    sweeps: list[ACSweep]
    units: str
    sources: list[str]


def group_by_temperature(T: np.ndarray, tolerance: float = 0.1) -> list[np.ndarray]:
    """Indices of consecutive runs of rows whose T stays within ``tolerance`` (K) of the run's mean."""
    return consecutive_runs(T, tolerance)


def _columns(table: Table):
    T = find_column(table, r"temperature", r"temp", r"t \(k\)", r"t \[k\]", r"t", what="temperature")
    f = find_column(table, r"ac frequency", r"wave frequency", r"frequency", r"f", r"freq", r"nu",
                    what="AC frequency")
    H = find_column(table, r"magnetic field", r"field", r"h", r"b", required=False)
    chi_p = find_column(table, r"ac x'", r"chi'", r"x'", r"m'", r"chi_p", r"chi1", what="AC in-phase (X' or chi')")
    chi_pp = find_column(table, r'ac x\'\'', r"chi''", r"x''", r'm"', r"m''", r"chi_pp", r"chi2",
                         what="AC out-of-phase (X'' or chi'')")
    e_p = find_column(table, r"ac x' std err\.?", r"chi'_err", r"chi' err", r"err'", required=False)
    e_pp = find_column(table, r"ac x'' std err\.?", r"chi''_err", r"chi'' err", r"err''", required=False)
    drive = find_column(table, r"drive amplitude", r"ac drive", required=False)
    return T, f, H, chi_p, chi_pp, e_p, e_pp, drive


def read_ac(path: str | Path, *, mass_mg: float | None = None, molar_mass: float | None = None,
            diamagnetic: float = 0.0, temperature_tolerance: float = 0.1) -> ACData:
    """Read an AC susceptibility file (:mod:`spinbath.experiment.readers` formats) into sweeps.

    ``mass_mg`` (mg) and ``molar_mass`` (g/mol) make chi molar (cm^3/mol); ``diamagnetic``
    (cm^3/mol) is subtracted from chi' of a molar chi; ``temperature_tolerance`` (K) groups rows
    (module docstring). Rows with a missing frequency, chi' or chi'' are skipped (the instruments
    write separate rows for other measurements); a file with none left is an error.
    """
    table = read_table(path)
    T, f, H, cp, cpp, ep, epp, drive = _columns(table)
    c = table.columns
    freq, Tv = c[f], c[T]
    chi_p, chi_pp = c[cp].copy(), c[cpp].copy()
    err_p = c[ep].copy() if ep else None
    err_pp = c[epp].copy() if epp else None
    units = unit_of(cp) or "emu/Oe"
    if table.kind == "mpms-xl" or (cp.lower().startswith("m'") and drive):
        if drive is None:
            raise ConfigError(f"{table.path}: m' and m\" need the 'Drive Amplitude (Oe)' column to give chi = m / drive")
        d = c[drive]
        chi_p, chi_pp = chi_p / d, chi_pp / d
        err_p = None if err_p is None else err_p / d
        err_pp = None if err_pp is None else err_pp / d
        units = "emu/Oe"
    field = c[H] if H else np.zeros_like(freq)
    ok = np.isfinite(freq) & np.isfinite(chi_p) & np.isfinite(chi_pp) & np.isfinite(Tv) & (freq > 0)
    if not ok.any():
        raise ConfigError(f"{table.path}: no row with a temperature, a frequency, chi' and chi''")
    mass = mass_mg if mass_mg is not None else _info_float(table, "SAMPLE_MASS")
    mw = molar_mass if molar_mass is not None else _info_float(table, "SAMPLE_MOLECULAR_WEIGHT")
    if mass and mw and units == "emu/Oe":
        scale = mw / (mass * 1e-3)
        chi_p, chi_pp = chi_p * scale - diamagnetic, chi_pp * scale
        err_p = None if err_p is None else err_p * scale
        err_pp = None if err_pp is None else err_pp * scale
        units = "cm^3/mol"
    idx = np.flatnonzero(ok)
    sweeps = []
    for g in group_by_temperature(Tv[idx], temperature_tolerance):
        rows = idx[g]
        order = np.argsort(freq[rows], kind="stable")
        rows = rows[order]
        sweeps.append(ACSweep(float(np.mean(Tv[rows])), float(np.nanmean(field[rows])) if H else 0.0,
                              freq[rows], chi_p[rows], chi_pp[rows],
                              None if err_p is None else err_p[rows], None if err_pp is None else err_pp[rows],
                              units, str(table.path), rows))
    return ACData(sweeps, units, [str(table.path)])


def _info_float(table: Table, key: str) -> float | None:
    try:
        v = float(table.info.get(key, ""))
    except ValueError:
        return None
    return v if v > 0 else None
