"""Magnetometer files in: Quantum Design MPMS3 and MPMS-XL ``.dat`` files and plain tables.

Formats (the readers look for the columns below by name, case-insensitively, with the unit in
parentheses or brackets; every other column is ignored):

* **MPMS3** ``.dat``: a ``[Header]`` block of ``INFO,<value>,<KEY>`` lines (``SAMPLE_MASS`` in mg,
  ``SAMPLE_MOLECULAR_WEIGHT`` in g/mol, ...), then ``[Data]``, a CSV header row and CSV rows in which
  many fields are empty (DC rows have no AC fields and the reverse). AC columns: "Temperature (K)",
  "Magnetic Field (Oe)", "AC Frequency (Hz)", "AC X' (emu/Oe)", "AC X'' (emu/Oe)", optionally
  "AC X' Std Err. (emu/Oe)" and "AC X'' Std Err. (emu/Oe)"; DC decays: "Time Stamp (sec)" and
  "Moment (emu)" (or "DC Moment Fixed Ctr (emu)", "DC Moment Free Ctr (emu)"), optionally
  "Moment Std. Err. (emu)" / "M. Std. Err. (emu)".
* **MPMS-XL** AC ``.dat``: ``[Data]`` with "Temperature (K)", "Field (Oe)", "Wave Frequency (Hz)",
  "m' (emu)", 'm" (emu)' and "Drive Amplitude (Oe)": chi = m / drive (emu/Oe).
* **Plain tables**: comma, semicolon (then a decimal comma is allowed), tab or whitespace separated,
  ``#`` comments, a header row naming the columns (``T (K)``, ``H (Oe)`` or ``B (T)``, ``f (Hz)``,
  ``chi' (emu/Oe)``, ``chi'' (emu/Oe)``, optional ``chi'_err``, ``chi''_err``; DC: ``t (s)``,
  ``M (emu)``), then numeric rows.

Text is decoded as Latin-1 (the instruments' encoding); CRLF line ends and trailing commas are fine.

Units. T in K; field converted to Oe (Oe, G, kOe, T, mT); frequency to Hz (Hz, kHz); time to s
(s, sec, min, h). chi as written: per sample (emu/Oe), per gram (emu/(g Oe) = cm^3/g) or molar
(cm^3/mol = emu/(mol Oe); the common shorthands emu/mol and emu/g are read as molar and per gram);
it is made molar when the sample mass (mg) and molar mass (g/mol) are known, from the arguments or
else from the MPMS3 header:

    chi_molar = (chi_sample - background) M / (m / 1000)  -  diamagnetic      (chi' only for the
                                                                               two corrections)

with ``background`` (emu/Oe: holder, eicosane) and ``diamagnetic`` (cm^3/mol: the sample's core
diamagnetism, usually negative, e.g. from Pascal's constants) subtracted from chi' only, since
neither has an out-of-phase part.

Rows. Rows with none of the AC fields (frequency, chi', chi'') are other measurements and are
skipped. A row with some of them but not all, with no temperature, or with a field that is not a
number is an error naming the file, the line and the column (``skip_incomplete=True`` drops such rows
instead and lists them in ``ACData.notes``). Rows are grouped into sweeps by
:func:`spinbath.experiment.group_by_temperature` and sorted by frequency inside a sweep.

Every problem raises :class:`spinbath.errors.ConfigError` with one sentence naming the file.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from .grouping import DEFAULT_FIELD_TOLERANCE, DEFAULT_TEMPERATURE_TOLERANCE, group_by_temperature

# The table layer; read_ac, read_dc and their ACSweep, ACData, DCDecay are public through
# spinbath.experiment (and documented there once).
__all__ = ["Table", "read_table", "find_column", "unit_of"]


# ----------------------------------------------------------------------------------------------------
# Text -> columns


@dataclass
class Table:
    """The columns of a file: name as written -> floats (NaN where empty or not a number), the line
    number (1-based) of each row, the header INFO (MPMS3: KEY -> value) and the format."""

    path: Path
    columns: dict[str, np.ndarray]
    lines: np.ndarray
    info: dict[str, str] = dataclass_field(default_factory=dict)
    kind: str = "plain"  # "mpms3", "mpms-xl" or "plain"

    @property
    def n_rows(self) -> int:
        return int(self.lines.size)


def _number(text: str, decimal_comma: bool = False) -> float:
    text = text.strip().strip('"')
    if not text:
        return np.nan
    if decimal_comma:
        text = text.replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return np.nan


def _is_data_row(parts: list[str], decimal_comma: bool = False) -> bool:
    """A row of numbers: at least one number, and no more text fields than numeric ones ("nan" and
    empty fields are neither)."""
    n_num = sum(not np.isnan(_number(x, decimal_comma)) for x in parts)
    n_text = sum(bool(x.strip()) and x.strip().lower() != "nan" and np.isnan(_number(x, decimal_comma)) for x in parts)
    return n_num >= 1 and n_num >= n_text


def _read_lines(path: Path) -> list[str]:
    if not path.is_file():
        raise ConfigError(f"{path}: file not found")
    text = path.read_bytes().decode("latin-1")
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _columns_from_rows(header: list[str], rows: list[list[str]], decimal_comma: bool = False) -> dict[str, np.ndarray]:
    while header and not header[-1].strip():
        header.pop()  # trailing delimiter
    cols: dict[str, np.ndarray] = {}
    for k, name in enumerate(header):
        name = name.strip().strip('"').strip()
        if not name or name in cols:
            continue
        cols[name] = np.array([_number(r[k], decimal_comma) if k < len(r) else np.nan for r in rows], float)
    return cols


def _qd_table(path: Path, lines: list[str]) -> Table:
    start = next(i for i, ln in enumerate(lines) if ln.strip().lower() == "[data]")
    info: dict[str, str] = {}
    for ln in lines[:start]:
        parts = [p.strip() for p in next(csv.reader([ln]), [])]
        if len(parts) >= 3 and parts[0].upper() == "INFO":
            info[parts[2].upper()] = parts[1]
    body = [(i + 1, ln) for i, ln in enumerate(lines[start + 1:], start=start + 1) if ln.strip(" ,\t")]
    if len(body) < 2:
        raise ConfigError(f"{path}: the [Data] section is empty")
    header = next(csv.reader([body[0][1]]))
    rows = [next(csv.reader([ln])) for _, ln in body[1:]]
    cols = _columns_from_rows(header, rows)
    kind = "mpms-xl" if any(h.strip().lower().startswith("wave frequency") for h in header) else "mpms3"
    return Table(path, cols, np.array([n for n, _ in body[1:]]), info, kind)


def _split_plain(line: str, delim: str | None) -> list[str]:
    if delim:
        return [p.strip() for p in line.split(delim)]
    # whitespace: a unit in parentheses or brackets joins the name before it ("T (K)", "chi' [cm^3 mol^-1]")
    out: list[str] = []
    depth = 0
    for tok in line.split():
        if out and (depth > 0 or tok[0] in "(["):
            out[-1] += " " + tok
        else:
            out.append(tok)
        depth += tok.count("(") + tok.count("[") - tok.count(")") - tok.count("]")
        depth = max(depth, 0)
    return out


def _plain_table(path: Path, lines: list[str]) -> Table:
    content = [(i + 1, ln) for i, ln in enumerate(lines) if ln.strip() and not ln.lstrip().startswith(("#", "%"))]
    if not content:
        raise ConfigError(f"{path}: the file has no rows")
    first = content[0][1]
    delim = "," if "," in first else ";" if ";" in first else "\t" if "\t" in first else None
    decimal_comma = delim == ";"
    split = [(n, _split_plain(ln, delim)) for n, ln in content]
    numeric = [_is_data_row(parts, decimal_comma) for _, parts in split]
    try:
        k = numeric.index(True)
    except ValueError:
        raise ConfigError(f"{path}: no numeric rows under the header") from None
    if k == 0:
        raise ConfigError(f"{path}: no header row naming the columns (e.g. \"T (K), f (Hz), chi' (emu/Oe), "
                          "chi'' (emu/Oe)\")")
    header = split[k - 1][1]
    data = split[k:]
    cols = _columns_from_rows(header, [parts for _, parts in data], decimal_comma)
    return Table(path, cols, np.array([n for n, _ in data]), {}, "plain")


def read_table(path: str | Path) -> Table:
    """Read a magnetometer file or a plain table into columns (formats in the module docstring)."""
    p = Path(path)
    lines = _read_lines(p)
    if any(ln.strip().lower() == "[data]" for ln in lines):
        return _qd_table(p, lines)
    return _plain_table(p, lines)


# ----------------------------------------------------------------------------------------------------
# Columns by name and unit


def _normalize(name: str) -> str:
    return re.sub(r"\s+", " ", name.strip().lower().replace("\u2019", "'").replace("\u2033", "''"))


def _split_unit(name: str) -> tuple[str, str]:
    """(name, unit) of a header like "chi' (emu/(g Oe))" or "T [K]": the unit is the trailing group
    in parentheses or brackets, nested ones included ("" if none)."""
    s = name.rstrip()
    if not s or s[-1] not in ")]":
        return s, ""
    depth = 0
    for i in range(len(s) - 1, -1, -1):
        depth += s[i] in ")]"
        depth -= s[i] in "(["
        if depth == 0:
            return s[:i].rstrip(), s[i + 1:-1].strip()
    return s, ""


def _bare(name: str) -> str:
    """The column name without its unit, lower case, single spaces."""
    return _normalize(_split_unit(name)[0])


def unit_of(name: str) -> str:
    """The unit written in a column name's trailing parentheses or brackets ("" if none)."""
    return _split_unit(name)[1]


