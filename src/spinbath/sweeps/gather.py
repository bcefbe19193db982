"""Combine the datasets of a sweep's tasks into one Dataset with the swept keys as coordinates.

Layout:

* ``product``: one new dimension per parameter, in the order of the ``[sweep]`` section, with the
  parameter's values as its coordinate; every variable of the study gets these dimensions first.
* ``zip``: one new dimension ``task`` (coordinate 0..n-1) and each parameter as a coordinate along it.

The dimension (or coordinate) of a parameter is named by its dotted path ("bias.temperature");
if the study's own dataset already uses that name, it becomes "sweep.<path>" (likewise "task").
Coordinates carry ``units`` and ``sweep_path`` attributes. Dataset attributes that are equal in
every task are kept, the others dropped (their values are in the coordinates). The attribute
``sweep`` holds the sweep's description as JSON (mode, parameters, dimension names): it marks the
file as a sweep for ``spinbath plot``.

Failed tasks: their entries are NaN (integer and boolean variables become float, text becomes "")
and a boolean variable ``failed`` over the sweep dimensions marks them; the attribute
``sweep_failures`` lists their parameters and errors. Without failures neither appears, so a
resumed sweep and an uninterrupted one give identical datasets.

Tasks whose datasets share variables, dimensions and coordinates (the usual case) are stacked as
arrays; otherwise (e.g. a swept grid size) xarray aligns them with an outer join, filling with NaN.
"""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from .spec import Sweep

__all__ = ["gather", "sweep_info", "SWEEP_ATTR"]

SWEEP_ATTR = "sweep"


def _names(sweep: Sweep, template: xr.Dataset) -> tuple[list[str], str | None]:
    taken = set(map(str, template.variables)) | set(map(str, template.dims))

    def free(name: str) -> str:
        return name if name not in taken else f"sweep.{name}"

    names = [free(p.path) for p in sweep.parameters]
    task_dim = free("task") if sweep.mode == "zip" else None
    return names, task_dim


def _equal(a, b) -> bool:
    try:
        return bool(np.array_equal(np.asarray(a), np.asarray(b)))
    except Exception:  # incomparable types
        return False


def _same_layout(ds: xr.Dataset, template: xr.Dataset) -> bool:
    if list(ds.data_vars) != list(template.data_vars) or list(ds.coords) != list(template.coords):
        return False
    for name in template.coords:
        a, b = ds[name].variable, template[name].variable
        if a.dims != b.dims or not _equal(a.values, b.values):
            return False
    return all(ds[v].dims == template[v].dims and ds[v].shape == template[v].shape
               and ds[v].dtype == template[v].dtype for v in template.data_vars)


def _fill_value(dtype: np.dtype):
    """(dtype, fill) for entries of failed tasks."""
    if dtype.kind in "fc":
        return dtype, np.nan
    if dtype.kind in "iub":
        return np.dtype(float), np.nan
    if dtype.kind in "UO":
        return dtype, ""
    return dtype, np.zeros((), dtype)[()]


def _common_attrs(datasets: list[xr.Dataset]) -> dict:
    first = datasets[0].attrs
    return {k: v for k, v in first.items()
            if all(k in d.attrs and _equal(d.attrs[k], v) for d in datasets[1:])}


def _stack(sweep: Sweep, per_task: list[xr.Dataset | None], template: xr.Dataset, dims: list[str]) -> xr.Dataset:
    shape = sweep.shape
    missing = any(d is None for d in per_task)
    data = {}
    for name, var in template.data_vars.items():
        dtype, fill = _fill_value(var.dtype) if missing else (var.dtype, None)
        filler = np.full(var.shape, fill, dtype=dtype) if missing else None
        arr = np.stack([filler if d is None else np.asarray(d[name].values, dtype=dtype) for d in per_task])
        data[name] = (tuple(dims) + var.dims, arr.reshape(shape + var.shape), dict(var.attrs))
    coords = {name: template[name].variable for name in template.coords}
    return xr.Dataset(data, coords=coords)


