"""The Python API: run a study as ``spinbath run`` does, open a results file, draw its figure.

    import spinbath
    ds = spinbath.run("spectrum.toml")          # or TOML text, a dict, or a config object
    ds = spinbath.load("spectrum.nc")           # a results file (of the CLI or of run(..., out=...))
    fig = spinbath.plot(ds, "spectrum.png")     # the matplotlib Figure (shown inline in a notebook)

:func:`run` returns the Dataset that ``spinbath run`` writes to its results file: the same variables
and coordinates and the same global attributes (``study``, ``config_toml``: the config as TOML text,
``spinbath_version``). The command line calls :func:`compute` and :func:`draw` from here, so the two
cannot drift apart. Bad input raises :class:`~spinbath.ConfigError` whose message is the line
the command line prints after ``error:``.

Config objects are the studies' pydantic models (``spinbath.studies.SpectrumConfig`` etc.), built
with keyword arguments; quantities accept numbers in the working unit (see the Conventions page,
docs/conventions.md) or unit strings ("2 T").
"""

from __future__ import annotations

import io
import os
import tempfile
import warnings
from collections.abc import Mapping
from contextlib import nullcontext
from pathlib import Path

__all__ = ["run", "load", "plot", "compute", "draw", "config_toml"]


def run(config, *, out=None, scheduler=None, workers=None, serial=False, quiet=False):
    """Run a study; return its results as an ``xarray.Dataset`` (what ``spinbath run`` writes).

    Parameters
    ----------
    config
        A path to a ``.toml`` config (``str`` or ``Path``), TOML text, a dict (the parsed TOML), or
        a study's config object (e.g. ``spinbath.studies.SpectrumConfig(...)``). Relative input
        paths inside the config are resolved against the config file's folder (path) or the
        current folder (text, dict, object), as on the command line.
    out
        Also write the results file there (atomically, config embedded), as ``spinbath run --out``
        does. For a sweep the run folder ``<out>.sweep/`` is kept beside it, so running again
        resumes from its checkpoints; without ``out`` a sweep runs in a temporary folder.
    scheduler, workers, serial
        Where the tasks of a config with a ``[sweep]`` section run, as the command-line options of
        the same names (default: ``$SPINBATH_SCHEDULER``, else a local Dask cluster with one worker
        per core; a script that starts one must do so under ``if __name__ == "__main__":``).
        Without ``[sweep]``, ``scheduler`` or ``workers`` put the fourth-order pair sum of a
        ``spin-phonon`` config (``[method.pair_sum]``) or the field nodes of a ``hysteresis``
        config (``[method.field_nodes]``) on Dask; other studies ignore them.
    quiet
        No progress bars.

    Returns
    -------
    xarray.Dataset
        Every variable and coordinate has a ``units`` attribute; the global attributes are those
        of the results file. For a config given as a dict or an object, ``config_toml`` is TOML
        text that validates to the same config. Sweep tasks that failed are NaN in the dataset,
        with a ``RuntimeWarning`` listing them (``RuntimeError`` if none finished).

    Raises
    ------
    spinbath.ConfigError
        Bad config (the message names the key and the reason), missing file, unknown study.
    """
    from .progress import is_quiet, set_quiet

    was_quiet = is_quiet()
    set_quiet(quiet)
    try:
        return _run(config, out=out, scheduler=scheduler, workers=workers, serial=serial, quiet=quiet)
    finally:
        set_quiet(was_quiet)


def load(path):
    """Open a results file (``.nc``) written by ``spinbath run`` or :func:`run`: a fully loaded Dataset.

    Raises :class:`~spinbath.ConfigError` if the file is missing or not a spinbath results file.
    """
    from .io import read_results

    return read_results(path)


def plot(ds, path=None, format=None):
    """The figure of a results Dataset (a study's, or the sweep figure); a ``matplotlib.figure.Figure``.

    ``path``: also save it there, atomically, in ``format`` ("png", "svg" or "pdf"; default: the
    suffix of ``path``), exactly as ``spinbath plot`` draws it. The figure is closed in pyplot (no
    figure piles up, and a notebook shows it once: the inline backend displays the returned Figure).
    """
    from .config import ConfigError
    from .plotting import capture_figure, figure_format, plt

    fmt = None
    if path is not None:
        try:
            fmt = figure_format(path, format)
        except ValueError as err:
            raise ConfigError(f"{path}: {err}") from None
    with capture_figure(path, fmt) as captured:
        draw(ds, Path(path) if path is not None else Path("figure.png"), source="the dataset")
    if captured.figure is None:  # pragma: no cover - every study's plot saves its figure
        raise RuntimeError(f"the plot of study {ds.attrs.get('study')!r} drew no figure")
    plt.close(captured.figure)
    return captured.figure


# ----------------------------------------------------------------------------------------------
# Shared with the command line
# ----------------------------------------------------------------------------------------------

def compute(study, cfg, source: str):
    """``study.run(cfg)``; a ValueError raised while building the model from a validated config (e.g. a
    non-Hermitian coupling file) becomes a ConfigError prefixed by ``source``."""
    from .config import ConfigError

    try:
        return study.run(cfg)
    except ConfigError:
        raise
    except ValueError as err:
        raise ConfigError(f"{source}: {err}") from None


