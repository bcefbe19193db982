"""tau(T) data: read a text/CSV table or a spinbath results file, validate it.

Text files (``.csv``, ``.txt``, ``.dat``, anything not netCDF): columns T (K), tau (s) and optionally
err (standard deviation of tau, s) and H (field, tesla). Commas, semicolons, tabs or spaces separate
columns; ``#`` starts a comment. A header line is optional:

* without a header the columns are T, tau[, err];
* with one, columns are found by name (case-insensitive): T|temp|temperature, tau|tau_s|relaxation_time,
  err|error|sigma|dtau|tau_err|tau_esd|esd|stderr, H|B|field. A unit may follow in parentheses,
  brackets or after "/": ``T (K)``, ``tau/ms``, ``H [Oe]``; times in s, ms, us; field in T, mT, Oe.

Results files (netCDF, e.g. from ``spinbath run`` of the spin-phonon study): the variable ``tau``
(units attribute s, ms or us) along a ``temperature`` dimension (units K). Every other dimension
must be reduced by a selection ``{"order": "4"}`` (values match the coordinate as text or as a number),
except ``order``, which defaults to ``"2+4"`` where present (the full second + fourth order tau),
otherwise its last value, and dimensions of length 1. A variable ``tau_err`` of the same shape, if
present, gives the errors.

AC and DC results (``spinbath ac``/``spinbath dc``): only the temperatures with ``in_window`` = 1 (tau
inside the measured frequency window) and ``fit_ok`` = 1 are used, with ``tau_err`` as their errors;
a ``field`` coordinate along temperature (Oe or T) becomes H.

Validation (ConfigError, one message naming the problem): file missing or unreadable, columns
missing, T or tau not finite or not positive, errors not positive, fewer than 2 points.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as _dc_field
from pathlib import Path

import numpy as np

from ..config import ConfigError

__all__ = ["TauData", "read_tau_data", "parse_selection", "DEFAULT_ORDER"]

#: Default of the ``order`` dimension of spin-phonon results: the full (2nd + 4th order) tau.
DEFAULT_ORDER = "2+4"

_ALIASES = {
    "T": ("t", "temp", "temperature"),
    "tau": ("tau", "tau_s", "relaxation_time", "tau_mean"),
    "err": ("err", "error", "sigma", "dtau", "tau_err", "tau_error", "tau_esd", "tau-esd", "esd", "stderr",
            "tau_stderr", "tau_sigma"),
    "H": ("h", "b", "field", "h_field", "b_field"),
}
_TIME_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "μs": 1e-6}
_UNITS = {
    "T": {"k": 1.0},
    "tau": _TIME_UNITS,
    "err": _TIME_UNITS,
    "H": {"t": 1.0, "mt": 1e-3, "oe": 1e-4},  # H in Oe <-> mu_0 H in T, 1 Oe = 1e-4 T
}


@dataclass(frozen=True)
class TauData:
    """Relaxation times tau (s) at temperatures T (K), sorted by T.

    ``err``: standard deviations of tau (s) or None; ``field``: H (T) per point or None.
    ``source`` names the file, ``selection`` the values picked from a results file; ``label`` joins
    them for messages and reports.
    """

    T: np.ndarray
    tau: np.ndarray
    err: np.ndarray | None = None
    field: np.ndarray | None = None
    source: str = "(array)"
    selection: dict[str, str] = _dc_field(default_factory=dict)

    def __post_init__(self):
        T = np.asarray(self.T, dtype=float).ravel()
        tau = np.asarray(self.tau, dtype=float).ravel()
        if T.shape != tau.shape:
            raise ConfigError(f"{self.label}: T and tau have different lengths ({T.size} and {tau.size})")
        arrays = {"T": T, "tau": tau}
        for name in ("err", "field"):
            a = getattr(self, name)
            if a is not None:
                a = np.asarray(a, dtype=float).ravel()
                if a.shape != T.shape:
                    raise ConfigError(f"{self.label}: column {name} has {a.size} values for {T.size} temperatures")
                arrays[name] = a
        _validate(arrays, self.label)
        order = np.argsort(T, kind="stable")
        for name in ("T", "tau", "err", "field"):
            object.__setattr__(self, name, arrays[name][order] if name in arrays else None)

    @property
    def label(self) -> str:
        """``"res.nc [order=4]"``: the source and the selection."""
        sel = ", ".join(f"{k}={v}" for k, v in self.selection.items())
        return f"{self.source} [{sel}]" if sel else self.source

    @property
    def size(self) -> int:
        return int(self.T.size)

    @property
    def rate(self) -> np.ndarray:
        """1/tau (s^-1)."""
        return 1.0 / self.tau

    @property
    def sigma_log10(self) -> np.ndarray | None:
        """Standard deviation of log10(tau) = err / (tau ln 10) (first order), or None."""
        return None if self.err is None else self.err / (self.tau * np.log(10.0))


def _validate(arrays: dict[str, np.ndarray], source: str) -> None:
    what = {"T": "temperature T", "tau": "relaxation time tau", "err": "error of tau", "field": "field H"}

    def where(i: int, name: str) -> str:
        # Points are counted in file order; the temperature helps to find the row.
        T = arrays["T"][i]
        return f"point {i + 1}" + (f", T = {T:g} K" if name != "T" and np.isfinite(T) else "")

    for name, a in arrays.items():
        bad = ~np.isfinite(a)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ConfigError(f"{source}: {what[name]} is not finite ({a[i]!r} at {where(i, name)})")
        if name != "field":
            bad = a <= 0
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise ConfigError(f"{source}: {what[name]} must be positive, got {a[i]:g} at {where(i, name)}")
        elif (a < 0).any():
            raise ConfigError(f"{source}: field H must be >= 0 (magnitude, tesla)")
    if arrays["T"].size < 2:
        raise ConfigError(f"{source}: need at least 2 points, found {arrays['T'].size}")


def _selection_text(chosen: dict[str, str]) -> str:
    return " [" + ", ".join(f"{k}={v}" for k, v in chosen.items()) + "]" if chosen else ""


def parse_selection(items: list[str] | dict | None) -> dict[str, str]:
    """``["order=4", "field=0.1"]`` (or "order=4,field=0.1") -> {"order": "4", "field": "0.1"}."""
    if items is None:
        return {}
    if isinstance(items, dict):
        return {str(k): str(v) for k, v in items.items()}
    out = {}
    for item in items:
        for part in str(item).split(","):
            if not part.strip():
                continue
            if "=" not in part:
                raise ConfigError(f"selection {part!r} is not of the form DIM=VALUE (e.g. order=4)")
            k, v = (s.strip() for s in part.split("=", 1))
            if not k or not v:
                raise ConfigError(f"selection {part!r} is not of the form DIM=VALUE (e.g. order=4)")
            out[k] = v
    return out


def read_tau_data(path: str | Path, select: list[str] | dict | None = None, *, tmin: float | None = None,
                  tmax: float | None = None) -> TauData:
    """Read tau(T) from a text/CSV table or a netCDF results file (see the module docstring).

    ``tmin``/``tmax`` (K) keep only tmin <= T <= tmax, before validation: points outside the range
    may hold anything (e.g. an infinite tau of a second-order rate at low T) without an error.
    """
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"data file {str(p)!r} does not exist")
    selection = parse_selection(select)
    with open(p, "rb") as fh:
        magic = fh.read(8)
    if magic.startswith(b"\x89HDF") or magic.startswith(b"CDF"):
        columns, source, chosen = _read_netcdf(p, selection)
    else:
        if selection:
            raise ConfigError(f"{p}: --select applies to netCDF results files only, not to a text table")
        columns, source, chosen = _read_table(p), str(p), {}
    T = columns["T"]
    keep = ~((T < tmin) if tmin is not None else np.zeros(T.size, bool))
    keep &= ~((T > tmax) if tmax is not None else np.zeros(T.size, bool))
    if not keep.any():
        raise ConfigError(f"{source}{_selection_text(chosen)}: no points with {tmin or 0:g} K <= T <= {tmax or np.inf:g} K")
    columns = {k: v[keep] for k, v in columns.items()}
    return TauData(columns["T"], columns["tau"], columns.get("err"), columns.get("H"), source=source,
                   selection=chosen)


# --- text tables -------------------------------------------------------------------------------

_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(nan|inf|infinity)$", re.IGNORECASE)


def _split(line: str) -> list[str]:
    return [s for s in re.split(r"[,;\t ]+", line.strip()) if s != ""]


def _column_key(header: str) -> tuple[str | None, str | None]:
    """``"tau (ms)"`` -> ("tau", "ms"); unknown names -> (None, None)."""
    h = header.strip().strip('"').strip("'")
    m = re.match(r"^(.*?)\s*(?:\((.*)\)|\[(.*)\]|/\s*(.+))?\s*$", h)
    name = (m.group(1) if m else h).strip().lower()
    unit = next((g for g in (m.groups()[1:] if m else ()) if g), None)
    for key, names in _ALIASES.items():
        if name in names:
            return key, unit.strip() if unit else None
    return None, None


def _read_table(p: Path) -> dict[str, np.ndarray]:
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (UnicodeDecodeError, OSError) as err:
        raise ConfigError(f"{p}: cannot read as a text table ({err.__class__.__name__})") from None
    rows, header, header_line = [], None, 0
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        fields = _split(line) if "," not in line else [s.strip() for s in line.split(",")]
        if not rows and header is None and not all(_NUMBER.match(f) for f in fields if f):
            header, header_line = fields, lineno
            continue
        if not all(_NUMBER.match(f) for f in fields):
            bad = next(f for f in fields if not _NUMBER.match(f))
            raise ConfigError(f"{p}, line {lineno}: {bad!r} is not a number")
        rows.append((lineno, [float(f) for f in fields]))
    if not rows:
        raise ConfigError(f"{p}: no numeric rows found (expected columns T, tau[, err])")
    widths = {len(r) for _, r in rows}
    if len(widths) > 1:
        lineno, r = next((ln, r) for ln, r in rows if len(r) != len(rows[0][1]))
        raise ConfigError(f"{p}, line {lineno}: {len(r)} columns where earlier rows have {len(rows[0][1])}")
    data = np.array([r for _, r in rows], dtype=float)
    ncol = data.shape[1]
    columns: dict[str, np.ndarray] = {}
    if header is None:
        if ncol not in (2, 3):
            raise ConfigError(f"{p}: {ncol} columns and no header; without a header give T, tau[, err] "
                              "or add a header line naming the columns (T, tau, err, H)")
        columns["T"], columns["tau"] = data[:, 0], data[:, 1]
        if ncol == 3:
            columns["err"] = data[:, 2]
    else:
        if len(header) != ncol:
            raise ConfigError(f"{p}, line {header_line}: header has {len(header)} names for {ncol} columns")
        for i, h in enumerate(header):
            key, unit = _column_key(h)
            if key is None:
                continue
            if key in columns:
                raise ConfigError(f"{p}: two columns are read as {key!r} (header {header})")
            factor = _UNITS[key].get((unit or next(iter(_UNITS[key]))).lower().replace("μ", "µ"))
            if factor is None:
                raise ConfigError(f"{p}: column {h!r} has unit {unit!r}; use one of {', '.join(_UNITS[key])}")
            columns[key] = data[:, i] * factor
        missing = [k for k in ("T", "tau") if k not in columns]
        if missing:
            raise ConfigError(f"{p}: no column named {' or '.join(missing)} in the header {header} "
                              "(expected T, tau and optionally err, H)")
    return columns


# --- netCDF results ------------------------------------------------------------------------------

def _match_coordinate(values: np.ndarray, wanted: str) -> int | None:
    """Index of the coordinate value equal to ``wanted`` as text, else as a number."""
    for i, v in enumerate(values):
        v = v.decode() if isinstance(v, bytes) else v
        if str(v) == wanted:
            return i
    try:
        w = float(wanted)
    except ValueError:
        return None
    for i, v in enumerate(values):
        try:
            if np.isclose(float(v), w, rtol=1e-9, atol=0.0):
                return i
        except (TypeError, ValueError):
            continue
    return None


def _read_netcdf(p: Path, selection: dict[str, str]) -> tuple[dict[str, np.ndarray], str, dict[str, str]]:
    import xarray as xr

    try:
        with xr.open_dataset(p, engine="h5netcdf") as ds:
            ds = ds.load()
    except Exception as err:  # h5py/h5netcdf raise many types for a damaged file
        raise ConfigError(f"{p}: not a readable netCDF file ({err})") from None
    if "tau" not in ds.data_vars:
        names = ", ".join(map(str, ds.data_vars))
        raise ConfigError(f"{p}: no variable 'tau' in the results file (variables: {names})")
    tau = ds["tau"]
    err = ds["tau_err"] if "tau_err" in ds.data_vars else None
    if "temperature" not in tau.dims:
        raise ConfigError(f"{p}: variable 'tau' has no 'temperature' dimension (dims {tau.dims})")
    unknown = [k for k in selection if k not in tau.dims]
    if unknown:
        dims = ", ".join(map(str, tau.dims))
        raise ConfigError(f"{p}: cannot select {', '.join(unknown)}: 'tau' has dimensions {dims}")
    if "temperature" in selection:
        raise ConfigError(f"{p}: 'temperature' is the fit variable and cannot be selected (use --tmin/--tmax)")
    chosen: dict[str, str] = {}
    for dim in tau.dims:
        if dim == "temperature":
            continue
        coord = tau[dim].values if dim in tau.coords else np.arange(tau.sizes[dim])
        if dim in selection:
            i = _match_coordinate(coord, selection[dim])
            if i is None:
                shown = ", ".join(str(v.decode() if isinstance(v, bytes) else v) for v in coord)
                raise ConfigError(f"{p}: {dim}={selection[dim]!r} not found; {dim} has values {shown}")
        elif dim == "order" and _match_coordinate(coord, DEFAULT_ORDER) is not None:
            i = _match_coordinate(coord, DEFAULT_ORDER)
        elif dim == "order" or tau.sizes[dim] == 1:
            i = tau.sizes[dim] - 1
        else:
            shown = ", ".join(str(v) for v in coord[:8])
            raise ConfigError(f"{p}: 'tau' has a dimension {dim!r} of length {tau.sizes[dim]} ({shown}); "
                              f"pick one with --select {dim}=VALUE")
        v = coord[i]
        chosen[str(dim)] = str(v.decode() if isinstance(v, bytes) else v)
        tau = tau.isel({dim: i})
        if err is not None and dim in err.dims:
            err = err.isel({dim: i})
    tunits = str(ds["temperature"].attrs.get("units", "K"))
    if tunits != "K":
        raise ConfigError(f"{p}: temperature has units {tunits!r}; expected 'K'")
    factor = _TIME_UNITS.get(str(tau.attrs.get("units", "s")))
    if factor is None:
        raise ConfigError(f"{p}: tau has units {tau.attrs.get('units')!r}; expected one of {', '.join(_TIME_UNITS)}")
    T = np.asarray(ds["temperature"].values, dtype=float)
    e = None
    if err is not None:
        efactor = _TIME_UNITS.get(str(err.attrs.get("units", "s")), factor)
        e = np.asarray(err.values, dtype=float) * efactor
    source = str(p)
    columns = {"T": T, "tau": np.asarray(tau.values, dtype=float).ravel() * factor}
    if e is not None:
        columns["err"] = e.ravel()
    if columns["tau"].shape != T.shape:
        raise ConfigError(f"{p}: tau has {columns['tau'].size} values for {T.size} temperatures")
    field = ds["field"] if "field" in ds.variables and ds["field"].dims == ("temperature",) else None
    if field is not None:
        scale = {"T": 1.0, "mT": 1e-3, "Oe": 1e-4, "G": 1e-4}.get(str(field.attrs.get("units", "T")))
        if scale is not None:
            columns["H"] = np.asarray(field.values, dtype=float) * scale
    if "in_window" in ds.data_vars:  # AC/DC results (spinbath ac/dc): only taus that were measured
        ok = np.asarray(ds["in_window"].values).astype(bool).ravel()
        if "fit_ok" in ds.data_vars:
            ok &= np.asarray(ds["fit_ok"].values).astype(bool).ravel()
        ok &= np.isfinite(columns["tau"])
        if "err" in columns:
            ok &= np.isfinite(columns["err"]) & (columns["err"] > 0)
        if not ok.any():
            raise ConfigError(f"{p}: no relaxation time inside the measured frequency window (in_window = 0 "
                              "for every temperature)")
        columns = {k: v[ok] for k, v in columns.items()}
        chosen["in_window"] = f"{int(ok.sum())} of {ok.size} temperatures"
    return columns, source, chosen
