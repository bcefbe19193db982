"""The ``spinbath fit`` command: fit tau(T) data to a sum of relaxation laws.

    spinbath fit DATA [--model orbach+raman+qtm] [--select order=4] [--tmin K] [--tmax K]
                      [--out fit.json] [--plot fit.png]

DATA is a text/CSV table (T, tau[, err][, H]) or a netCDF results file with a variable tau
(:mod:`spinbath.analysis.tau_data`; for spin-phonon results the order defaults to "2+4").
The command prints a table of the fitted parameters; it writes only what is asked for: ``--out``
the JSON summary (:meth:`spinbath.analysis.fit.FitResult.as_dict`), ``--plot`` the figure, both
atomically and only after the fit succeeded. Bad input raises ConfigError (``error: ...``, exit 2).
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import ConfigError

__all__ = ["add_fit_parser", "cmd_fit", "DEFAULT_MODEL"]

DEFAULT_MODEL = "orbach+raman+qtm"


def add_fit_parser(subparsers) -> None:
    """Add the ``fit`` subcommand to an argparse subparsers object (``set_defaults(func=cmd_fit)``)."""
    from .relaxation_laws import TERMS

    f = subparsers.add_parser(
        "fit", help="fit tau(T) (text/CSV table or results file) to Orbach/Raman/QTM/direct/vibronic laws",
        description="Weighted least squares on log10(1/tau); parameter errors from the Jacobian "
                    "(scaled by the reduced chi^2 when the data have no errors).")
    f.add_argument("data", help="T,tau[,err] table (K, s) or a netCDF results file with a variable tau")
    f.add_argument("--model", default=DEFAULT_MODEL,
                   help=f"sum of terms joined by '+' (default {DEFAULT_MODEL}); terms: {', '.join(TERMS)}")
    f.add_argument("--select", action="append", metavar="DIM=VALUE",
                   help="pick one value of a results-file dimension, e.g. order=4 (default order: 2+4)")
    f.add_argument("--tmin", type=float, help="fit only T >= TMIN (K)")
    f.add_argument("--tmax", type=float, help="fit only T <= TMAX (K)")
    f.add_argument("--out", help="write the fit summary as JSON to this path")
    f.add_argument("--plot", help="write the figure to this path (.png, .svg or .pdf)")
    f.set_defaults(func=cmd_fit)


def _print_table(result) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(highlight=False)
    # escape: a selection label "[order=4]" would otherwise be read as rich markup and vanish.
    table = Table(title=escape(f"{result.model.name} fit of {result.data.label}"))
    for col, justify in (("parameter", "left"), ("value", "right"), ("std. error", "right"), ("unit", "left")):
        table.add_column(col, justify=justify)
    derived = result.derived
    after = {"U_eff": "U_eff_cm", "w": "w_K"}  # each converted value right below its parameter
    for name, est in result.parameters.items():
        for e in (est, derived.get(after.get(name, ""))):
            if e is not None:
                table.add_row(e.name, f"{e.value:.5g}", f"{e.stderr:.2g}", e.unit)
    console.print(table)
    console.print(
        f"N = {result.data.size}, chi^2 = {result.chi2:.4g}, reduced chi^2 = {result.reduced_chi2:.4g} "
        f"({'weighted by err' if result.weighted else 'unweighted; errors scaled by the reduced chi^2'})")
    if not result.success:
        console.print(f"[yellow]the best fit did not converge:[/yellow] {escape(result.message)}")
    if result.undetermined:
        console.print(f"[yellow]not determined by the data:[/yellow] {', '.join(result.undetermined)} "
                      "(infinite standard error; try fewer terms or a wider T range)")


def cmd_fit(args) -> int:
    """Run the fit for parsed ``args`` (see :func:`add_fit_parser`); returns 0. Bad input: ConfigError."""
    from ..io import atomic_write_bytes
    from .fit import fit_relaxation
    from .relaxation_laws import parse_model
    from .tau_data import read_tau_data

    model = parse_model(args.model)  # an unknown term is reported before the file is read
    for opt in ("out", "plot"):
        if getattr(args, opt, None) and Path(getattr(args, opt)).is_dir():
            raise ConfigError(f"--{opt} {getattr(args, opt)!r} is a folder; give a file path")
    if args.plot and Path(args.plot).suffix.lower() not in (".png", ".svg", ".pdf"):
        raise ConfigError(f"--plot {args.plot!r}: use a .png, .svg or .pdf file name")
    if args.tmin is not None and args.tmax is not None and args.tmin > args.tmax:
        raise ConfigError(f"--tmin {args.tmin:g} is above --tmax {args.tmax:g}")
    data = read_tau_data(args.data, args.select, tmin=args.tmin, tmax=args.tmax)
    result = fit_relaxation(data, model)
    if args.out:
        text = json.dumps(result.as_dict(), indent=2) + "\n"
        atomic_write_bytes(args.out, text.encode())
    if args.plot:
        from .fit_plot import plot_fit

        plot_fit(result, args.plot)
    if not getattr(args, "quiet", False):
        _print_table(result)
        written = [p for p in (args.out, args.plot) if p]
        if written:
            print(f"wrote {' and '.join(written)}")
    return 0