def _unit_key(unit: str) -> str:
    u = unit.lower().replace("**", "^").replace("\u00b3", "^3").replace("\u207b\u00b9", "^-1").replace("\u00b5", "u")
    return re.sub(r"\s+", "", u)


def find_column(table: Table, *patterns: str, units: dict[str, float] | None = None, required: bool = True,
                what: str = "") -> str | None:
    """The first column whose bare name (case-insensitive, unit removed) fully matches one of the
    regular expressions ``patterns`` (tried in order) and whose unit, if ``units`` is given, is one of
    its keys (a column without a unit is accepted). None, or ConfigError naming the file and ``what``
    when ``required``."""
    wrong_unit = None
    for pat in patterns:
        rx = re.compile(pat, re.IGNORECASE)
        for name in table.columns:
            if not rx.fullmatch(_bare(name)):
                continue
            u = _unit_key(unit_of(name))
            if units is None or u == "" or u in units:
                return name
            if u not in _KNOWN_UNITS:  # a unit of another quantity ("t (s)" for T) is another column
                wrong_unit = wrong_unit or name
    if wrong_unit is not None and required:
        raise ConfigError(f"{table.path}: column {wrong_unit!r} has unit {unit_of(wrong_unit)!r}; "
                          f"{what or patterns[0]} needs one of {', '.join(k for k in units if k)}")
    if required:
        shown = ", ".join(repr(c) for c in list(table.columns)[:14])
        more = ", ..." if len(table.columns) > 14 else ""
        raise ConfigError(f"{table.path}: no {what or patterns[0]} column (columns: {shown}{more})")
    return None


