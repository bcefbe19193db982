"""Helpers shared by the test files: import them with ``from helpers import ...``.

``tests/`` is on ``sys.path`` through ``pythonpath`` in pyproject.toml's [tool.pytest.ini_options], so
this works for any single test file and with ``--import-mode=importlib``. Fixtures stay in the
conftest.py files; nothing here is a fixture.

- Running configs through the CLI: :func:`run_config`, :func:`assert_bad_input` (study tests) and
  :func:`run_cli`, :func:`load` with the config texts ``JUNCTION_1x1``, ``SPECTRUM``,
  ``JUNCTION_SWEEP`` (sweep tests).
- Small spin-phonon models built without spins/stevens.py: :func:`crystal_field`, :func:`zeeman`,
  :func:`quadrupoles`, :func:`time_even_couplings`, :func:`kramers_model` (energies in cm^-1);
  :func:`detailed_balance_errors` of rate superoperators; :func:`dense_rates` of a field-sweep node;
  :func:`spin_half_loop` (a hysteresis config: spin 1/2 with a tunnel splitting and a g-derivative bath).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from spinbath.cli import main
from spinbath.spins.operators import spin_matrices
from spinbath.units import MUB_CM

# --- configs through the CLI -----------------------------------------------------------------------


def run_config(folder: Path, text: str, name: str = "c") -> tuple[int, Path]:
    """Write ``text`` to folder/name.toml, run ``spinbath --quiet run`` on it; (exit code, results path)."""
    cfg = Path(folder) / f"{name}.toml"
    cfg.write_text(text)
    out = Path(folder) / f"{name}.nc"
    return main(["--quiet", "run", str(cfg), "--out", str(out)]), out


def assert_bad_input(folder: Path, capsys, text: str, needles: list[str]) -> None:
    """Run a bad config: exit code 2, one line "error: ..." naming every needle, nothing written."""
    code, out = run_config(folder, text, "bad")
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    for n in needles:
        assert n in err, (n, err)
    assert not out.exists() and not list(Path(folder).glob("*.png"))


#: junction-couplings on a 1 x 1 (V, mu_F) grid: a fast task.
JUNCTION_1x1 = """
study = "junction-couplings"
[bias]
V = [1.0]
mu_F = [0.0]
"""

#: spectrum of a J = 5/2 ion: a very fast task.
SPECTRUM = """
study = "spectrum"
[spin]
J = "5/2"
g = 2.0
[spin.crystal_field]
B2 = {"0" = -1.0, "2" = 0.1}
"""

#: 2 x 2 sweep of JUNCTION_1x1 at T = 0.
JUNCTION_SWEEP = JUNCTION_1x1 + '[sweep]\n"junction.t0" = ["2 meV", "3 meV"]\n"junction.eps0" = ["-0.5 meV", 0.5]\n'


def run_cli(folder: Path, text: str, *options: str, name: str = "c", figure: bool = False) -> tuple[int, Path]:
    """Write folder/name.toml, run ``spinbath --quiet run`` on it with ``options``; (exit code, results).

    No figure unless ``figure`` (the figure tests ask for it; the others skip the drawing)."""
    cfg = Path(folder) / f"{name}.toml"
    cfg.write_text(text)
    out = Path(folder) / f"{name}.nc"
    extra = [] if figure else ["--no-figure"]
    return main(["--quiet", "run", str(cfg), "--out", str(out), *extra, *options]), out


def load(path: Path) -> xr.Dataset:
    """The results file at ``path``, loaded into memory."""
    return xr.load_dataset(path, engine="h5netcdf")


# --- small spin-phonon models ----------------------------------------------------------------------
# Crystal fields are built directly from Jz polynomials and J+- (independent of spins/stevens.py):
# O_2^0 = 3Jz^2 - X, O_4^0 = 35Jz^4 - (30X - 25)Jz^2 + 3X^2 - 6X (X = J(J+1)), O_2^2 = (J+^2 + J-^2)/2.
# Couplings dH/dQ are time-even Hermitian operators (symmetrized products of two or four spin
# matrices), as derivatives of a crystal field are, so Kramers' theorem applies to them.

G_J = 4.0 / 3.0  # Lande factor of Dy3+ 6H15/2, used for the Zeeman term


def crystal_field(J: float, B20: float, B40: float = 0.0, B22: float = 0.0) -> np.ndarray:
    """B20 O_2^0 + B40 O_4^0 + B22 O_2^2 in the |J, M> basis, cm^-1."""
    Jx, Jy, Jz = spin_matrices(J)
    X = J * (J + 1)
    eye = np.eye(Jz.shape[0])
    Jp, Jm = Jx + 1j * Jy, Jx - 1j * Jy
    Jz2 = Jz @ Jz
    O20 = 3 * Jz2 - X * eye
    O40 = 35 * Jz2 @ Jz2 - (30 * X - 25) * Jz2 + (3 * X * X - 6 * X) * eye
    O22 = (Jp @ Jp + Jm @ Jm) / 2
    return B20 * O20 + B40 * O40 + B22 * O22


def zeeman(J: float, field_T) -> np.ndarray:
    """g_J mu_B B . J in cm^-1 (field in tesla)."""
    return MUB_CM * G_J * sum(b * s for b, s in zip(field_T, spin_matrices(J)))


def quadrupoles(J: float) -> list[np.ndarray]:
    """(J_i J_j + J_j J_i)/2 for i <= j: six time-even Hermitian operators."""
    S = spin_matrices(J)
    return [(S[i] @ S[j] + S[j] @ S[i]) / 2 for i in range(3) for j in range(i, 3)]


def time_even_couplings(J: float, n: int, scale: float, rng: np.random.Generator) -> np.ndarray:
    """n random time-even Hermitian couplings (rank 2 plus a rank-4 part), max |element| = scale."""
    ops = quadrupoles(J)
    V = []
    for _ in range(n):
        v = sum(c * o for c, o in zip(rng.normal(size=len(ops)), ops))
        k, l = rng.integers(len(ops), size=2)
        q = ops[k] @ ops[l]
        V.append(v + 0.05 * rng.normal() * (q + q.conj().T) / 2)
    V = np.array(V)
    return scale * V / np.abs(V).max()


def kramers_model(seed: int = 0, n_modes: int = 12, J: float = 2.5, field=(0.0, 0.0, 0.0),
                  scale: float = 2.0, w_range=(10.0, 120.0)):
    """J = 5/2 with an axial + rhombic crystal field (three Kramers doublets at 0, ~55, ~92 cm^-1).

    Returns (H, V, w): H in cm^-1, ``n_modes`` couplings V (cm^-1) and mode energies w (cm^-1)."""
    rng = np.random.default_rng(seed)
    H = crystal_field(J, -5.0, 0.02, 0.8) + zeeman(J, field)
    w = rng.uniform(*w_range, n_modes)
    V = time_even_couplings(J, n_modes, scale, rng)
    return H, V, w


def detailed_balance_errors(R_stack, E, T, *, skip=None):
    """Worst |ln(R_bb,aa / R_aa,bb) + (E_b - E_a)/kT| over pairs of levels a < b and temperatures T
    (K), for rate superoperators R_stack (n_T, d*d, d*d) in the eigenbasis of E (cm^-1); and the set
    of pairs checked. ``skip(a, b, up, down)`` -> True leaves a pair out (e.g. no mode bridges it);
    without it every pair must have positive rates both ways."""
    from spinbath.quantum.liouville import superoperator_to_tensor
    from spinbath.units import KB_CM

    worst, checked = 0.0, set()
    for Tk, R in zip(T, R_stack):
        Rt = superoperator_to_tensor(R)
        for a in range(E.size):
            for b in range(a + 1, E.size):
                up, down = Rt[b, b, a, a].real, Rt[a, a, b, b].real
                if skip is not None and skip(a, b, up, down):
                    continue
                assert up > 0 and down > 0, (a, b, up, down)
                worst = max(worst, abs(np.log(up / down) + (E[b] - E[a]) / (KB_CM * Tk)))
                checked.add((a, b))
    return worst, checked


def dense_rates(node) -> np.ndarray:
    """R (n_T, d^2, d^2), s^-1, of a :class:`~spinbath.quantum.field_sweep.SweepNode`, from its secular
    blocks and single elements (column stacking, element (a, b) at a + d b)."""
    d = node.dim
    R = np.zeros((node.n_channels, d * d, d * d), complex)
    for idx, Rb in node.blocks:
        R[:, idx[:, None], idx[None, :]] = Rb
    R[:, node.single, node.single] = node.single_rates
    return R


def spin_half_loop(delta: float, dg: float, rate: float = 2e-3) -> dict:
    """A ``hysteresis`` config: spin 1/2 (g = 2, M_0 = 1 mu_B) at 0.5 K swept +-3 T at ``rate`` (T/s)
    with a tunnel splitting ``delta`` (cm^-1) and one mode at 3 cm^-1 coupled through a g-tensor
    derivative dg_zx = ``dg`` (V = mu_B B . dg . J: zero at zero field, so the bath flips the spin at
    high field and freezes near zero field; the couplings depend on the field, so the bath is rebuilt
    at every node). 13 points per branch (one at B = 0), order 2, max_rotation 1e-4."""
    return {"study": "hysteresis", "title": "spin 1/2 with a tunnel splitting", "temperatures": [0.5],
            "spin": {"J": "1/2", "g": 2.0},
            "bath": {"modes": [{"energy": "3 cm^-1", "dg": [[0, 0, 0], [0, 0, 0], [dg, 0, 0]]}]},
            "loop": {"max": "3 T", "points": 13, "rate": rate, "tunnel_splitting": delta},
            "zfc_fc": {"field": "0.1 T", "temperatures": [0.5, 1.0, 2.0]},
            "method": {"order": 2, "width": "10 cm^-1", "max_rotation": 1e-4}}


def qmesh_example_text(mesh: str | None = None, bath_lines: str = "",
                       replacements: tuple[tuple[str, str], ...] = ()) -> str:
    """The shipped ``qmesh-crystal`` example with absolute data paths, at 30 K only, its
    ``mesh = [4, 4, 4]`` replaced by ``mesh`` (None: the Gamma route) followed by ``bath_lines`` in
    [bath], and the given (old, new) text ``replacements``."""
    import spinbath

    examples = Path(spinbath.__file__).parent / "examples"
    text = (examples / "qmesh-crystal.toml").read_text()
    text = text.replace('"qmesh-crystal/', f'"{examples}/qmesh-crystal/')
    text = text.replace('temperatures = {start = "10 K", stop = "60 K", num = 8, spacing = "log"}', "temperatures = [30.0]")
    for old, new in replacements:
        text = text.replace(old, new)
    old = "mesh = [4, 4, 4]\n"
    assert old in text
    return text.replace(old, ("" if mesh is None else f"mesh = {mesh}\n") + bath_lines)
