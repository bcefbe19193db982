"""Tuning table of the DyCp MODEL phonon bath (spinbath.baths.model_baths.dycp_model_bath).

Prints tau(T) of the ground-doublet magnetization for orders 2, 4 and 2+4 at zero field (and 2+4
with a small probe field along z), the effective barriers (slope of ln tau against 1/T, times k_B)
over several temperature windows, the low-temperature power law, the wall time of one order-2+4
temperature sweep, and optionally the spread over seeds. The defaults of ``dycp_model_bath``
(seed, scale, cutoff) and ``DEFAULT_WIDTH_CM`` were chosen with this script.

tau is computed as the tests do it: M = U^H (g_J Jz) U in the eigenbasis, tau = relaxation_time(R,
E, M). Each value is cross-checked by an independent route: the zero-Bohr-frequency block of R
(populations and coherences of degenerate levels) is reduced onto the ground doublet by a Schur
complement, R_eff = R_gg - R_ge (R_ee - lambda)^-1 R_eg (one fixed-point step in lambda), and tau is
the magnetization mode of that 4x4 generator. Rows where the two differ by more than 1 % are marked
"*"; a value whose rate is below 100 times the round-off floor of the reduced generator (its
stationary eigenvalue, exactly 0 in exact arithmetic) is printed as "unresolved".

    python benchmarks/tune_dycp_model.py                 # default model, 22 temperatures 10-150 K
    python benchmarks/tune_dycp_model.py --seeds 6       # plus the spread over 6 seeds
    python benchmarks/tune_dycp_model.py --scale 0.01 --eta 3
    python benchmarks/tune_dycp_model.py --scale 0.0128 --rolloff 300   # the hysteresis example's bath
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from spinbath.analysis.arrhenius import arrhenius_fit
from spinbath.baths.model_baths import (
    DEFAULT_CUTOFF_CM, DEFAULT_SCALE, DEFAULT_SEED, DEFAULT_WIDTH_CM, dycp_model_bath,
)
from spinbath.config.spin import builtin_crystal_field
from spinbath.quantum.relaxation import relaxation_time
from spinbath.quantum.spin_phonon import DEFAULT_ETA, SpinPhononRates
from spinbath.spins.hamiltonian import SpinHamiltonian
from spinbath.units import KB_CM

U_EFF_EXP_CM = 1223.0  # Goodwin et al., Nature 548, 439 (2017); spinbath/data/dycp_cf.json
TEMPERATURES = np.array([10, 12, 15, 17.5, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 77, 85, 90,
                         100, 110, 125, 150], dtype=float)
ORDERS = ("2", "4", "2+4")
WINDOWS = ((60.0, 77.0), (65.0, 90.0), (77.0, 110.0), (90.0, 150.0))


def spin_hamiltonian() -> SpinHamiltonian:
    cf = builtin_crystal_field("dycp")
    return SpinHamiltonian.single_ion(cf["J"], cf["B"], g=cf["gJ"])


def reduced_tau(R: np.ndarray, E: np.ndarray, M: np.ndarray, tol: float = 1e-3) -> tuple[float, float]:
    """(tau, floor): tau from the ground-doublet Schur complement of the zero-frequency block of R,
    and the round-off floor |lambda_0| (s^-1) of the reduced generator. See the module docstring."""
    d = E.size
    W = E[:, None] - E[None, :]
    block = [a + d * b for b in range(d) for a in range(d) if abs(W[a, b]) < tol]
    g = [a + d * b for b in range(2) for a in range(2)]
    e = [i for i in block if i not in g]
    Rgg, Rge, Reg, Ree = (R[np.ix_(x, y)] for x, y in ((g, g), (g, e), (e, g), (e, e)))
    Reff = Rgg - Rge @ np.linalg.solve(Ree, Reg)  # lambda = 0: trace preserving, one zero eigenvalue
    floor = float(np.abs(np.linalg.eigvals(Reff)).min())
    tau = relaxation_time(Reff, E[:2], M[:2, :2], group_rtol=0.0)
    if np.isfinite(tau):  # one fixed-point step at the magnetization eigenvalue
        Reff = Rgg - Rge @ np.linalg.solve(Ree + np.eye(len(e)) / tau, Reg)
        tau = relaxation_time(Reff, E[:2], M[:2, :2], group_rtol=0.0)
    return tau, floor


class Model:
    """H, bath and rates of one (seed, scale, ...) choice, with the magnetization operator."""

    def __init__(self, seed, scale, cutoff, width, eta, field_z=0.0, rolloff=None):
        self.h = spin_hamiltonian()
        self.bath = dycp_model_bath(seed=seed, scale=scale, cutoff_cm=cutoff, rolloff_cm=rolloff)
        self.rates = SpinPhononRates.from_bath(self.h.matrix((0.0, 0.0, field_z)), self.bath, width, eta=eta)
        U = self.rates.eigenvectors
        self.M = U.conj().T @ self.h.magnetic_moment[2] @ U

    def taus(self, temps, order):
        """(tau from relaxation_time, tau from the reduction, resolved?) per temperature."""
        E = self.rates.energies
        out = []
        for R in self.rates.superoperator(temps, order):
            tau = relaxation_time(R, E, self.M)
            tau_red, floor = reduced_tau(R, E, self.M)
            resolved = np.isfinite(tau_red) and 1.0 / tau_red > 100.0 * floor
            out.append((tau, tau_red, resolved))
        return out


def fit_barrier(T, tau, lo, hi):
    """(U_eff in cm^-1, tau_0 in s) from ln tau = ln tau_0 + U_eff/(k_B T) over lo <= T <= hi."""
    sel = (T >= lo) & (T <= hi) & np.isfinite(tau)
    if sel.sum() < 2:
        return np.nan, np.nan
    fit = arrhenius_fit(T[sel], tau[sel])
    return fit.U_K * KB_CM, fit.tau0


def fit_power(T, tau, lo, hi):
    """n of tau ~ T^-n over lo <= T <= hi."""
    sel = (T >= lo) & (T <= hi) & np.isfinite(tau)
    return -np.polyfit(np.log(T[sel]), np.log(tau[sel]), 1)[0]


def fmt(tau, tau_red, resolved):
    if not resolved:
        return f"{'unresolved':>11} "
    flag = "*" if not np.isclose(tau, tau_red, rtol=1e-2) else " "
    return f"{tau:11.3e}{flag}"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--scale", type=float, default=DEFAULT_SCALE)
    ap.add_argument("--cutoff", type=float, default=DEFAULT_CUTOFF_CM, help="w_c of exp(-w/w_c), cm^-1")
    ap.add_argument("--rolloff", type=float, default=None, help="soft-mode roll-off w_r, cm^-1 (default none)")
    ap.add_argument("--width", type=float, default=DEFAULT_WIDTH_CM, help="Gaussian width, cm^-1")
    ap.add_argument("--eta", type=float, default=DEFAULT_ETA, help="fourth-order regularization, cm^-1")
    ap.add_argument("--probe-field", type=float, default=0.01, help="Bz (T) of the extra 2+4 column")
    ap.add_argument("--seeds", type=int, default=0, help="also show the spread over this many seeds")
    args = ap.parse_args(argv)
    T = TEMPERATURES

    print(f"DyCp MODEL bath: seed {args.seed}, scale {args.scale:g}, cutoff {args.cutoff:g} cm^-1, "
          f"roll-off {'none' if args.rolloff is None else f'{args.rolloff:g} cm^-1'}; "
          f"Gaussian width {args.width:g} cm^-1, eta {args.eta:g} cm^-1; {os.cpu_count()} CPU(s)")
    t0 = time.perf_counter()
    model = Model(args.seed, args.scale, args.cutoff, args.width, args.eta, rolloff=args.rolloff)
    sweep = {"2+4": model.taus(T, "2+4")}  # first: pays for the fourth-order pair data
    wall = time.perf_counter() - t0
    sweep["2"] = model.taus(T, "2")
    sweep["4"] = model.taus(T, "4")
    probe = Model(args.seed, args.scale, args.cutoff, args.width, args.eta, args.probe_field,
                  rolloff=args.rolloff).taus(T, "2+4")
    doublets = model.rates.energies[::2] - model.rates.energies[0]
    print(f"Kramers doublets (cm^-1): {np.array2string(doublets, precision=1, separator=', ')}")
    print(f"{model.bath.n_modes} modes in {model.bath.energies_cm.min():.1f}-{model.bath.energies_cm.max():.1f} "
          f"cm^-1; pair-clusters visited at fourth order: {sum(model.rates.count_pairs().values()):.3e}")
    print(f"wall time, bath + rates + tau at {T.size} temperatures, order 2+4 (fresh model): {wall:.1f} s\n")

    print(f"{'T (K)':>6} {'tau_2 (s)':>12} {'tau_4 (s)':>12} {'tau_2+4 (s)':>12} {f'2+4, {args.probe_field:g} T':>12}")
    for k, temp in enumerate(T):
        row = "".join(fmt(*sweep[o][k]) for o in ORDERS)
        print(f"{temp:6.1f} {row}{fmt(*probe[k])}")
    print("(* relaxation_time and the ground-doublet reduction differ by > 1 %; unresolved: below the "
          "round-off floor)\n")

    def arr(rows):
        return np.array([t if ok else np.nan for t, _, ok in rows])

    print(f"effective barrier U_eff (cm^-1) and tau_0 (s) from ln tau vs 1/T; experiment {U_EFF_EXP_CM:g} cm^-1")
    series = {o: arr(sweep[o]) for o in ORDERS}
    series[f"2+4, {args.probe_field:g} T"] = arr(probe)
    print(f"{'window (K)':>12} " + "".join(f"{name:>22}" for name in series))
    for lo, hi in WINDOWS:
        cells = "".join("{:>10.0f} ({:8.1e})  ".format(*fit_barrier(T, tau, lo, hi)) for tau in series.values())
        print(f"{f'{lo:g}-{hi:g}':>12} {cells}")
    print("\nlow-temperature power law tau ~ T^-n (10-40 K): "
          + ", ".join(f"{name}: n = {fit_power(T, tau, 10, 40):.1f}" for name, tau in series.items() if name != "2"))
    k77 = int(np.flatnonzero(T == 77.0)[0])
    print(f"tau(77 K), order 2+4: {series['2+4'][k77]:.3g} s (zero field), "
          f"{series[f'2+4, {args.probe_field:g} T'][k77]:.3g} s ({args.probe_field:g} T along z)")

    if args.seeds:
        Ts = np.array([20.0, 40.0, 77.0, 90.0, 110.0])
        print(f"\nspread over seeds (order 2+4): tau at {Ts.astype(int).tolist()} K, U_eff over 77-110 K")
        for Bz in (0.0, args.probe_field):
            print(f"  Bz = {Bz:g} T")
            for seed in [args.seed] + [s for s in range(args.seeds) if s != args.seed][: args.seeds - 1]:
                m = Model(seed, args.scale, args.cutoff, args.width, args.eta, Bz, rolloff=args.rolloff)
                tau = arr(m.taus(Ts, "2+4"))
                u, _ = fit_barrier(Ts, tau, 77, 110)
                print(f"  seed {seed:>6}: " + " ".join(f"{x:9.2e}" for x in tau) + f"   U_eff {u:6.0f} cm^-1")


if __name__ == "__main__":
    main()