def _scaled(table: Table, name: str | None, units: dict[str, float]) -> np.ndarray | None:
    if name is None:
        return None
    return table.columns[name] * units.get(_unit_key(unit_of(name)), 1.0)


_KELVIN = {"k": 1.0}
_OERSTED = {"oe": 1.0, "g": 1.0, "koe": 1e3, "t": 1e4, "mt": 10.0}
_HERTZ = {"hz": 1.0, "khz": 1e3}
_SECONDS = {"s": 1.0, "sec": 1.0, "secs": 1.0, "min": 60.0, "h": 3600.0, "hr": 3600.0}
_KNOWN_UNITS = set(_KELVIN) | set(_OERSTED) | set(_HERTZ) | set(_SECONDS) | {"emu", "emu/oe", "cm^3/mol", "mm", "cm"}

_T_NAMES = (r"temperature", r"sample temp(erature)?", r"temp", r"t")
_H_NAMES = (r"magnetic field", r"field", r"dc field", r"h", r"h_?dc", r"b", r"mu_?0 ?h", r"\u03bc_?0 ?h")
_F_NAMES = (r"ac frequency", r"wave frequency", r"frequency", r"freq", r"f", r"nu", r"\u03bd")
_CHI = r"(ac )?(x|chi|\u03c7)"
_P = r"'"
_PP = r"(''|\"|\u2033)"
_CHI_P_NAMES = (rf"{_CHI}{_P}", rf"{_CHI}_?(p|1|re|real|in-phase)")
_CHI_PP_NAMES = (rf"{_CHI}{_PP}", rf"{_CHI}_?(pp|2|im|imag|out-of-phase)")
_ERR = r"[ _]?(std\.? ?err\.?|err(or)?|esd|sigma)"
_CHI_P_ERR = (rf"{_CHI}{_P}{_ERR}", rf"(d|err|sigma)[ _]?{_CHI}{_P}", rf"{_CHI}_?p{_ERR}")
_CHI_PP_ERR = (rf"{_CHI}{_PP}{_ERR}", rf"(d|err|sigma)[ _]?{_CHI}{_PP}", rf"{_CHI}_?pp{_ERR}")
_M_P_NAMES = (r"(ac )?m'",)
_M_PP_NAMES = (r"(ac )?m(''|\"|\u2033)",)
_DRIVE_NAMES = (r"drive amplitude", r"ac drive", r"drive", r"h_?ac", r"ac amplitude")


