"""Command line: ``spinbath run|plot|rerun|status|examples|example|demo``.

Bad input (config, files, names) prints one line ``error: ...`` on stderr and exits with code 2,
writing nothing. Results are written atomically (see :mod:`spinbath.io`). A config with a
``[sweep]`` section runs as a sweep (:mod:`spinbath.sweeps`): exit code 1 if any task failed.
Running a study and drawing a results file share their code with the Python API (:mod:`spinbath.api`).
"""

from __future__ import annotations

import argparse
import re
import sys
from importlib import resources
from pathlib import Path

from . import __version__
from .errors import ConfigError

EXIT_BAD_INPUT = 2


def _console():
    from rich.console import Console

    return Console(stderr=False, highlight=False)


def _say(args, *parts) -> None:
    if not args.quiet:
        _console().print(*parts)


def _example_names() -> dict[str, Path]:
    folder = resources.files("spinbath.examples")
    return {Path(p.name).stem: p for p in folder.iterdir() if p.name.endswith(".toml")}


def _example_description(text: str) -> str:
    """The example's opening comment (all its lines, joined), or "(no description)"."""
    lines = []
    for ln in text.splitlines():
        if ln.startswith("#"):
            lines.append(ln.lstrip("# ").strip())
        elif lines or ln.strip():
            break
    text = " ".join(x for x in lines if x)
    first = re.split(r"(?<=[.!?])\s+(?=[A-Z])", text, maxsplit=1)[0]  # its first sentence
    return first or "(no description)"


def _figure_path(results: Path, fmt: str) -> Path:
    return results.with_suffix(f".{fmt}")


def _run_config_text(text: str, source: str, out: Path, args, base_dir: Path | None = None) -> int:
    from .api import compute
    from .config import parse_config_text
    from .io import write_results

    study, cfg, sweep = parse_config_text(text, source=source, base_dir=base_dir, with_sweep=True)
    if sweep is not None:
        from .sweeps.runner import run_from_cli

        return run_from_cli(sweep, text, out, args)
    from .sweeps.execute import run_options

    # --scheduler/--workers/--serial also place work split into tasks inside one run (the
    # fourth-order pair sum of spin-phonon, the field nodes of hysteresis); the pair sum's
    # resumable run folders go beside the results.
    with run_options(scheduler=getattr(args, "scheduler", None), workers=getattr(args, "workers", None),
                     serial=getattr(args, "serial", False), results=str(out)):
        ds = compute(study, cfg, source)
    write_results(ds, out, study=study.name, config_toml=text)
    fig = None
    if not args.no_figure:
        fig = _figure_path(out, args.format)
        study.plot(ds, fig)
    _say(args, f"[bold]{study.name}[/bold]: wrote {out}" + (f" and {fig}" if fig else ""))
    if not args.quiet:
        _print_summary(study, ds)
    return 0


def _print_summary(study, ds) -> None:
    from rich.table import Table

    table = Table(title=f"{study.name} summary", show_header=False)
    for k, v in study.summary(ds):
        table.add_row(k, v)
    _console().print(table)


def cmd_run(args) -> int:
    from .config.loader import read_config_text

    cfg_path = Path(args.config)
    text = read_config_text(cfg_path)  # missing, unreadable or a results file: ConfigError
    out = Path(args.out) if args.out else Path.cwd() / (cfg_path.stem + ".nc")
    return _run_config_text(text, str(cfg_path), out, args, base_dir=cfg_path.parent)


def cmd_rerun(args) -> int:
    from .io import read_results

    src = Path(args.results)
    ds = read_results(src)
    if ds.attrs.get("study") in ("ac", "dc"):
        raise ConfigError(f"{src}: fits of measured data are made again with spinbath {ds.attrs['study']} "
                          "(the files and options are in the attribute config_toml)")
    out = Path(args.out) if args.out else src.with_name(src.stem + "-rerun.nc")
    return _run_config_text(ds.attrs["config_toml"], f"{src} (embedded config)", out, args, base_dir=src.parent)


def cmd_plot(args) -> int:
    from .api import draw
    from .io import read_results

    src = Path(args.results)
    ds = read_results(src)
    fig = Path(args.out) if args.out else _figure_path(src, args.format)
    if args.data:
        from .experiment.plot import plot_overlay

        data = read_results(args.data)
        if data.attrs.get("study") not in ("ac", "dc"):
            raise ConfigError(f"--data {args.data!r}: not an AC or DC results file of spinbath ac/dc")
        plot_overlay(ds, data, fig)
    else:
        draw(ds, fig, source=str(src))
    _say(args, f"wrote {fig}")
    return 0


def cmd_status(args) -> int:
    from .sweeps.status import format_status, sweep_status

    print(format_status(sweep_status(args.run_dir)))
    return 0


def cmd_examples(args) -> int:
    """A table of the built-in examples: name, study and the first sentence of their description."""
    rows = []
    for name, path in sorted(_example_names().items()):
        text = path.read_text()
        study = next((ln.split("=", 1)[1].strip().strip('"') for ln in text.splitlines() if ln.startswith("study")), "?")
        rows.append((name, study, _example_description(text)))
    wn = max(len(r[0]) for r in rows)
    ws = max(len(r[1]) for r in rows)
    import shutil
    import textwrap

    indent = wn + ws + 4
    width = max(shutil.get_terminal_size((100, 24)).columns, indent + 40)
    print(f"{'example':<{wn}}  {'study':<{ws}}  description")
    for name, study, desc in rows:
        lines = textwrap.wrap(desc, width - indent, break_on_hyphens=False) or [""]
        print(f"{name:<{wn}}  {study:<{ws}}  {lines[0]}")
        for more in lines[1:]:
            print(" " * indent + more)
    return 0


