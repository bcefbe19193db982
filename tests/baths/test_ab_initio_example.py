"""The ``ab-initio-route`` example: its generator reproduces the shipped files, its point-charge crystal
field has the symmetry of the charges, and it runs end to end from a copied example."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tomllib
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


def test_a_square_of_equal_charges_gives_only_q_0_and_4():
    """Axial charges plus four equal ones on a square in the xy plane (C4v, a mirror plane xz): the
    field is invariant under a rotation by 90 degrees about z, which multiplies B_k^q by i^q, so only
    q = 0 and q = +-4 survive; the xz mirror (phi -> -phi) removes the sine terms (q < 0)."""
    gen = generator()
    pos = gen.POSITIONS.copy()
    pos[3:] = [[2.6, 0, 0], [0, 2.6, 0], [-2.6, 0, 0], [0, -2.6, 0]]
    B = gen.point_charge_stevens(pos)
    scale = max(abs(v) for (k, q), v in B.items() if k == 4)
    for (k, q), v in B.items():
        if q not in (0, 4):
            assert abs(v) < 1e-12 * scale, (k, q, v)
    assert abs(B[(4, 4)]) > 0.1 * abs(B[(4, 0)]) and abs(B[(6, 4)]) > 0


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


def _example_config():
    from spinbath.config import parse_config_text

    text = (EXAMPLES / "ab-initio-route.toml").read_text()
    return parse_config_text(text, source="ab-initio-route.toml", base_dir=EXAMPLES)[1]


def test_the_rates_obey_detailed_balance():
    """Phonon absorption and emission between levels a and b differ by exp(-(E_a - E_b)/kT): each
    transition is balanced by its reverse in thermal equilibrium (W_ab p_b = W_ba p_a for the
    Boltzmann populations p), and the thermal state exp(-H/kT)/Z is stationary, R vec(rho_th) = 0,
    for the one- and two-phonon rates of the example's own files."""
    from spinbath.quantum.spin_phonon import SpinPhononRates
    from spinbath.units import KB_CM

    cfg = _example_config()
    H = cfg.spin.hamiltonian().matrix(cfg.field.field_vector())
    bath = cfg.bath.build(cfg.spin.J, cfg.field.field_vector())
    rates = SpinPhononRates.from_bath(H, bath, width=cfg.method.width, lineshape=cfg.method.lineshape)
    E = rates.energies
    d = E.size
    T = 110.0
    p = np.exp(-(E - E[0]) / (KB_CM * T))
    p /= p.sum()
    for order in ("2", "4"):
        R = rates.superoperator([T], order)[0]
        pop = np.arange(d) * (d + 1)  # vec index of rho_aa (column stacking)
        W = R[np.ix_(pop, pop)].real  # W[a, b]: rate b -> a (s^-1)
        flux = W * p[None, :]
        np.fill_diagonal(flux, 0.0)
        assert flux.max() > 0
        np.testing.assert_allclose(flux, flux.T, rtol=1e-9, atol=1e-12 * flux.max())
        rho_th = np.diag(p).ravel(order="F")
        assert np.abs(R @ rho_th).max() < 1e-10 * np.abs(R).max() * p.max()


def test_runs_end_to_end_with_the_cli_from_a_copied_example(tmp_path):
    """spinbath example --write copies the config and its input folder; spinbath run (a subprocess,
    started in another folder: paths resolve against the config's folder, not the working one) exits
    0 and writes the results file, whose tau is finite, positive, falls as T rises (more phonons), and
    is never longer for 2+4 than for 2 or 4 alone (adding a detailed-balance channel with the same
    Boltzmann state adds to the Dirichlet form, so the slowest decay cannot slow down)."""
    cfg_dir, work = tmp_path / "configs", tmp_path / "elsewhere"
    work.mkdir()
    assert main(["-q", "example", "ab-initio-route", "--write", str(cfg_dir / "abi.toml")]) == 0
    assert (cfg_dir / "ab-initio-route" / "phonopy_params.yaml").is_file()
    assert (cfg_dir / "ab-initio-route" / "cf_displacements.npz").is_file()
    text = (cfg_dir / "abi.toml").read_text()
    grid = tomllib.loads(text)["temperatures"]
    text = text.replace(f'num = {grid["num"]}', "num = 3")  # its two ends and the middle, for speed
    (cfg_dir / "abi.toml").write_text(text)
    env = dict(os.environ, MPLBACKEND="Agg")
    proc = subprocess.run([sys.executable, "-m", "spinbath.cli", "-q", "run", str(cfg_dir / "abi.toml"), "--no-figure"],
                          cwd=work, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    ds = spinbath.load(work / "abi.nc")
    assert ds.attrs["study"] == "spin-phonon"
    T = ds.temperature.values
    assert T.size == 3 and T[0] == pytest.approx(float(grid["start"].split()[0]))
    tau = ds.tau.transpose("order", "temperature")
    assert np.all(np.isfinite(tau)) and np.all(tau > 0)
    assert np.all(np.diff(tau.values, axis=1) < 0)
    both = tau.sel(order="2+4").values
    assert np.all(both <= 1.001 * np.minimum(tau.sel(order="2").values, tau.sel(order="4").values))
    bath = bath_from_phonopy(DATA / "phonopy_params.yaml", DATA / "cf_displacements.npz")
    assert ds.sizes["mode"] == bath.n_modes == 15