# ----------------------------------------------------------------------------------------------------
# AC


@dataclass
class ACSweep:
    """One isothermal frequency sweep.

    temperature: mean of the rows (K); field: mean static field (Oe; NaN if the file has none);
    frequency (Hz, ascending); chi_p = chi', chi_pp = chi'' (chi = chi' - i chi'', in ``units``);
    err_p, err_pp: their standard errors (same unit) or None; source: the file; rows: indices of the
    rows in the file's table (0-based, in the order of ``frequency``); lines: their line numbers in
    the file (1-based).
    """

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
    lines: np.ndarray | None = None

    @property
    def size(self) -> int:
        """Number of frequencies."""
        return int(self.frequency.size)

    def where(self) -> str:
        """'<file>, sweep at <T> K (lines a-b)', for messages."""
        span = ""
        if self.lines is not None and len(self.lines):
            span = f" (lines {int(np.min(self.lines))}-{int(np.max(self.lines))})"
        fld = f", {self.field:.4g} Oe" if np.isfinite(self.field) else ""
        return f"{self.source}: the sweep at {self.temperature:.4g} K{fld}{span}"


@dataclass
class ACData:
    """The sweeps of one or more files, in file order, with chi in ``units``; ``notes`` lists what
    the readers dropped or assumed."""

    sweeps: list[ACSweep]
    units: str
    sources: list[str]
    notes: list[str] = dataclass_field(default_factory=list)


#: chi unit strings (lower case, no spaces) by kind: per sample, per gram, molar.
_CHI_UNITS = {
    "sample": ("emu/oe", "emuoe^-1", "emuoe-1", "cm^3", "cm3"),
    "gram": ("emu/(goe)", "emu/(oeg)", "emu/g/oe", "emu/oe/g", "emug^-1oe^-1", "emuoe^-1g^-1", "cm^3/g",
             "cm3/g", "cm^3g^-1", "cm3g-1", "emu/g"),
    "molar": ("cm^3/mol", "cm3/mol", "cm^3mol^-1", "cm3mol-1", "emu/mol", "emu/(moloe)", "emu/(oemol)",
              "emu/mol/oe", "emu/oe/mol", "emumol^-1oe^-1", "emuoe^-1mol^-1"),
}
_CANONICAL = {"sample": "emu/Oe", "gram": "cm^3/g", "molar": "cm^3/mol"}


def _chi_kind(table: Table, column: str) -> str | None:
    u = _unit_key(unit_of(column))
    if not u:
        return None
    for kind, names in _CHI_UNITS.items():
        if u in names:
            return kind
    raise ConfigError(f"{table.path}: column {column!r}: unit {unit_of(column)!r} not understood; use emu/Oe, "
                      "emu/(g Oe) or cm^3/mol")


def _info_float(table: Table, key: str) -> float | None:
    try:
        v = float(table.info.get(key, ""))
    except ValueError:
        return None
    return v if v > 0 else None


def _bad_rows(table: Table, rows: np.ndarray, checks: list[tuple[str, np.ndarray]]) -> list[str]:
    """One description per row of ``rows`` that fails a check (column name, ok mask)."""
    out = []
    for r in rows:
        missing = [name for name, ok in checks if not ok[r]]
        out.append(f"line {int(table.lines[r])} has no valid value in column {' or '.join(repr(m) for m in missing)}")
    return out


