"""AC susceptibility fits: 30 temperatures x 20 frequencies, each model, on one core.

Prints sweeps x frequencies, model, wall time (best of 3) and peak RSS. Target: < 2 s for the
generalized Debye model (issue: measured data in).
"""

from __future__ import annotations

import resource
import time

import numpy as np

from spinbath.experiment import AC_MODELS, ACData, ACSweep, fit_ac_all

TRUE = {"debye": [0.1, 1.0, -2.5], "generalized-debye": [0.1, 1.0, -2.5, 0.15],
        "havriliak-negami": [0.1, 1.0, -2.5, 0.1, 0.8], "two-debye": [0.05, 0.6, -1.0, 0.05, 0.4, -3.5, 0.05]}


def data(model: str, n_T: int = 30, n_f: int = 20) -> ACData:
    rng = np.random.default_rng(0)
    f = np.geomspace(0.1, 1e4, n_f)
    sweeps = []
    for k, T in enumerate(np.linspace(2, 20, n_T)):
        p = list(TRUE[model])
        p[2] += -0.1 * k  # tau falls with T
        chi = AC_MODELS[model].chi(f, p)
        e1, e2 = 0.02 * np.abs(chi.real) + 1e-4, 0.02 * np.abs(chi.imag) + 1e-4
        sweeps.append(ACSweep(T, 0.0, f, chi.real + e1 * rng.standard_normal(n_f), -chi.imag + e2 * rng.standard_normal(n_f),
                              e1, e2, "emu/Oe", "bench", np.arange(n_f)))
    return ACData(sweeps, "emu/Oe", ["bench"])


def main() -> None:
    print(f"{'sweeps x freqs':>15s} {'model':>18s} {'wall (s)':>9s} {'peak RSS (MB)':>14s}")
    for model in TRUE:
        d = data(model)
        best = np.inf
        for _ in range(3):
            t = time.perf_counter()
            fit_ac_all(d, model)
            best = min(best, time.perf_counter() - t)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{'30 x 20':>15s} {model:>18s} {best:9.3f} {rss:14.0f}")


if __name__ == "__main__":
    main()
