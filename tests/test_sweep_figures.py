"""Every study draws its own sweep figure: its physics along the swept key, never a map of constants.

Each study runs a three-value sweep (serially, small sizes); the figure must pass the reader checks
of ``tests/figure_checks.py`` and every panel must show content that changes along the sweep (curves
that differ from each other, or a map that is not constant).
"""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.collections import QuadMesh

import spinbath
from spinbath.plotting import plt
from spinbath.studies import get_study

from figure_checks import figure_problems
from test_figures import small_config

SPIN_PHONON = {
    "study": "spin-phonon", "temperatures": [30.0, 45.0, 60.0, 80.0],
    "spin": {"J": "15/2", "g": "4/3", "crystal_field": {"dataset": "dycp"}},
    "bath": {"model": "dycp-model"}, "method": {"orders": [2], "width": "10 cm^-1"},
    "sweep": {"method.width": ["5 cm^-1", "10 cm^-1", "20 cm^-1"]},
}


def sweep_config(study: str) -> dict:
    if study == "spin-phonon":
        return SPIN_PHONON
    if study == "spectrum":
        cfg = small_config("spectrum")
        cfg["field"] = {"direction": [0, 0, 1], "values": ["1 T"]}
        cfg["sweep"] = {"spin.g": [1.0, 4 / 3, 1.6]}
    elif study == "relaxation-laws":
        cfg = small_config("relaxation-two-modes")
        cfg["temperatures"] = {"start": "2 K", "stop": "40 K", "num": 12, "spacing": "inverse"}
        cfg["sweep"] = {"field.value": ["0.05 T", "0.5 T", "2 T"]}
    elif study == "open-chain":
        cfg = small_config("chain-n3")
        cfg.pop("anisotropy_shifts", None)
        cfg["evolution"]["num"] = 101
        cfg["sweep"] = {"bath.damping": [0.05, 0.1, 0.2]}
    elif study == "junction-couplings":
        cfg = small_config("junction")
        cfg["junction"]["t"] = "0.5 meV"
        cfg["bias"]["mu_F"] = [0.0]
        cfg["sweep"] = {"junction.t0": ["1 meV", "2 meV", "3 meV"]}
    elif study == "dimer-llg":
        cfg = small_config("dimer-llg")
        cfg["langevin"].update({"trajectories": 16, "t_end": "10 ps", "samples": 50})
        cfg["sweep"] = {"junction.t0": ["1 meV", "2 meV", "3 meV"]}
    return cfg


def _panel_changes(ax) -> bool:
    """Does the panel show something that varies: two different curves, a curve that is not flat, or
    a map that is not constant?"""
    maps = [c for c in ax.collections if isinstance(c, QuadMesh)]
    if maps:
        z = np.ma.masked_invalid(np.asarray(maps[0].get_array(), float))
        return bool(z.count() and z.max() - z.min() > 1e-12 * max(1.0, abs(z).max()))
    ys = [np.asarray(ln.get_ydata(), float) for ln in ax.lines if len(np.atleast_1d(ln.get_xdata())) > 1]
    ys = [y[np.isfinite(y)] for y in ys]
    ys = [y for y in ys if y.size > 1]
    if not ys:
        return False
    flat = all(np.ptp(y) <= 1e-12 * max(1.0, np.abs(y).max()) for y in ys)
    same = all(y.shape == ys[0].shape and np.allclose(y, ys[0], rtol=1e-9, atol=0) for y in ys[1:])
    return not flat or (len(ys) > 1 and not same)


@pytest.mark.parametrize("study", ["spectrum", "spin-phonon", "relaxation-laws", "open-chain",
                                   "junction-couplings", "dimer-llg"])
def test_study_sweep_figure_shows_physics_along_the_key(study):
    assert get_study(study).plot_sweep is not None
    ds = spinbath.run(sweep_config(study), serial=True, quiet=True)
    assert "sweep" in ds.attrs
    fig = spinbath.plot(ds)
    try:
        assert figure_problems(fig) == []
        panels = [ax for ax in fig.axes if ax.get_visible() and getattr(ax, "_colorbar", None) is None
                  and ax.axison and (ax.lines or ax.collections)]
        assert panels
        for ax in panels:
            if ax.get_shared_x_axes().get_siblings(ax) != [ax] and not ax.get_ylabel():
                continue
            assert _panel_changes(ax), f"{study}: panel {ax.get_title()!r} ({ax.get_ylabel()!r}) shows no change"
    finally:
        plt.close(fig)
