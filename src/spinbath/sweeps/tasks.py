"""Tasks of a sweep: the key of a task, running one, and its checkpoint file.

Key: SHA-256 (first 24 hex digits) of the canonical JSON of the task's *validated* config
(``model_dump`` with sorted keys, floats in shortest round-trip form, numpy arrays as lists). Two
spellings of the same config ("1 T" and "1000 mT", reordered keys, defaults written out or not)
give the same key; any change to a value that reaches the study gives a new one, so a checkpoint
is never reused for a different computation. (Files that a config points to are keyed by path,
not content, and the code version is not part of the key: after changing either, delete the run
folder. Each checkpoint records the spinbath version that wrote it.)

Checkpoint: ``<key>.npz``, one per finished task, holding the task's Dataset as plain arrays (no
pickle) plus a JSON header (variables, dims, attributes, the canonical config, the compute time).
It is written to a temporary file in the same folder, flushed and fsync'ed, then renamed over the
final name, so a process killed at any instant (SIGKILL included) leaves either no checkpoint or a
complete one; temporary names start with "." and end in ".tmp" and are never read. (npz rather
than netCDF: reading and writing many small npz files is much cheaper than going through HDF5,
which keeps the per-task overhead of a sweep small.)
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

__all__ = ["canonical_config", "task_key", "compute_task", "write_checkpoint", "read_checkpoint",
           "CheckpointError", "CHECKPOINT_SUFFIX"]

CHECKPOINT_SUFFIX = ".npz"
_FORMAT = "spinbath-sweep-checkpoint/1"
_KEY_CHARS = 24


class CheckpointError(RuntimeError):
    """A checkpoint file that cannot be read back or does not belong to its task."""


def _json_default(obj):
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, complex):
        return [obj.real, obj.imag]
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    raise TypeError(f"cannot put {type(obj).__name__} into a task key")


def canonical_config(cfg) -> str:
    """Canonical JSON of a validated config model (the text that is hashed into the task key)."""
    return json.dumps(cfg.model_dump(mode="python"), default=_json_default, sort_keys=True,
                      separators=(",", ":"), ensure_ascii=True)


def task_key(cfg) -> str:
    """24 hex digits of SHA-256 of :func:`canonical_config` (96 bits: collisions are not a concern,
    and :func:`read_checkpoint` compares the full config anyway)."""
    return hashlib.sha256(canonical_config(cfg).encode()).hexdigest()[:_KEY_CHARS]


def compute_task(study, cfg) -> tuple[xr.Dataset, float]:
    """Run one task: ``study.run(cfg)`` with progress bars off; returns (dataset, seconds).

    This is the function the workers execute. Bars are silenced because a worker may share the
    terminal of the sweep (and rich allows one live display per process in serial mode).
    """
    from ..progress import is_quiet, set_quiet

    was_quiet = is_quiet()
    set_quiet(True)
    try:
        t0 = time.perf_counter()
        ds = study.run(cfg)
        return ds, time.perf_counter() - t0
    finally:
        set_quiet(was_quiet)


# ----------------------------------------------------------------------------------------------
# Checkpoint files
# ----------------------------------------------------------------------------------------------

def _encode_attrs(attrs: dict, arrays: dict[str, np.ndarray]) -> dict:
    out = {}
    for k, v in attrs.items():
        if isinstance(v, (np.ndarray, np.generic)):
            name = f"a{len(arrays)}"
            arrays[name] = np.asarray(v)
            out[k] = {"__array__": name, "scalar": isinstance(v, np.generic)}
        elif isinstance(v, (list, tuple)):
            out[k] = {"__list__": list(v), "tuple": isinstance(v, tuple)}
        else:
            out[k] = v
    return out


def _decode_attrs(attrs: dict, arrays) -> dict:
    out = {}
    for k, v in attrs.items():
        if isinstance(v, dict) and "__array__" in v:
            a = arrays[v["__array__"]]
            out[k] = a[()] if v["scalar"] else a
        elif isinstance(v, dict) and "__list__" in v:
            out[k] = tuple(v["__list__"]) if v["tuple"] else list(v["__list__"])
        else:
            out[k] = v
    return out


def _encode(ds: xr.Dataset, meta: dict) -> tuple[dict[str, np.ndarray], dict]:
    arrays: dict[str, np.ndarray] = {}
    variables = []
    for kind, names in (("coord", list(ds.coords)), ("data", list(ds.data_vars))):
        for name in names:
            var = ds[name].variable
            values = np.asarray(var.values)
            as_object = values.dtype == object
            if as_object:
                # npz without pickle stores fixed-width text; the flag restores Python strings.
                values = values.astype(str)
            key = f"v{len(variables)}"
            arrays[key] = values
            variables.append({"name": name, "kind": kind, "dims": list(var.dims), "key": key,
                              "object": as_object, "attrs": _encode_attrs(dict(var.attrs), arrays)})
    header = {"format": _FORMAT, "variables": variables, "attrs": _encode_attrs(dict(ds.attrs), arrays),
              **meta}
    return arrays, header


def write_checkpoint(path: str | Path, ds: xr.Dataset, meta: dict[str, Any]) -> Path:
    """Write ``ds`` and the JSON-able ``meta`` (key, config, seconds, ...) atomically to ``path``."""
    from ..io import atomic_write_npz

    arrays, header = _encode(ds, meta)
    arrays["__header__"] = np.frombuffer(json.dumps(header, default=_json_default).encode(), dtype=np.uint8)
    return atomic_write_npz(path, arrays)


def read_checkpoint(path: str | Path, expect_config: str | None = None) -> tuple[xr.Dataset, dict]:
    """Read a checkpoint: (dataset, header). With ``expect_config``, check that it is that task's."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            header = json.loads(z["__header__"].tobytes().decode())
            arrays = {k: z[k] for k in z.files if k != "__header__"}
    except Exception as err:  # zipfile, numpy and json raise many types for a damaged file
        raise CheckpointError(f"{path}: unreadable checkpoint ({type(err).__name__}: {err})") from None
    if header.get("format") != _FORMAT:
        raise CheckpointError(f"{path}: not a spinbath sweep checkpoint")
    if expect_config is not None and header.get("config") != expect_config:
        raise CheckpointError(f"{path}: checkpoint belongs to a different config")
    coords, data = {}, {}
    for v in header["variables"]:
        values = arrays[v["key"]]
        if v["object"]:
            values = values.astype(object)
        var = xr.Variable(v["dims"], values, _decode_attrs(v["attrs"], arrays))
        (coords if v["kind"] == "coord" else data)[v["name"]] = var
    ds = xr.Dataset(data, coords=coords, attrs=_decode_attrs(header["attrs"], arrays))
    return ds, header