def cmd_example(args) -> int:
    names = _example_names()
    if args.name not in names:
        import difflib

        close = difflib.get_close_matches(args.name, list(names), n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ConfigError(f"no example named {args.name!r}; {hint}available: {', '.join(sorted(names))}")
    text = names[args.name].read_text()
    if args.write:
        from .io import atomic_write_bytes

        atomic_write_bytes(args.write, text.encode())
        _say(args, f"wrote {args.write}")
        # An example with input files keeps them in a folder of its name, referenced relative to
        # the config: copy it next to the written config so that it runs from there.
        data = resources.files("spinbath.examples") / args.name
        if data.is_dir():
            target = Path(args.write).parent / args.name
            target.mkdir(parents=True, exist_ok=True)
            for f in data.iterdir():
                if f.is_file():
                    atomic_write_bytes(target / f.name, f.read_bytes())
            _say(args, f"wrote its input files to {target}/")
    else:
        print(text, end="")
    return 0


DEMO_EXAMPLE = "dycp"


def cmd_demo(args) -> int:
    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    text = _example_names()[DEMO_EXAMPLE].read_text()
    (folder / f"{DEMO_EXAMPLE}.toml").write_text(text)
    _say(args, f"spinbath demo: running the '{DEMO_EXAMPLE}' example into {folder}/")
    return _run_config_text(text, f"example {DEMO_EXAMPLE}", folder / f"{DEMO_EXAMPLE}.nc", args)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="spinbath", description="Spin relaxation and decoherence of molecular magnets.")
    p.add_argument("--version", action="version", version=f"spinbath {__version__}")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars or summaries")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def figure_opts(sp):
        sp.add_argument("--format", choices=("png", "svg", "pdf"), default="png", help="figure format (default png)")

    def sweep_opts(sp):
        g = sp.add_argument_group("Dask (the tasks of a [sweep]; the fourth-order pair sum of spin-phonon; "
                                  "the field nodes of hysteresis)")
        g.add_argument("--scheduler", metavar="ADDRESS",
                       help="run the tasks on this dask.distributed scheduler, e.g. tcp://host:8786 "
                            "(default: $SPINBATH_SCHEDULER, else a local cluster)")
        g.add_argument("--workers", type=int, metavar="N",
                       help="local cluster size (default: one per core); with a scheduler, wait for N workers")
        g.add_argument("--serial", action="store_true", help="run the tasks one by one in this process (no Dask)")

    r = sub.add_parser("run", help="run a study from a TOML config; write results (.nc) and a figure")
    r.add_argument("config")
    r.add_argument("--out", help="results file (default: ./<config name>.nc)")
    r.add_argument("--no-figure", action="store_true", help="write the results file only")
    figure_opts(r)
    sweep_opts(r)
    r.set_defaults(func=cmd_run)

    pl = sub.add_parser("plot", help="redraw the figure of a results file")
    pl.add_argument("results")
    pl.add_argument("--out", help="figure path (format from its suffix)")
    pl.add_argument("--data", help="AC or DC results (spinbath ac/dc) to draw on the computed tau(T)")
    figure_opts(pl)
    pl.set_defaults(func=cmd_plot)

    rr = sub.add_parser("rerun", help="run again the config embedded in a results file")
    rr.add_argument("results")
    rr.add_argument("--out", help="results file (default: <results>-rerun.nc)")
    rr.add_argument("--no-figure", action="store_true")
    figure_opts(rr)
    sweep_opts(rr)
    rr.set_defaults(func=cmd_rerun)

    st = sub.add_parser("status", help="progress of a sweep: done / failed / pending tasks")
    st.add_argument("run_dir", metavar="RUN_DIR", help="the <results name>.sweep folder (or the results file)")
    st.set_defaults(func=cmd_status)

    ex = sub.add_parser("examples", help="list the built-in example configs")
    ex.set_defaults(func=cmd_examples)

    e1 = sub.add_parser("example", help="print (or --write) a built-in example config")
    e1.add_argument("name")
    e1.add_argument("--write", metavar="PATH", help="write the config to PATH instead of printing it")
    e1.set_defaults(func=cmd_example)

    d = sub.add_parser("demo", help="run the flagship example into ./spinbath-demo/ and print a summary")
    d.add_argument("--dir", default="spinbath-demo")
    d.add_argument("--no-figure", action="store_true")
    figure_opts(d)
    d.set_defaults(func=cmd_demo)

    from .analysis.fit_cli import add_fit_parser

    add_fit_parser(sub)
    from .experiment.cli import add_experiment_parsers

    add_experiment_parsers(sub)
    # -q also after the subcommand (``spinbath run c.toml -q``); SUPPRESS keeps a -q given before it.
    for sp in sub.choices.values():
        sp.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                        help="no progress bars or summaries")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``spinbath`` command; returns the exit code (2 for bad input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    from .progress import set_quiet

    set_quiet(args.quiet)
    try:
        return args.func(args)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted; nothing was written for the unfinished step", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
