"""The q-mesh test crystal (spinbath.baths.model_crystal) and its example: analytic crystal-field
derivatives equal central differences, the phonons equal an independent dynamical matrix of the bond
springs at any q, the shipped example files are what the generator writes, and the example runs
from a config with ``[bath] mesh`` (the results record the mesh and the number of modes)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("phonopy")

import spinbath  # noqa: E402
from helpers import assert_bad_input, qmesh_example_text, run_cli  # noqa: E402
from spinbath.baths import model_crystal as mc  # noqa: E402
from spinbath.baths.phonopy_qmesh import mesh_modes  # noqa: E402
from spinbath.baths.phonopy_route import load_cf_displacements  # noqa: E402
from spinbath.io import read_results  # noqa: E402
from spinbath.quantum.blas import single_threaded_blas  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = Path(spinbath.__file__).parent / "examples"
EV_A2_AMU_TO_CM = np.sqrt(1.602176634e-19 / (1e-20 * 1.66053906660e-27)) / (2 * np.pi * 2.99792458e10)


def generator():
    spec = importlib.util.spec_from_file_location("make_qmesh_example", ROOT / "scripts" / "make_qmesh_example.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_analytic_cf_derivatives_equal_central_differences():
    """The ladder relations of the irregular solid harmonics against central differences of the
    point-charge B_k^q (error O(h^2): 4x smaller at h/2); the ion's row is minus the ligands' sum."""
    atoms, cells = mc.environment()
    pos = mc._positions(atoms, cells)
    Z = np.full(atoms.size - 1, mc.O_CHARGE)
    g = mc.point_charge_gradient(pos, Z)
    scale = np.abs(g).max()
    assert scale > 0.1  # cm^-1/A
    errs = [np.abs(mc.cf_displacements(h).gradient.reshape(g.shape) - g).max() for h in (0.02, 0.01)]
    assert errs[1] < 1e-4 * scale
    assert errs[0] / errs[1] == pytest.approx(4.0, rel=0.05)
    assert np.abs(g.sum(axis=0)).max() < 1e-12 * scale


def hand_dynamical_matrix(q):
    """D(q) (eV/A^2/amu) of the bond springs in the cell convention, written from BONDS directly."""
    m = np.array(mc.MASSES_AMU)
    D = np.zeros((2, 2, 3, 3), dtype=complex)
    for i, j, n, ks, kb in mc.BONDS:
        d = (np.array(n) + mc.SCALED_POSITIONS[j] - mc.SCALED_POSITIONS[i]) @ mc.LATTICE_A
        r = d / np.linalg.norm(d)
        K = ks * np.outer(r, r) + kb * (np.eye(3) - np.outer(r, r))
        ph = np.exp(2j * np.pi * np.dot(q, n))
        D[i, j] -= K * ph
        D[j, i] -= K * np.conj(ph)
        D[i, i] += K
        D[j, j] += K
    D /= np.sqrt(m[:, None, None, None] * m[None, :, None, None])
    return D.transpose(0, 2, 1, 3).reshape(6, 6)


def test_phonons_equal_the_bond_model_at_every_q():
    """phonopy's interpolation of the 3x3x3 supercell force constants is exact for nearest-cell
    bonds: energies equal the hand-built dynamical matrix on a 4x4x5 mesh (finer than the supercell);
    three zero modes at Gamma (acoustic sum rule) and none imaginary."""
    modes = mesh_modes(mc.phonopy_crystal(), (4, 4, 5))
    for q, w in zip(modes.qpoints, modes.energies_cm):
        lam = np.linalg.eigvalsh(hand_dynamical_matrix(q))
        ref = np.sign(lam) * np.sqrt(np.abs(lam)) * EV_A2_AMU_TO_CM
        np.testing.assert_allclose(w, ref, rtol=1e-6, atol=1e-4)  # phonopy's unit factor: 1.2e-7
    assert np.abs(modes.energies_cm[0, :3]).max() < 1e-4 and modes.energies_cm[0, 3] > 100
    assert modes.energies_cm.min() > -1e-4


def test_the_generator_reproduces_the_shipped_example(tmp_path):
    gen = generator()
    gen.write(tmp_path / "qmesh-crystal")
    ours = load_cf_displacements(tmp_path / "qmesh-crystal" / "cf_displacements.npz")
    shipped = load_cf_displacements(EXAMPLES / "qmesh-crystal" / "cf_displacements.npz")
    np.testing.assert_allclose(ours.B_plus, shipped.B_plus, rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(ours.B_minus, shipped.B_minus, rtol=1e-7, atol=1e-12)
    assert np.array_equal(ours.cells, shipped.cells) and np.array_equal(ours.atoms, shipped.atoms)
    w1 = mesh_modes(tmp_path / "qmesh-crystal" / "phonopy_params.yaml", (2, 2, 2)).energies_cm
    w2 = mesh_modes(EXAMPLES / "qmesh-crystal" / "phonopy_params.yaml", (2, 2, 2)).energies_cm
    np.testing.assert_allclose(w1, w2, rtol=0, atol=1e-9)
    # The config holds the equilibrium B_k^q printed to 10 digits: equal to the shipped one to the
    # same 1e-7 as the derivatives (the last digits follow the numpy/scipy version), text otherwise.
    assert_same_config((tmp_path / "qmesh-crystal.toml").read_text(), (EXAMPLES / "qmesh-crystal.toml").read_text())


def assert_same_config(a: str, b: str) -> None:
    """Two TOML texts with the same comments, keys and strings, and numbers equal to 1e-7 relative."""
    import re
    import tomllib

    number = re.compile(r"-?\d+\.\d+(?:e-?\d+)?")
    assert number.sub("#", a) == number.sub("#", b)

    def close(x, y, key=""):
        if isinstance(x, dict):
            assert x.keys() == y.keys(), key
            for k in x:
                close(x[k], y[k], f"{key}.{k}")
        elif isinstance(x, float):
            assert x == pytest.approx(y, rel=1e-7, abs=1e-12), key
        else:
            assert x == y, key

    close(tomllib.loads(a), tomllib.loads(b))


def example_text(folder: Path, mesh: str | None) -> str:
    """The shipped example with absolute paths, two temperatures, orders 2 and 4, and ``mesh``
    (the temperatures well inside the range where tau is resolved in double precision)."""
    return qmesh_example_text(mesh, replacements=(('width = "10 cm^-1"', 'width = "10 cm^-1"\nresonant_part = false'),))


def test_config_mesh_is_run_and_recorded(tmp_path):
    """Through the CLI: mesh = [1, 1, 1] gives the Gamma route's tau; a 2x1x1 mesh is recorded in the
    results file with its number of modes (6 branches x 2 q-points - 3 acoustic = 9)."""
    results = {}
    for name, mesh in (("gamma", None), ("one", "[1, 1, 1]"), ("two", "[2, 1, 1]")):
        with single_threaded_blas():
            code, out = run_cli(tmp_path, example_text(tmp_path, mesh), name=name)
        assert code == 0
        results[name] = read_results(out)
    g, one, two = results["gamma"], results["one"], results["two"]
    assert list(g.attrs["bath_qmesh"]) == list(one.attrs["bath_qmesh"]) == [1, 1, 1]
    assert g.attrs["bath_n_modes"] == one.attrs["bath_n_modes"] == one.sizes["mode"] == 3
    np.testing.assert_allclose(one.tau.values, g.tau.values, rtol=1e-9)
    assert list(two.attrs["bath_qmesh"]) == [2, 1, 1]
    assert two.attrs["bath_n_modes"] == two.sizes["mode"] == 9
    assert "q-mesh 2x1x1" in two.attrs["bath_source"]


@pytest.mark.parametrize("mesh, needles", [
    ("[0, 1, 1]", ["bath.mesh", "three positive integers", "[0, 1, 1]"]),
    ("[2, 2]", ["bath.mesh", "three positive integers"]),
    ('"4x4x4"', ["bath.mesh", "three positive integers", "4x4x4"]),
])
def test_bad_mesh_is_one_clear_error(tmp_path, capsys, mesh, needles):
    assert_bad_input(tmp_path, capsys, example_text(tmp_path, mesh), needles)


@pytest.mark.parametrize("line, needle", [("mesh = [2, 2, 2]", "mesh applies only to the phonopy route"),
                                          ('min_energy = "5 cm^-1"', "min_energy applies only to the phonopy route")])
def test_phonopy_keys_without_phonopy_are_refused(tmp_path, capsys, line, needle):
    text = f"""study = "spin-phonon"
temperatures = [10.0]
[spin]
J = "15/2"
[bath]
model = "dycp-model"
{line}
"""
    assert_bad_input(tmp_path, capsys, text, [needle])
