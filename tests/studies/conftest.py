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


def _assert_bad_input(folder: Path, capsys, text: str, needles: list[str]) -> None:
    """Run a bad config: exit code 2, one line "error: ..." naming every needle, nothing written."""
    code, out = _run_config(folder, text, "bad")
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    for n in needles:
        assert n in err, (n, err)
    assert not out.exists() and not list(Path(folder).glob("*.png"))