def _align(sweep: Sweep, per_task: list[xr.Dataset | None], template: xr.Dataset, dims: list[str]) -> xr.Dataset:
    def nan_like(ds: xr.Dataset) -> xr.Dataset:
        out = ds.copy()
        for name, var in ds.data_vars.items():
            dtype, fill = _fill_value(var.dtype)
            out[name] = var.copy(data=np.full(var.shape, fill, dtype=dtype))
        return out

    filled = [nan_like(template) if d is None else d for d in per_task]
    flat = xr.concat(filled, dim="__task__", join="outer", coords="different", compat="equals",
                     combine_attrs="drop_conflicts")
    if sweep.mode == "zip":
        return flat.rename({"__task__": dims[0]})
    # Unflatten the task axis into one axis per parameter (C order, as the tasks were made).
    flat = flat.transpose("__task__", ...)

    def unflatten(var: xr.Variable) -> xr.Variable:
        if "__task__" not in var.dims:
            return var
        return xr.Variable(tuple(dims) + var.dims[1:], var.values.reshape(sweep.shape + var.shape[1:]), var.attrs)

    coords = {n: unflatten(flat[n].variable) for n in flat.coords}
    return xr.Dataset({n: unflatten(v.variable) for n, v in flat.data_vars.items()}, coords=coords)


def sweep_info(ds: xr.Dataset) -> dict | None:
    """The sweep description stored in a gathered dataset (None if it is not a sweep)."""
    text = ds.attrs.get(SWEEP_ATTR)
    return json.loads(text) if isinstance(text, str) else None


def gather(sweep: Sweep, datasets: dict[str, xr.Dataset], failures: dict[str, str] | None = None) -> xr.Dataset:
    """One Dataset from the tasks' datasets (``{task key: dataset}``); tasks absent from it are failed.

    ``failures``: ``{task key: error line}`` for the ``sweep_failures`` attribute.
    """
    per_task = [datasets.get(t.key) for t in sweep.tasks]
    present = [d for d in per_task if d is not None]
    if not present:
        raise ValueError("no task of the sweep finished; nothing to gather")
    template = present[0]
    names, task_dim = _names(sweep, template)
    dims = [task_dim] if sweep.mode == "zip" else names
    if all(_same_layout(d, template) for d in present[1:]):
        out = _stack(sweep, per_task, template, dims)
    else:
        out = _align(sweep, per_task, template, dims)
    new_coords = {}
    if sweep.mode == "zip":
        new_coords[task_dim] = (task_dim, np.arange(len(sweep.tasks)), {"units": "1", "long_name": "sweep task"})
    for p, name in zip(sweep.parameters, names):
        attrs = {"units": p.units, "long_name": f"swept config key {p.path}", "sweep_path": p.path}
        new_coords[name] = ((task_dim if sweep.mode == "zip" else name), p.coord, attrs)
    out = out.assign_coords(new_coords)
    out = out.transpose(*dims, ...)
    attrs = _common_attrs(present)
    attrs[SWEEP_ATTR] = json.dumps({
        "mode": sweep.mode,
        "dims": dims,
        "parameters": [{"path": p.path, "name": n, "units": p.units, "values": list(p.raw)}
                       for p, n in zip(sweep.parameters, names)],
        "tasks": len(sweep.tasks),
    })
    missing = [t for t, d in zip(sweep.tasks, per_task) if d is None]
    if missing:
        failed = np.array([d is None for d in per_task]).reshape(sweep.shape)
        out["failed"] = (tuple(dims), failed, {"units": "1", "long_name": "task failed (its values are NaN)"})
        failures = failures or {}
        attrs["sweep_failures"] = json.dumps([
            {"index": t.index, "params": t.params, "error": failures.get(t.key, "not computed")} for t in missing])
    out.attrs = attrs
    return out