def read_ac(path: str | Path, *, mass_mg: float | None = None, molar_mass: float | None = None,
            diamagnetic: float | None = None, temperature_tolerance: float = DEFAULT_TEMPERATURE_TOLERANCE,
            field_tolerance: float = DEFAULT_FIELD_TOLERANCE, background: float | None = None,
            molar: bool | None = None, skip_incomplete: bool = False) -> ACData:
    """Read an AC susceptibility file into isothermal sweeps (formats, units and rows: module docstring).

    mass_mg: sample mass (mg); molar_mass: g/mol (either one falls back to the MPMS3 header's
    SAMPLE_MASS / SAMPLE_MOLECULAR_WEIGHT); diamagnetic: cm^3/mol subtracted from a molar chi';
    background: emu/Oe subtracted from a per-sample chi' (holder, eicosane); temperature_tolerance (K)
    and field_tolerance (Oe): the grouping of rows into sweeps; molar: None makes chi molar when mass
    and molar mass are known, False keeps the file's unit, True requires molar; skip_incomplete:
    drop rows with missing AC fields (listed in ``notes``) instead of raising ConfigError.
    """
    table = read_table(path)
    p = table.path
    f_col = find_column(table, *_F_NAMES, units=_HERTZ, what="AC frequency")
    cp_col = find_column(table, *_CHI_P_NAMES, required=False)
    cpp_col = find_column(table, *_CHI_PP_NAMES, required=False)
    drive = None
    if cp_col is None and cpp_col is None:
        mp_col = find_column(table, *_M_P_NAMES, required=False)
        mpp_col = find_column(table, *_M_PP_NAMES, required=False)
        if mp_col is None or mpp_col is None:
            find_column(table, *_CHI_P_NAMES, what="AC in-phase (chi' or X') susceptibility")
        drive = find_column(table, *_DRIVE_NAMES, units=_OERSTED, required=False)
        if drive is None:
            raise ConfigError(f"{p}: columns {mp_col!r} and {mpp_col!r} are moments; chi = m / drive needs a "
                              "'Drive Amplitude (Oe)' column")
        cp_col, cpp_col = mp_col, mpp_col
    elif cp_col is None:
        find_column(table, *_CHI_P_NAMES, what="AC in-phase (chi' or X') susceptibility")
    elif cpp_col is None:
        find_column(table, *_CHI_PP_NAMES, what="AC out-of-phase (chi'' or X'') susceptibility")
    T_col = find_column(table, *_T_NAMES, units=_KELVIN, what="temperature")
    H_col = find_column(table, *_H_NAMES, units=_OERSTED, required=False)
    ep_col = find_column(table, *_CHI_P_ERR, required=False) if drive is None else None
    epp_col = find_column(table, *_CHI_PP_ERR, required=False) if drive is None else None

    c = table.columns
    freq = _scaled(table, f_col, _HERTZ)
    chi_p, chi_pp = c[cp_col].copy(), c[cpp_col].copy()
    T = c[T_col]
    H = _scaled(table, H_col, _OERSTED) if H_col else np.full(table.n_rows, np.nan)
    err_p = c[ep_col].copy() if ep_col else None
    err_pp = c[epp_col].copy() if epp_col else None

    if drive is not None:
        if _unit_key(unit_of(cp_col)) not in ("emu", ""):
            raise ConfigError(f"{p}: column {cp_col!r}: a moment in emu is expected (chi = m / drive)")
        d = _scaled(table, drive, _OERSTED)
        chi_p, chi_pp = chi_p / d, chi_pp / d
        kind: str | None = "sample"
    else:
        kind = _chi_kind(table, cp_col)
        kind_pp = _chi_kind(table, cpp_col)
        if kind != kind_pp:
            raise ConfigError(f"{p}: columns {cp_col!r} and {cpp_col!r} have different units")

    # Which rows are AC measurements, and are they complete?
    present = np.isfinite(freq) | np.isfinite(chi_p) | np.isfinite(chi_pp)
    checks = [(f_col, np.isfinite(freq) & (freq > 0)), (cp_col, np.isfinite(chi_p)), (cpp_col, np.isfinite(chi_pp)),
              (T_col, np.isfinite(T))]
    if drive is not None:
        dv = _scaled(table, drive, _OERSTED)
        checks.append((drive, np.isfinite(dv) & (dv > 0)))
    ok = present & np.all([m for _, m in checks], axis=0)
    if not present.any():
        raise ConfigError(f"{p}: no row has an AC frequency, chi' and chi'' "
                          f"(columns {f_col!r}, {cp_col!r}, {cpp_col!r})")
    bad = np.flatnonzero(present & ~ok)
    notes: list[str] = []
    if bad.size:
        desc = _bad_rows(table, bad, checks)
        if not skip_incomplete:
            raise ConfigError(f"{p}: {desc[0]}" + (f" (and {bad.size - 1} more rows)" if bad.size > 1 else "")
                              + "; fix the file or skip such rows (skip_incomplete=True; --skip-incomplete)")
        notes += [f"{p}: skipped: {d}" for d in desc]
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        raise ConfigError(f"{p}: no complete AC row (frequency, chi', chi'' and temperature)")
    if err_p is not None and err_pp is not None:
        good = np.isfinite(err_p[idx]) & np.isfinite(err_pp[idx]) & (err_p[idx] > 0) & (err_pp[idx] > 0)
        if not good.all():
            notes.append(f"{p}: {int((~good).sum())} rows lack positive standard errors in {ep_col!r}/{epp_col!r}; "
                         "the fits of their sweeps use equal weights")
    elif (err_p is None) != (err_pp is None):
        notes.append(f"{p}: standard errors only for one of chi', chi''; the fits use equal weights")
        err_p = err_pp = None

    # Units: per sample -> molar when mass and molar mass are known.
    mass = mass_mg if mass_mg is not None else _info_float(table, "SAMPLE_MASS")
    mw = molar_mass if molar_mass is not None else _info_float(table, "SAMPLE_MOLECULAR_WEIGHT")
    for name, v in (("mass_mg", mass_mg), ("molar_mass", molar_mass)):
        if v is not None and not v > 0:
            raise ConfigError(f"{p}: {name} must be > 0, got {v}")
    if background is not None:
        if kind != "sample":
            raise ConfigError(f"{p}: a background in emu/Oe needs chi per sample (emu/Oe), but {cp_col!r} is "
                              f"{_CANONICAL.get(kind, 'without a unit')}")
        chi_p = chi_p - background
    units = _CANONICAL.get(kind, "")
    want_molar = molar if molar is not None else (kind == "molar" or (kind == "sample" and bool(mass and mw))
                                                   or (kind == "gram" and bool(mw)))
    if want_molar and kind != "molar":
        if kind is None:
            raise ConfigError(f"{p}: column {cp_col!r} has no unit, so chi cannot be made molar; write it as "
                              "\"chi' (emu/Oe)\"")
        if not mw or (kind == "sample" and not mass):
            raise ConfigError(f"{p}: a molar chi needs the sample mass (mg) and the molar mass (g/mol); "
                              f"got mass {mass}, molar mass {mw}")
        scale = mw / (mass * 1e-3) if kind == "sample" else mw
        chi_p, chi_pp = chi_p * scale, chi_pp * scale
        err_p = None if err_p is None else err_p * scale
        err_pp = None if err_pp is None else err_pp * scale
        units = "cm^3/mol"
    if diamagnetic is not None:
        if units != "cm^3/mol":
            raise ConfigError(f"{p}: the diamagnetic correction is in cm^3/mol, but chi is {units or 'without a unit'}"
                              "; give the sample mass and molar mass")
        chi_p = chi_p - diamagnetic

    sweeps = []
    for g in group_by_temperature(T[idx], temperature_tolerance, H[idx], field_tolerance):
        rows = idx[g]
        rows = rows[np.argsort(freq[rows], kind="stable")]
        h = H[rows]
        sweeps.append(ACSweep(
            float(np.mean(T[rows])), float(np.mean(h[np.isfinite(h)])) if np.isfinite(h).any() else np.nan,
            freq[rows], chi_p[rows], chi_pp[rows],
            None if err_p is None else err_p[rows], None if err_pp is None else err_pp[rows],
            units, str(p), rows, table.lines[rows]))
    return ACData(sweeps, units, [str(p)], notes)


