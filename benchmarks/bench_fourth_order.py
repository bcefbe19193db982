"""Benchmark: fourth-order spin-phonon rate superoperator for J = 15/2 (16 states).

For each number of modes, build ``SpinPhononRates`` once and compute R at 20 temperatures in one
sweep; print wall time, the number of (pair, Bohr-frequency cluster) combinations visited and the
peak resident memory of a fresh process. The speed-up over the plain reference loop
(``_fourth_order_reference``) is measured on a small size, where both agree to ~1e-12.

Model: axial + rhombic crystal field (Kramers doublets spread over ~1200 cm^-1), modes uniform in
20-3000 cm^-1, random Hermitian couplings (max |element| ~ 1 cm^-1), Gaussian width 10 cm^-1, all
seeded.

    python benchmarks/bench_fourth_order.py --quick            # 250 and 1000 modes
    python benchmarks/bench_fourth_order.py --sizes 250 1000 4000 16000
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

J = 7.5
D = 16


def crystal_field() -> np.ndarray:
    """B20 O_2^0 + B40 O_4^0 + B22 O_2^2 for J = 15/2 (cm^-1), built from Jz and J+-."""
    from spinbath.spins.operators import spin_matrices

    Jx, Jy, Jz = spin_matrices(J)
    X = J * (J + 1)
    eye = np.eye(D)
    Jp, Jm = Jx + 1j * Jy, Jx - 1j * Jy
    Jz2 = Jz @ Jz
    O20 = 3 * Jz2 - X * eye
    O40 = 35 * Jz2 @ Jz2 - (30 * X - 25) * Jz2 + (3 * X * X - 6 * X) * eye
    O22 = (Jp @ Jp + Jm @ Jm) / 2
    return -3.0 * O20 + 0.01 * O40 + 0.5 * O22


def model(n_modes: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    w = rng.uniform(20.0, 3000.0, n_modes)
    A = rng.normal(size=(n_modes, D, D)) + 1j * rng.normal(size=(n_modes, D, D))
    V = 0.25 * (A + A.conj().transpose(0, 2, 1))
    return crystal_field(), V, w


def run_size(n_modes: int, width: float, n_temps: int, seed: int) -> dict:
    """Runs in a fresh process so that its peak RSS belongs to this size alone."""
    from spinbath.quantum.spin_phonon import SpinPhononRates

    H, V, w = model(n_modes, seed)
    temps = np.linspace(5.0, 100.0, n_temps)
    t0 = time.perf_counter()
    m = SpinPhononRates(H, V, w, width)
    R = m.superoperator(temps, 4)
    wall = time.perf_counter() - t0
    pairs = sum(m.count_pairs().values())
    assert np.all(np.isfinite(R))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB -> MB on Linux
    return dict(n=n_modes, wall=wall, per_T=wall / n_temps, pairs=pairs, rss=rss)


def speedup(n_modes: int, width: float, seed: int) -> dict:
    from spinbath.quantum.spin_phonon import SpinPhononRates, _fourth_order_reference

    H, V, w = model(n_modes, seed)
    T = 50.0
    t0 = time.perf_counter()
    _, Rref = _fourth_order_reference(H, V, w, T, width)
    t_ref = time.perf_counter() - t0
    t0 = time.perf_counter()
    R = SpinPhononRates(H, V, w, width).superoperator(T, 4)
    t_fast = time.perf_counter() - t0
    err = float(np.abs(R - Rref).max() / np.abs(Rref).max())
    return dict(n=n_modes, t_ref=t_ref, t_fast=t_fast, err=err)


def in_fresh_process(fn, *args):
    with ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn")) as ex:
        return ex.submit(fn, *args).result()


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[250, 1000, 4000, 16000])
    ap.add_argument("--quick", action="store_true", help="only 250 and 1000 modes")
    ap.add_argument("--width", type=float, default=10.0, help="Gaussian width, cm^-1 (default 10)")
    ap.add_argument("--temperatures", type=int, default=20)
    ap.add_argument("--ref-modes", type=int, default=40, help="size of the speed-up comparison")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    sizes = [250, 1000] if args.quick else args.sizes

    print(f"fourth order, J = 15/2 (d = 16), {args.temperatures} temperatures, Gaussian width "
          f"{args.width} cm^-1, modes in 20-3000 cm^-1; {os.cpu_count()} CPU(s)")
    s = in_fresh_process(speedup, args.ref_modes, args.width, args.seed)
    print(f"reference loop vs fast sweep at {s['n']} modes, 1 temperature: {s['t_ref']:.2f} s vs "
          f"{s['t_fast']:.3f} s -> speed-up x{s['t_ref'] / s['t_fast']:.0f} (max rel. diff {s['err']:.1e})")
    print()
    print(f"{'n_modes':>8} {'pair-clusters':>14} {'wall (s)':>10} {'per T (s)':>10} {'peak RSS (MB)':>14}")
    for n in sizes:
        r = in_fresh_process(run_size, n, args.width, args.temperatures, args.seed)
        print(f"{r['n']:>8} {r['pairs']:>14.3e} {r['wall']:>10.2f} {r['per_T']:>10.3f} {r['rss']:>14.0f}",
              flush=True)


if __name__ == "__main__":
    main()
