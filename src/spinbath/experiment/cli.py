"""``spinbath ac`` and ``spinbath dc``: magnetometer files to a results file and a figure."""

from __future__ import annotations

import sys
from pathlib import Path

from ..errors import ConfigError

__all__ = ["add_experiment_parsers"]


def _provenance(args, kind: str) -> str:
    """TOML text recording how the results were made (the results file's ``config_toml``)."""
    from .._toml import dumps

    cfg = {"command": kind, "files": [str(Path(f).resolve()) for f in args.files]}
    for key in ("model", "mass", "molar_mass", "diamagnetic", "tolerance", "skip_incomplete", "skip_short"):
        v = getattr(args, key, None)
        if v is not None:
            cfg[key] = v
    return dumps(cfg)


def _write(args, ds, kind: str) -> int:
    from ..io import write_results
    from .plot import plot_ac, plot_dc

    out = Path(args.out or f"{kind}.nc")
    write_results(ds, out, study=kind, config_toml=_provenance(args, kind))
    if not args.quiet:
        n_ok = int(ds.fit_ok.sum())
        n_in = int((ds.in_window * ds.fit_ok).sum())
        print(f"{kind}: {ds.sizes['temperature']} temperatures, {n_ok} fitted, {n_in} with tau in the "
              f"window; wrote {out}", file=sys.stderr)
        for msg in filter(None, str(ds.attrs.get("fit_messages", "")).split("\n")):
            print(f"warning: {msg}", file=sys.stderr)
    if args.plot:
        (plot_ac if kind == "ac" else plot_dc)(ds, args.plot)
    return 0 if int(ds.fit_ok.sum()) == ds.sizes["temperature"] else 1


def cmd_ac(args) -> int:
    from .readers import ACData, read_ac
    from .ac_fit import fit_ac_all
    from .models import AC_MODELS

    if args.model not in AC_MODELS:
        raise ConfigError(f"--model {args.model!r}: use one of {', '.join(AC_MODELS)}")
    parts = [read_ac(f, mass_mg=args.mass, molar_mass=args.molar_mass, diamagnetic=args.diamagnetic,
                     temperature_tolerance=args.tolerance, skip_incomplete=args.skip_incomplete) for f in args.files]
    units = {p.units for p in parts}
    if len(units) > 1:
        raise ConfigError(f"the files give chi in different units ({', '.join(sorted(units))}); give --mass and "
                          "--molar-mass for all or none")
    data = ACData([s for p in parts for s in p.sweeps], units.pop(), [s for p in parts for s in p.sources],
                  [n for p in parts for n in p.notes])
    return _write(args, fit_ac_all(data, args.model, skip_short=args.skip_short), "ac")


def cmd_dc(args) -> int:
    from .dc_fit import fit_dc_all
    from .readers import read_dc

    decays = [d for f in args.files
              for d in read_dc(f, temperature_tolerance=args.tolerance, skip_incomplete=args.skip_incomplete)]
    return _write(args, fit_dc_all(decays, skip_short=args.skip_short), "dc")


def _add_skip_options(parser, what: str) -> None:
    parser.add_argument("--skip-incomplete", action="store_true",
                        help="drop rows with a missing or non-numeric value (listed as warnings) instead of stopping")
    parser.add_argument("--skip-short", action="store_true",
                        help=f"drop {what} with too few points to fit (listed as warnings) instead of stopping")


def add_experiment_parsers(sub) -> None:
    """The ``ac`` and ``dc`` subcommands."""
    ac = sub.add_parser("ac", help="fit AC susceptibility files (MPMS3, MPMS-XL, tables): tau(T), alpha, ...")
    ac.add_argument("files", nargs="+", help="data files")
    ac.add_argument("--model", default="generalized-debye",
                    help="debye, generalized-debye (default), havriliak-negami or two-debye")
    ac.add_argument("--mass", type=float, help="sample mass in mg (molar chi with --molar-mass)")
    ac.add_argument("--molar-mass", type=float, help="molar mass in g/mol")
    ac.add_argument("--diamagnetic", type=float, help="diamagnetic correction in cm^3/mol (needs a molar chi)")
    ac.add_argument("--tolerance", type=float, default=0.1, help="temperature tolerance of a sweep, K")
    ac.add_argument("--out", help="results file (default ac.nc)")
    ac.add_argument("--plot", help="figure path (png, svg or pdf)")
    _add_skip_options(ac, "sweeps")
    ac.set_defaults(func=cmd_ac)
    dc = sub.add_parser("dc", help="fit DC magnetization decays: stretched-exponential tau(T)")
    dc.add_argument("files", nargs="+", help="data files")
    dc.add_argument("--tolerance", type=float, default=0.1, help="temperature tolerance of a decay, K")
    dc.add_argument("--out", help="results file (default dc.nc)")
    dc.add_argument("--plot", help="figure path (png, svg or pdf)")
    _add_skip_options(dc, "decays")
    dc.set_defaults(func=cmd_dc)
