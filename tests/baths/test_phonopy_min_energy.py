"""``[bath] min_energy`` of the phonopy route: an energy with units, the threshold below which modes
are dropped (the three acoustic modes at Gamma always are); validated with errors that name the key."""

from __future__ import annotations

import pytest

pytest.importorskip("phonopy")

from helpers import assert_bad_input, qmesh_example_text, run_cli  # noqa: E402
from spinbath.io import read_results  # noqa: E402
from spinbath.quantum.blas import single_threaded_blas  # noqa: E402

def example_text(extra: str, mesh: str | None = None) -> str:
    """The shipped q-mesh example at one temperature, order 2, with ``extra`` lines in [bath]."""
    return qmesh_example_text(mesh, extra, replacements=(("orders = [2, 4]", "orders = [2]"),))


def test_min_energy_drops_modes_and_is_recorded(tmp_path):
    """The Gamma modes of the test crystal are 122, 170 and 368 cm^-1: a threshold of 150 cm^-1 keeps
    two, in meV as well; on a 2x1x1 mesh the source states the threshold and the acoustic modes."""
    with single_threaded_blas():
        code, out = run_cli(tmp_path, example_text('min_energy = "150 cm^-1"\n'), name="cm")
        assert code == 0
        ds = read_results(out)
        assert ds.attrs["bath_n_modes"] == 2 and ds.mode_energy.values.min() > 150
        assert "|E| >= 150.0 cm^-1" in ds.attrs["bath_source"]
        code, out = run_cli(tmp_path, example_text('min_energy = "18.6 meV"\n'), name="mev")  # 150 cm^-1
        assert code == 0 and read_results(out).attrs["bath_n_modes"] == 2
        code, out = run_cli(tmp_path, example_text("min_energy = 0.5\n", "[2, 1, 1]"), name="mesh")
        assert code == 0
        ds = read_results(out)
    assert ds.attrs["bath_n_modes"] == 9 and "3 acoustic modes at Gamma dropped" in ds.attrs["bath_source"]


@pytest.mark.parametrize("value, needles", [
    ('"-1 cm^-1"', ["bath.min_energy", "> 0", "-1"]),
    ("0", ["bath.min_energy", "> 0", "imaginary"]),  # acoustic round-off would count as imaginary
    ('"lots"', ["bath.min_energy", "lots"]),
    ("[1, 2]", ["bath.min_energy", "single value"]),
])
def test_bad_min_energy_is_one_clear_error(tmp_path, capsys, value, needles):
    assert_bad_input(tmp_path, capsys, example_text(f"min_energy = {value}\n"), needles)