# ----------------------------------------------------------------------------------------------------
# DC


@dataclass
class DCDecay:
    """One magnetization decay: temperature (K, mean), field (Oe, mean; NaN if none), time (s, from
    the decay's first point), moment (``units``), its standard error (or None), the time of the
    first point in the file's clock (s), source file, rows (0-based) and line numbers (1-based)."""

    temperature: float
    field: float
    time: np.ndarray
    moment: np.ndarray
    err: np.ndarray | None
    units: str
    source: str
    rows: np.ndarray
    lines: np.ndarray | None = None
    t_start: float = 0.0

    @property
    def size(self) -> int:
        return int(self.time.size)

    def where(self) -> str:
        span = ""
        if self.lines is not None and len(self.lines):
            span = f" (lines {int(np.min(self.lines))}-{int(np.max(self.lines))})"
        return f"{self.source}: the decay at {self.temperature:.4g} K{span}"


_TIME_NAMES = (r"time stamp", r"time", r"elapsed time", r"t")
_MOMENT_NAMES = (r"moment", r"dc moment fixed ctr", r"dc moment free ctr", r"dc moment", r"long moment",
                 r"magnetization", r"magnetisation", r"m")
_MOMENT_ERR = (r"moment std\.? ?err\.?", r"m\.? std\.? ?err\.?", r"dc moment err fixed ctr", r"dc moment err free ctr",
               r"(moment|m)[ _]?(err(or)?|esd|sigma)", r"(d|err|sigma)[ _]?m")


