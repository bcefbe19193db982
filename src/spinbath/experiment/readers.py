"""Magnetometer files in: Quantum Design MPMS3 and MPMS-XL ``.dat`` files and plain tables.

Formats (what the readers look for; every other column is ignored):

* **MPMS3** ``.dat``: a ``[Header]`` block of ``INFO,<value>,<KEY>`` lines (``SAMPLE_MASS`` in mg,
  ``SAMPLE_MOLECULAR_WEIGHT`` in g/mol, ...), then ``[Data]``, a CSV header row and CSV rows in which
  many fields are empty. AC columns: "Temperature (K)", "Magnetic Field (Oe)", "AC Frequency (Hz)",
  "AC X' (emu/Oe)", "AC X'' (emu/Oe)", optionally "AC X' Std Err. (emu/Oe)", "AC X'' Std Err. (emu/Oe)"
  and "AC Drive (Oe)"; DC decays: "Time Stamp (sec)" and "Moment (emu)".
* **MPMS-XL** AC ``.dat``: ``[Data]`` with "Temperature (K)", "Field (Oe)", "Wave Frequency (Hz)",
  "m' (emu)", 'm" (emu)' and "Drive Amplitude (Oe)": chi = m / drive (emu/Oe).
* **Plain tables** (CSV, semicolons, tabs or spaces) with a header naming the columns, units in
  parentheses or brackets: ``T (K)``, ``H (Oe)``, ``f (Hz)`` or ``frequency (Hz)``, ``chi' (emu/Oe)``,
  ``chi'' (emu/Oe)`` (or ``cm^3/mol``), optional ``chi'_err``, ``chi''_err``; DC: ``t (s)``, ``M (emu)``.

Text is read as Latin-1 (the instruments' encoding), with CRLF line ends and trailing commas allowed.
A problem (no such columns, an empty ``[Data]`` section) raises :class:`spinbath.errors.ConfigError`
naming the file and the column.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ConfigError

__all__ = ["Table", "read_table", "find_column"]


@dataclass
class Table:
    """The columns of a file (name as written -> float array, NaN where empty) and its header INFO."""

    path: Path
    columns: dict[str, np.ndarray]
    info: dict[str, str] = field(default_factory=dict)
    kind: str = "plain"  # "mpms3", "mpms-xl" or "plain"

    @property
    def n_rows(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0


def _number(text: str) -> float:
    text = text.strip()
    if not text:
        return np.nan
    try:
        return float(text)
    except ValueError:
        return np.nan


def _read_text(path: Path) -> str:
    if not path.is_file():
        raise ConfigError(f"{path}: file not found")
    return path.read_bytes().decode("latin-1").replace("\r\n", "\n").replace("\r", "\n")


def _qd_table(path: Path, text: str) -> Table:
    head, _, data = text.partition("[Data]")
    info = {}
    for line in head.split("\n"):
        parts = [p.strip() for p in line.split(",")]
        if len(parts) >= 3 and parts[0].upper() == "INFO":
            info[parts[2].upper()] = parts[1]
    rows = [r for r in csv.reader(io.StringIO(data.strip("\n"))) if any(x.strip() for x in r)]
    if len(rows) < 2:
        raise ConfigError(f"{path}: the [Data] section is empty")
    header = [h.strip() for h in rows[0]]
    while header and not header[-1]:
        header.pop()  # trailing commas
    cols = {h: np.array([_number(r[k]) if k < len(r) else np.nan for r in rows[1:]]) for k, h in enumerate(header) if h}
    kind = "mpms-xl" if any(h.lower().startswith("wave frequency") for h in header) else "mpms3"
    return Table(path, cols, info, kind)


def _plain_table(path: Path, text: str) -> Table:
    lines = [ln for ln in text.split("\n") if ln.strip() and not ln.lstrip().startswith("#")]
    if len(lines) < 2:
        raise ConfigError(f"{path}: no data rows (a header line and at least one row are needed)")
    delim = "," if "," in lines[0] else (";" if ";" in lines[0] else ("\t" if "\t" in lines[0] else None))

    def split(line):
        parts = line.split(delim) if delim else re.split(r"\s{2,}|\t", line.strip()) if "(" in line else line.split()
        return [p.strip() for p in parts]

    header = split(lines[0])
    while header and not header[-1]:
        header.pop()
    rows = [split(ln) for ln in lines[1:]]
    cols = {h: np.array([_number(r[k]) if k < len(r) else np.nan for r in rows]) for k, h in enumerate(header) if h}
    return Table(path, cols, {}, "plain")


def read_table(path: str | Path) -> Table:
    """Read a magnetometer file or a plain table into columns (module docstring)."""
    p = Path(path)
    text = _read_text(p)
    return _qd_table(p, text) if "[Data]" in text else _plain_table(p, text)


def _normalize(name: str) -> str:
    return re.sub(r"\s+", " ", name.strip().lower())


def find_column(table: Table, *patterns: str, required: bool = True, what: str = "") -> str | None:
    """The first column whose name (case-insensitive, without its unit) matches one of the regular
    expressions ``patterns``; None or ConfigError (naming the file and ``what``) if there is none."""
    for pat in patterns:
        rx = re.compile(pat, re.IGNORECASE)
        for name in table.columns:
            bare = re.sub(r"\s*[\(\[].*$", "", _normalize(name))
            if rx.fullmatch(bare) or rx.fullmatch(_normalize(name)):
                return name
    if required:
        shown = ", ".join(list(table.columns)[:12])
        raise ConfigError(f"{table.path}: no {what or patterns[0]} column (columns: {shown})")
    return None


def unit_of(name: str) -> str:
    """The unit written in a column name's parentheses or brackets ("" if none)."""
    m = re.search(r"[\(\[]([^\)\]]*)[\)\]]\s*$", name)
    return m.group(1).strip() if m else ""
