"""Read a study config from TOML: ``study = "<name>"`` picks the schema, pydantic validates the rest."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import ValidationError

from .base import ConfigError, format_validation_error

__all__ = ["load_config", "parse_config_text", "read_config_text"]


def parse_config_text(text: str, source: str = "<config>", base_dir: str | Path | None = None,
                      with_sweep: bool = False):
    """Validate TOML text; return (study, config model). Raises ConfigError naming the key and reason.

    ``base_dir``: folder against which relative input paths in the config are resolved (default: cwd).
    A ``[sweep]`` section (any study; :mod:`spinbath.sweeps.spec`) is taken out before the rest is
    validated, then expanded and every task validated, so a bad sweep fails here like any bad key.
    The config model returned is the one without the sweep. ``with_sweep=True`` returns
    (study, config, sweep) with sweep None when the config has no such section.
    """
    from ..studies import get_study, study_names

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{source} is not valid TOML: {err}") from None
    name = data.get("study")
    if name is None:
        raise ConfigError(f"{source}: key 'study' is missing; one of: {', '.join(study_names())}")
    if not isinstance(name, str) or name not in study_names():
        raise ConfigError(f"{source}: study = {name!r} is not a known study; one of: {', '.join(study_names())}")
    study = get_study(name)
    sweep_section = data.pop("sweep", None)
    try:
        cfg = study.config_model.model_validate(
            data, context={"base_dir": None if base_dir is None else str(base_dir)})
    except ValidationError as err:
        raise ConfigError(f"{source}: " + format_validation_error(err, model=study.config_model)) from None
    sweep = None
    if sweep_section is not None:
        from ..sweeps.spec import expand_sweep

        sweep = expand_sweep(sweep_section, data, study, cfg, source=source, base_dir=base_dir)
    return (study, cfg, sweep) if with_sweep else (study, cfg)


def read_config_text(path: str | Path) -> str:
    """The text of a config file (UTF-8); ConfigError if it is missing or unreadable."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"config file {str(p)!r} does not exist")
    with open(p, "rb") as fh:
        magic = fh.read(8)
    if magic.startswith((b"\x89HDF", b"CDF")):
        raise ConfigError(f"{str(p)!r} is a results file (netCDF), not a TOML config; to run the config "
                          f"stored in it again use: spinbath rerun {p}")
    try:
        return p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"cannot read config file {str(p)!r}: {err}") from None


def load_config(path: str | Path):
    """Read and validate a TOML config file; return (study, config model, raw text)."""
    p = Path(path)
    text = read_config_text(p)
    study, cfg = parse_config_text(text, source=str(p), base_dir=p.parent)
    return study, cfg, text
