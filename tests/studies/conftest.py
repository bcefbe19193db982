"""Shared helper of the study tests: run a config through the CLI into a folder."""

from __future__ import annotations

from pathlib import Path

from spinbath.cli import main


def _run_config(folder: Path, text: str, name: str = "c") -> tuple[int, Path]:
    """Write ``text`` to folder/name.toml, run ``spinbath --quiet run`` on it; (exit code, results path)."""
    cfg = Path(folder) / f"{name}.toml"
    cfg.write_text(text)
    out = Path(folder) / f"{name}.nc"
    return main(["--quiet", "run", str(cfg), "--out", str(out)]), out
