"""tau(T) of the q-mesh test crystal at orders 2 and 4 for meshes 1x1x1 .. 6x6x6, and the figure.

Builds the example inputs of :mod:`spinbath.baths.model_crystal` (scripts/make_qmesh_example.py) in a
temporary folder, runs the ``spin-phonon`` study through ``spinbath.run`` for each mesh n x n x n
(BLAS on one thread: the rates are many mid-sized products), prints a table (modes, wall time, tau
at each temperature) and writes

    docs/qmesh-convergence.png    (a) tau(T) of orders 2 and 4 for every mesh; (b) tau of order 4
                                  against the number of q-points at three temperatures
    <out>.nc                      the tau of every mesh (dimension ``mesh``), optional ``--nc``

Run from the repository root (needs phonopy)::

    python scripts/qmesh_convergence.py [--max-mesh 6] [--nc /tmp/qmesh.nc]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import xarray as xr

import spinbath
from spinbath.quantum.blas import single_threaded_blas

ROOT = Path(__file__).resolve().parents[1]


def _example_module():
    spec = importlib.util.spec_from_file_location("make_qmesh_example", ROOT / "scripts" / "make_qmesh_example.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def run_meshes(meshes, folder: Path) -> xr.Dataset:
    ex = _example_module()
    ex.write(folder / "qmesh-crystal")
    rows = []
    for n in meshes:
        text = ex.config_text(str(folder / "qmesh-crystal"), mesh=(n, n, n))
        text = text.replace('width = "10 cm^-1"', 'width = "10 cm^-1"\nresonant_part = false')
        t0 = time.perf_counter()
        with single_threaded_blas():
            ds = spinbath.run(text, quiet=True)
        wall = time.perf_counter() - t0
        rows.append(ds.tau.expand_dims(mesh=[n]).assign_coords(
            n_modes=("mesh", [ds.attrs["bath_n_modes"]]), wall_s=("mesh", [wall])))
        print(f"mesh {n}x{n}x{n}: {ds.attrs['bath_n_modes']} modes, {wall:.1f} s", flush=True)
    out = xr.concat(rows, dim="mesh")
    out["n_modes"].attrs.update(units="1", long_name="phonon modes kept")
    out["wall_s"].attrs.update(units="s", long_name="wall time of spinbath.run")
    out["mesh"].attrs.update(units="1", long_name="q-mesh n x n x n")
    return out.to_dataset(name="tau")


def table(ds: xr.Dataset) -> str:
    T = ds.temperature.values
    lines = ["| mesh | modes | wall (s) | order | " + " | ".join(f"{t:.3g} K" for t in T) + " |",
             "|---" * (4 + T.size) + "|"]
    for n in ds.mesh.values:
        for o in ds.order.values:
            taus = " | ".join(f"{x:.3g}" for x in ds.tau.sel(mesh=n, order=o).values)
            lines.append(f"| {n}x{n}x{n} | {int(ds.n_modes.sel(mesh=n))} | {float(ds.wall_s.sel(mesh=n)):.1f} "
                         f"| {o} | {taus} |")
    return "\n".join(lines)


def plot(ds: xr.Dataset, path: Path) -> None:
    from spinbath.plotting import log_ticks, paper_style, plt, save_figure

    T = ds.temperature.values
    with paper_style():
        fig, (a, b) = plt.subplots(1, 2, figsize=(7.2, 3.0), layout="constrained")
        colors = plt.cm.viridis(np.linspace(0, 0.9, ds.sizes["mesh"]))
        for c, n in zip(colors, ds.mesh.values):
            a.plot(T, ds.tau.sel(mesh=n, order="4"), "-o", ms=2.5, color=c, lw=1.1, label=f"{n}x{n}x{n}")
            a.plot(T, ds.tau.sel(mesh=n, order="2"), "--", color=c, lw=0.8)
        a.set_xscale("log")
        a.set_yscale("log")
        log_ticks(a.xaxis)
        a.set_xlabel("temperature (K)")
        a.set_ylabel(r"$\tau$ (s)")
        a.set_title("order 4 (Raman): solid; order 2: dashed", fontsize=7)
        a.legend(fontsize=6, frameon=False, title="q-mesh", title_fontsize=6)
        nq = ds.mesh.values ** 3
        last = ds.mesh.values[-1]
        for k, t in enumerate(T[[0, T.size // 2, T.size - 1]]):
            for o, ls, mk in (("4", "-", "s"), ("2", "--", "o")):
                ratio = ds.tau.sel(order=o, temperature=t) / ds.tau.sel(order=o, temperature=t, mesh=last)
                b.plot(nq, ratio, ls, marker=mk, ms=3, mfc="none", color=f"C{k}",
                       label=f"order {o}, {t:.3g} K")
        b.axhline(1.0, color="0.6", lw=0.6, ls=":")
        b.set_xscale("log")
        b.set_yscale("log")
        b.set_xlabel(r"q-points $N_q = n^3$")
        b.set_ylabel(rf"$\tau(n) / \tau({last}\times{last}\times{last})$")
        b.set_title("1x1x1 = Gamma only: no acoustic phonons", fontsize=7)
        b.legend(fontsize=5.5, frameon=False, ncol=2)
        save_figure(fig, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-mesh", type=int, default=6)
    parser.add_argument("--figure", default=str(ROOT / "docs" / "qmesh-convergence.png"))
    parser.add_argument("--nc", default=None, help="also write the taus to this netCDF file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ds = run_meshes(range(1, args.max_mesh + 1), Path(tmp))
    print(table(ds))
    plot(ds, Path(args.figure))
    if args.nc:
        from spinbath.io import atomic_write

        atomic_write(args.nc, lambda p: ds.to_netcdf(p, engine="h5netcdf"))
    print(f"wrote {args.figure}")


if __name__ == "__main__":
    main()
