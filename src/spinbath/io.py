"""Results files: xarray Datasets as netCDF (h5netcdf), written atomically, config embedded.

Every results file carries, in its global attributes:
    study            the study name
    config_toml      the full input config, verbatim, so that ``spinbath rerun`` works from the file alone
    spinbath_version the version that wrote it
and every data variable and coordinate carries a ``units`` attribute ("1" for dimensionless).

Atomic write: the dataset goes to a temporary file in the target folder, then os.replace moves it
over the target, so a crash never leaves a partial or corrupted results file behind.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import xarray as xr

from . import __version__
from .errors import ConfigError

__all__ = ["write_results", "read_results", "results_dataset", "atomic_write", "atomic_write_bytes",
           "missing_units"]


def missing_units(ds: xr.Dataset) -> list[str]:
    """Names of variables or coordinates without a ``units`` attribute."""
    return [str(n) for n in list(ds.data_vars) + list(ds.coords) if "units" not in ds[n].attrs]


def atomic_write(path: str | Path, write, suffix: str = ".tmp") -> Path:
    """Call ``write(tmp_path)`` on a temporary file beside ``path``, then rename it over ``path``.

    The file gets the usual permissions (0666 minus the umask), not mkstemp's private 0600.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename."""

    def write(tmp):
        with open(tmp, "wb") as fh:
            fh.write(data)

    return atomic_write(path, write)


def atomic_write_npz(path: str | Path, arrays: dict, *, durable: bool = True) -> Path:
    """Write ``arrays`` (name -> ndarray, no pickles) as an .npz through a temporary file and a
    rename; with ``durable`` the data are fsynced first, so the rename never publishes a file whose
    data is not on disk (checkpoints and pair-sum chunks that a resumed run trusts)."""
    import io as _io

    def write(tmp):
        buf = _io.BytesIO()
        np.savez(buf, allow_pickle=False, **arrays)
        with open(tmp, "wb") as fh:
            fh.write(buf.getbuffer())
            if durable:
                fh.flush()
                os.fsync(fh.fileno())

    return atomic_write(path, write)


def results_dataset(ds: xr.Dataset, *, study: str, config_toml: str) -> xr.Dataset:
    """A copy of ``ds`` with the global attributes of a results file (what :func:`write_results` writes).

    Raises ValueError if a variable or coordinate has no ``units`` attribute.
    """
    missing = missing_units(ds)
    if missing:
        raise ValueError(f"results variables without units: {missing}")
    ds = ds.copy()
    ds.attrs.update(study=study, config_toml=config_toml, spinbath_version=__version__)
    return ds


def write_results(ds: xr.Dataset, path: str | Path, *, study: str, config_toml: str) -> Path:
    """Write ``ds`` to ``path`` (netCDF4/HDF5 via h5netcdf) atomically, with the config embedded."""
    ds = results_dataset(ds, study=study, config_toml=config_toml)
    return atomic_write(path, lambda tmp: ds.to_netcdf(tmp, engine="h5netcdf"))


def read_results(path: str | Path) -> xr.Dataset:
    """Open a results file written by spinbath (fully loaded, file closed)."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"results file {str(p)!r} does not exist")
    try:
        with xr.open_dataset(p, engine="h5netcdf") as ds:
            ds = ds.load()
    except Exception as err:  # h5py/h5netcdf raise many types for a non-netCDF file
        raise ConfigError(f"{str(p)!r} is not a readable results file: {err}") from None
    if "study" not in ds.attrs or "config_toml" not in ds.attrs:
        raise ConfigError(f"{str(p)!r} is not a spinbath results file (no 'study'/'config_toml' attributes)")
    from .names import upgrade_names

    return upgrade_names(ds)
