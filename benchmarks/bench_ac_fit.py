"""AC susceptibility fits on one core: sweeps x frequencies, each model, wall time and peak memory.

    python benchmarks/bench_ac_fit.py [--sweeps 30] [--frequencies 20] [--repeat 3]

Synthetic sweeps (0.1 Hz - 10 kHz, 2 % noise with standard errors, tau falling from 10^-1 to 10^-4 s
over the temperatures, some sweeps with tau outside the window) go through
``spinbath.experiment.fit_ac_all``, which builds the whole results Dataset. Printed: model, sweeps x
frequencies, wall time (best of ``--repeat``), time per sweep, peak Python memory of one call
(tracemalloc) and the process's peak RSS. Target (issue: measured data in): < 2 s for 30 x 20 with
the generalized Debye model. BLAS threads are pinned to one before numpy loads.
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402

import numpy as np  # noqa: E402

from spinbath.experiment import AC_MODELS, ACData, ACSweep, fit_ac_all  # noqa: E402

TRUE = {"debye": [0.1, 1.0, -1.0], "generalized-debye": [0.1, 1.0, -1.0, 0.15],
        "havriliak-negami": [0.1, 1.0, -1.0, 0.1, 0.8], "two-debye": [0.05, 0.6, -1.0, 0.05, 0.4, -3.0, 0.05]}


def data(model: str, n_T: int, n_f: int) -> ACData:
    rng = np.random.default_rng(0)
    f = np.geomspace(0.1, 1e4, n_f)
    sweeps = []
    for k, T in enumerate(np.linspace(2, 20, n_T)):
        p = list(TRUE[model])
        p[2] -= 3.5 * k / max(n_T - 1, 1)  # log10 tau from -1 down to -4.5 (the window ends at -4.8)
        chi = AC_MODELS[model].chi(f, p)
        e1, e2 = 0.02 * np.abs(chi.real) + 1e-4, 0.02 * np.abs(chi.imag) + 1e-4
        sweeps.append(ACSweep(T, 0.0, f, chi.real + e1 * rng.standard_normal(n_f),
                              -chi.imag + e2 * rng.standard_normal(n_f), e1, e2, "emu/Oe", "bench", np.arange(n_f)))
    return ACData(sweeps, "emu/Oe", ["bench"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sweeps", type=int, default=30)
    ap.add_argument("--frequencies", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print(f"{'model':>18s} {'sweeps x freqs':>15s} {'wall (s)':>9s} {'ms/sweep':>9s} {'fit_ok':>7s} "
          f"{'peak py (MB)':>13s} {'peak RSS (MB)':>14s}")
    for model in TRUE:
        d = data(model, args.sweeps, args.frequencies)
        fit_ac_all(d, model)  # warm-up (imports, caches)
        best = np.inf
        for _ in range(args.repeat):
            t = time.perf_counter()
            ds = fit_ac_all(d, model)
            best = min(best, time.perf_counter() - t)
        tracemalloc.start()
        fit_ac_all(d, model)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        size = f"{args.sweeps} x {args.frequencies}"
        print(f"{model:>18s} {size:>15s} {best:9.3f} {1e3 * best / args.sweeps:9.1f} "
              f"{int(ds.fit_ok.sum()):>3d}/{args.sweeps:<3d} {peak:13.1f} {rss:14.0f}")


if __name__ == "__main__":
    main()