def read_dc(path: str | Path, *, temperature_tolerance: float = DEFAULT_TEMPERATURE_TOLERANCE,
            field_tolerance: float = DEFAULT_FIELD_TOLERANCE, skip_incomplete: bool = False) -> list[DCDecay]:
    """Decays of a file: time (s) and moment columns, grouped by temperature (K) and field (Oe)
    stability as AC sweeps are; t = 0 at each decay's first point. Rows with neither a time nor a
    moment are skipped; a row with one but not the other (or without a temperature, when the file has
    a temperature column) raises ConfigError naming the line, or is dropped with ``skip_incomplete``.
    """
    table = read_table(path)
    p = table.path
    t_col = find_column(table, *_TIME_NAMES, units=_SECONDS, what="time (s)")
    m_col = find_column(table, *_MOMENT_NAMES, what="moment")
    T_col = find_column(table, *_T_NAMES, units=_KELVIN, required=False)
    H_col = find_column(table, *_H_NAMES, units=_OERSTED, required=False)
    e_col = find_column(table, *_MOMENT_ERR, required=False)
    c = table.columns
    t, M = _scaled(table, t_col, _SECONDS), c[m_col]
    T = c[T_col] if T_col else np.zeros(table.n_rows)
    H = _scaled(table, H_col, _OERSTED) if H_col else np.full(table.n_rows, np.nan)
    err = c[e_col] if e_col else None
    present = np.isfinite(t) | np.isfinite(M)
    checks = [(t_col, np.isfinite(t)), (m_col, np.isfinite(M))] + ([(T_col, np.isfinite(T))] if T_col else [])
    ok = present & np.all([m for _, m in checks], axis=0)
    bad = np.flatnonzero(present & ~ok)
    if bad.size and not skip_incomplete:
        d = _bad_rows(table, bad[:1], checks)[0]
        raise ConfigError(f"{p}: {d}" + (f" (and {bad.size - 1} more rows)" if bad.size > 1 else "")
                          + "; fix the file or skip such rows (skip_incomplete=True; --skip-incomplete)")
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        raise ConfigError(f"{p}: no row has both a time ({t_col!r}) and a moment ({m_col!r})")
    units = unit_of(m_col) or ""
    out = []
    for g in group_by_temperature(T[idx], temperature_tolerance, H[idx], field_tolerance):
        rows = idx[g]
        rows = rows[np.argsort(t[rows], kind="stable")]
        h = H[rows]
        e = None if err is None else err[rows]
        if e is not None and not (np.all(np.isfinite(e)) and np.all(e > 0)):
            e = None
        out.append(DCDecay(float(np.mean(T[rows])) if T_col else np.nan,
                           float(np.mean(h[np.isfinite(h)])) if np.isfinite(h).any() else np.nan,
                           t[rows] - t[rows][0], M[rows], e, units, str(p), rows, table.lines[rows], float(t[rows][0])))
    return out