def draw(ds, path, source: str) -> None:
    """Draw the figure of a results Dataset into ``path``: the sweep figure for a sweep, else the study's."""
    from .config import ConfigError
    from .studies import get_study, study_names

    name = ds.attrs.get("study")
    if name in ("ac", "dc"):  # measured data (spinbath ac/dc), not a study
        from .experiment.plot import plot_ac, plot_dc

        (plot_ac if name == "ac" else plot_dc)(ds, path)
        return
    if name not in study_names():
        raise ConfigError(f"{source}: unknown study {name!r}")
    if "sweep" in ds.attrs:
        from .sweeps.plot import plot_sweep

        plot_sweep(get_study(name), ds, path)
    else:
        get_study(name).plot(ds, path)


def config_toml(cfg) -> str:
    """TOML text of a study's config object that validates to the same config (what :func:`run` embeds).

    Written from the fields that were set (defaults left implicit), else from all fields; warns if
    neither reads back as the same config (then ``spinbath rerun`` of the results may differ).
    """
    from ._toml import dumps
    from .config import ConfigError, parse_config_text
    from .sweeps.tasks import canonical_config

    want = canonical_config(cfg)
    text = None
    for dump in (lambda: cfg.model_dump(mode="python", exclude_unset=True), lambda: cfg.model_dump(mode="python")):
        try:
            text = dumps(dump())
            _, again = parse_config_text(text, source="<config object>")
        except (TypeError, ConfigError):
            continue
        if canonical_config(again) == want:
            return text
    warnings.warn(f"the {type(cfg).__name__} object cannot be written as TOML that reads back as the same "
                  "config; the config_toml attribute of the results is approximate", RuntimeWarning, stacklevel=3)
    return text or ""


# ----------------------------------------------------------------------------------------------
# run
# ----------------------------------------------------------------------------------------------

def _run(config, *, out, scheduler, workers, serial, quiet):
    from .config import parse_config_text

    study_and_cfg = _config_object(config)
    if study_and_cfg is not None:
        study, cfg = study_and_cfg
        text = config_toml(cfg)
        with _run_options(out, scheduler, workers, serial):
            ds = compute(study, cfg, f"{type(cfg).__name__} object")
        return _results(ds, study, text, out)
    text, source, base_dir = _config_text(config)
    study, cfg, sweep = parse_config_text(text, source=source, base_dir=base_dir, with_sweep=True)
    if sweep is not None:
        return _run_sweep(sweep, text, out, scheduler=scheduler, workers=workers, serial=serial, quiet=quiet)
    with _run_options(out, scheduler, workers, serial):
        ds = compute(study, cfg, source)
    return _results(ds, study, text, out)


def _run_options(out, scheduler, workers, serial):
    """The cluster options for work split into tasks inside one study run (the fourth-order pair sum)."""
    from .sweeps.execute import run_options

    return run_options(scheduler=scheduler, workers=workers, serial=serial,
                       results=None if out is None else str(out))


def _config_object(config):
    """(study, config) for a study's config object, None for other inputs."""
    try:
        from pydantic import BaseModel
    except ImportError:  # pragma: no cover
        return None
    if not isinstance(config, BaseModel):
        return None
    from .studies import get_study, study_names

    name = getattr(config, "study", None)
    if name not in study_names() or not isinstance(config, get_study(name).config_model):
        raise TypeError(f"spinbath.run needs a whole study config (e.g. spinbath.studies.SpectrumConfig), "
                        f"not a {type(config).__name__}")
    return get_study(name), config


def _config_text(config) -> tuple[str, str, Path | None]:
    """(TOML text, source named in messages, base folder of relative paths) of a path, text or dict."""
    from .config import ConfigError

    if isinstance(config, Mapping):
        from ._toml import dumps

        try:
            return dumps(config), "<config dict>", None
        except TypeError as err:
            raise ConfigError(f"<config dict>: {err}") from None
    if isinstance(config, str) and _is_toml_text(config):
        return config, "<config text>", None
    if isinstance(config, (str, os.PathLike)):
        from .config.loader import read_config_text

        p = Path(config)
        return read_config_text(p), str(p), p.parent
    raise TypeError(f"spinbath.run takes a config path, TOML text, a dict or a study config object, "
                    f"not a {type(config).__name__}")


def _is_toml_text(s: str) -> bool:
    """TOML text (several lines, or a one-line ``key = value``) rather than the path of a file."""
    return "\n" in s or ("=" in s and not Path(s).is_file())


def _results(ds, study, text: str, out):
    from .io import results_dataset, write_results

    if out is not None:
        write_results(ds, out, study=study.name, config_toml=text)
    return results_dataset(ds, study=study.name, config_toml=text)


def _run_sweep(sweep, text: str, out, *, scheduler, workers, serial, quiet):
    from .io import read_results
    from .sweeps.execute import choose_backend
    from .sweeps.runner import report_failures, run_sweep

    backend = choose_backend(serial=serial, scheduler=scheduler, workers=workers)
    with (nullcontext(None) if out is not None else tempfile.TemporaryDirectory(prefix="spinbath-sweep-")) as tmp:
        target = Path(out) if out is not None else Path(tmp) / "sweep.nc"
        result = run_sweep(sweep, text, target, backend=backend, figure=None, quiet=quiet)
        if result.failures:
            lines = [f"task {t.index} ({t.describe()}): {err}" for t, err in result.failures]
            if out is not None:
                buf = io.StringIO()
                report_failures(result, file=buf)
                lines.append(buf.getvalue().strip().removeprefix("error: "))
            message = f"{len(result.failures)} of {result.tasks} sweep tasks failed:\n" + "\n".join(lines)
            if result.results is None:
                raise RuntimeError(message)
            warnings.warn(message + "\ntheir entries in the dataset are NaN", RuntimeWarning, stacklevel=3)
        return read_results(result.results)
