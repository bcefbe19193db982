"""The ``ab-initio-route`` example: its generator reproduces the shipped files, its point-charge crystal
field has the symmetry of the charges, and it runs end to end from a copied example."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

import spinbath
from spinbath.baths.phonopy_route import bath_from_phonopy, gamma_modes, load_cf_displacements
from spinbath.cli import main

pytest.importorskip("phonopy")

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = Path(spinbath.__file__).parent / "examples"
DATA = EXAMPLES / "ab-initio-route"


def generator():
    spec = importlib.util.spec_from_file_location("make_ab_initio_example", ROOT / "scripts" / "make_ab_initio_example.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_generator_reproduces_the_shipped_files(tmp_path):
    gen = generator()
    gen.write(tmp_path / "ab-initio-route")
    ours, shipped = load_cf_displacements(tmp_path / "ab-initio-route" / "cf_displacements.npz"), load_cf_displacements(
        DATA / "cf_displacements.npz")
    # Equal up to the rounding of the library versions (measured 5e-9 relative at the lowest bounds).
    np.testing.assert_allclose(ours.B_plus, shipped.B_plus, rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(ours.B_minus, shipped.B_minus, rtol=1e-7, atol=1e-12)
    assert ours.keys == shipped.keys and ours.J == shipped.J == 7.5
    w1, e1, _ = gamma_modes(tmp_path / "ab-initio-route" / "phonopy_params.yaml")
    w2, e2, _ = gamma_modes(DATA / "phonopy_params.yaml")
    np.testing.assert_allclose(w1, w2, rtol=0, atol=1e-9)
    ours_cfg, shipped_cfg = (p.read_text() for p in (tmp_path / "ab-initio-route.toml", EXAMPLES / "ab-initio-route.toml"))
    assert ours_cfg.split("[spin.crystal_field]")[0] == shipped_cfg.split("[spin.crystal_field]")[0]
    import tomllib

    B1, B2 = (tomllib.loads(t)["spin"]["crystal_field"] for t in (ours_cfg, shipped_cfg))
    for k in ("B2", "B4", "B6"):
        np.testing.assert_allclose([B1[k][q] for q in sorted(B1[k])], [B2[k][q] for q in sorted(B2[k])],
                                   rtol=1e-7, atol=1e-12)


def test_point_charges_on_the_z_axis_give_only_q_0_and_an_easy_axis():
    """Axial charges only: the crystal field is invariant under rotations about z, so B_k^q = 0 for
    q != 0; two negative charges on the axis push the oblate 4f density of Dy(III) into the easy axis
    (B_2^0 < 0: |M_J| = 15/2 lowest)."""
    gen = generator()
    gen_charges = gen.CHARGES.copy()
    try:
        gen.CHARGES[:] = [-1.0, -1.0, 0.0, 0.0, 0.0, 0.0]
        B = gen.point_charge_stevens(gen.POSITIONS)
    finally:
        gen.CHARGES[:] = gen_charges
    for (k, q), v in B.items():
        if q != 0:
            assert abs(v) < 1e-12 * abs(B[(2, 0)]), (k, q, v)
    assert B[(2, 0)] < 0


def test_spring_model_has_six_zero_modes_and_fifteen_vibrations():
    w, _, _ = gamma_modes(DATA / "phonopy_params.yaml")
    assert np.sum(np.abs(w) < 1e-3) == 6  # three translations and three rotations
    assert np.all(w[6:] > 100.0)


def test_couplings_are_the_finite_difference_derivatives():
    """dB/dQ from the shipped file against a central difference of the generator's crystal field,
    projected by hand on one mode (an independent route to the same number)."""
    gen = generator()
    cf = load_cf_displacements(DATA / "cf_displacements.npz")
    grad = (cf.B_plus - cf.B_minus) / (2 * cf.step_A)
    r = 3 * 1 + 2  # the upper axial ligand along z
    h = 1e-4
    pos_p, pos_m = gen.POSITIONS.copy(), gen.POSITIONS.copy()
    pos_p[1, 2] += h
    pos_m[1, 2] -= h
    Bp, Bm = gen.point_charge_stevens(pos_p), gen.point_charge_stevens(pos_m)
    fine = (Bp[(2, 0)] - Bm[(2, 0)]) / (2 * h)
    col = list(cf.keys).index((2, 0))
    assert grad[r, col] == pytest.approx(fine, rel=1e-4)  # O(h^2) of the 0.01 A step


def test_runs_end_to_end_from_a_copied_example(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["-q", "example", "ab-initio-route", "--write", "abi.toml"]) == 0
    assert (tmp_path / "ab-initio-route" / "phonopy_params.yaml").is_file()
    text = (tmp_path / "abi.toml").read_text().replace('num = 12', 'num = 3')
    (tmp_path / "abi.toml").write_text(text)
    assert main(["-q", "run", "abi.toml"]) == 0
    ds = spinbath.load(tmp_path / "abi.nc")
    tau = ds.tau.sel(order="2+4").values
    assert np.all(np.isfinite(tau)) and np.all(tau > 0)
    assert np.all(np.diff(tau) < 0)  # relaxation speeds up with temperature
    bath = bath_from_phonopy(DATA / "phonopy_params.yaml", DATA / "cf_displacements.npz")
    assert ds.sizes["mode"] == bath.n_modes == 15
