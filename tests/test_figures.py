"""Each shipped example's figure, rendered at a reduced size, passes what a journal reader checks.

The checks themselves (``tests/figure_checks.py``) are tested first on figures made to fail them.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest

import spinbath
from spinbath.plotting import plt

from figure_checks import figure_problems

EXAMPLES = Path(spinbath.__file__).parent / "examples"

# Sizes that keep every example to a few seconds; the physics shown is the example's own.
SMALL = {
    "chain-hysteresis-axial": {"n": 8, "evolution.num": 101, "hysteresis.num": 21},
    "chain-hysteresis": {"n": 8, "evolution.num": 101, "hysteresis.num": 21},
    "chain-n3": {"evolution.num": 201},
    "ab-initio-route": {"temperatures": [60.0, 100.0, 160.0]},
    "qmesh-crystal": {"temperatures": [20.0, 40.0], "bath.mesh": [2, 1, 1], "method.resonant_part": False},
    "chain-size-scaling": {"size_scaling": [2, 3], "evolution.num": 51},
    "chain-hysteresis-paper": {"ll_hysteresis.num": 31, "ll_hysteresis.Vz": [1.0, 2.0]},
    "chain-dynamic-hysteresis": {"n": 2, "dynamic_hysteresis.rates": [0.3, 0.1], "dynamic_hysteresis.num": 21,
                                 "dynamic_hysteresis.cycles": 1},
    "chain-fig5a": {"evolution.num": 61, "evolution.t_end": 40, "mean_field_comparison.dampings": [0.1, 0.2]},
    "chain-n4": {"evolution.num": 201},
    "dimer-llg": {"langevin.trajectories": 40, "bias.V": {"start": "-6 mV", "stop": "6 mV", "num": 9}},
    "dimer-llg-strong": {"langevin.trajectories": 40, "bias.V": {"start": "-6 mV", "stop": "6 mV", "num": 9}},
    "dimer-llg-paper": {"langevin.trajectories": 40, "langevin.t_end": "10 ps", "langevin.samples": 200,
                        "bias.V": {"start": "-6 mV", "stop": "6 mV", "num": 9}},
    "dycp": {"temperatures": {"start": "10 K", "stop": "150 K", "num": 6, "spacing": "log"}},
    "dycp-hysteresis": {"method.order": 2, "loop.points": 12, "temperatures": [2.0, 20.0, 80.0],
                        "zfc_fc.temperatures": {"start": "2 K", "stop": "80 K", "num": 10}},
    "junction": {"bias.V": {"start": "-8 mV", "stop": "8 mV", "num": 9},
                 "bias.mu_F": {"start": "-6 meV", "stop": "6 meV", "num": 7}},
}


def small_config(name: str) -> dict:
    """The example as a dict at a reduced size; input files referenced by absolute paths (a dict has
    no folder of its own to resolve relative ones against)."""
    cfg = tomllib.loads((EXAMPLES / f"{name}.toml").read_text())
    for key in ("file", "phonopy", "cf_displacements"):
        if key in cfg.get("bath", {}):
            cfg["bath"][key] = str(EXAMPLES / cfg["bath"][key])
    for key, value in SMALL.get(name, {}).items():
        section = cfg
        *head, last = key.split(".")
        for h in head:
            section = section[h]
        section[last] = value
    return cfg


def example_names() -> list[str]:
    return sorted(p.stem for p in EXAMPLES.glob("*.toml"))


@pytest.fixture(scope="module")
def datasets():
    return {}


@pytest.mark.parametrize("name", example_names())
def test_example_figure_passes_the_reader_checks(name, datasets):
    if name in ("ab-initio-route", "qmesh-crystal"):
        pytest.importorskip("phonopy")  # an optional extra (the lower-bounds environment has none)
    ds = spinbath.run(small_config(name), quiet=True)
    fig = spinbath.plot(ds)
    try:
        assert figure_problems(fig) == []
    finally:
        plt.close(fig)


# The checks catch what they are meant to catch.

def test_checks_flag_overlapping_ticks_and_missing_labels():
    fig, ax = plt.subplots(figsize=(1.0, 1.0))
    ax.plot(np.arange(10), np.arange(10))
    ax.set_xticks(np.arange(10), [f"{x}x10^0" for x in range(10)])
    problems = figure_problems(fig)
    plt.close(fig)
    assert any("overlap" in p for p in problems)
    assert any("no label" in p for p in problems)


def two_coinciding_curves(second_style: str, legend: bool) -> list[str]:
    """Problems found on a figure with two identical curves (red solid, then ``second_style``)."""
    fig, ax = plt.subplots(figsize=(3, 2))
    x = np.linspace(0, 1, 50)
    ax.plot(x, x, "r-", label="order 4")
    ax.plot(x, x, second_style, label="2 + 4")
    if legend:
        ax.legend(loc="center")
    ax.set_xlabel("T (K)")
    ax.set_ylabel("tau (s)")
    try:
        return figure_problems(fig)
    finally:
        plt.close(fig)


def test_checks_flag_a_hidden_curve_and_a_legend_on_the_data():
    problems = two_coinciding_curves("k-", legend=True)
    assert any("on top of each other" in p for p in problems)
    assert any("covers" in p for p in problems)


def test_checks_accept_coinciding_curves_told_apart():
    assert two_coinciding_curves("k--", legend=False) == []


def test_checks_flag_a_signed_map_on_a_sequential_colormap_and_raw_math():
    fig, ax = plt.subplots(figsize=(3, 2))
    m = ax.pcolormesh(np.linspace(-1, 2, 12).reshape(3, 4), cmap="viridis")
    fig.colorbar(m, ax=ax, label="J (meV)")
    ax.set_xlabel("V (mV)")
    ax.set_ylabel("mu_F (meV)")
    ax.set_title("t0 = 2 meV, width 10 cm^-1")
    problems = figure_problems(fig)
    plt.close(fig)
    assert any("sequential colormap 'viridis'" in p for p in problems)
    assert any("not centred" in p for p in problems)
    assert sum("raw plain-text math" in p for p in problems) >= 3
