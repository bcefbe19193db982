"""Write the input files of the ``ab-initio-route`` example: a toy Dy(III) molecule.

The ab initio route of spinbath (spinbath.baths.phonopy_route) takes two files that a user makes with
other codes: the molecule's force constants from phonopy, and the Stevens crystal-field parameters
B_k^q at geometries with one atom displaced by +-h along x, y or z (from a quantum-chemistry code).
This script makes both for a toy molecule, so the route runs end to end without those codes:

- **Molecule.** Dy at the origin with two axial ligands at +-2.3 A along z (charge -1 e each) and four
  equatorial ones at about 2.6 A in a slightly distorted square (charge -0.25 e each), in a 15 A box.
  Masses: Dy 162.5, ligands 16.0 amu.
- **Force constants** of a central spring model: a spring of constant k between bonded atoms gives
  Phi_ij^ab = -k e_a e_b (e = unit bond vector, i != j) and Phi_ii = -sum_j Phi_ij (acoustic sum
  rule); Dy-axial 8, Dy-equatorial 3, axial-equatorial 1.5, equatorial neighbours 1 and
  equatorial opposites 0.5 eV/A^2 (18 springs: enough to fix the 15 internal motions). Central springs are
  invariant under rotations, so the three rotations are zero modes like the three translations.
- **Crystal field** of point charges (the electrostatic model, for the 4f electrons of Dy(III)):
  an electron (charge -e) at r has the energy V(r) = -sum_j Z_j e^2 / (4 pi eps0 |r - R_j|) next to
  ligand charges Z_j e (Z_j < 0: repulsive), whose multipole expansion gives Wybourne parameters

      B^k_q = -(e^2 / 4 pi eps0) <r^k> sum_j Z_j C^k_q(R^_j)^* / R_j^(k+1),  k = 2, 4, 6,

  (C^k_q = sqrt(4 pi / (2k + 1)) Y_kq; e^2 / 4 pi eps0 = 116140 cm^-1 A), converted to Stevens
  B_k^q with the Stevens factors of Dy(III) by :func:`spinbath.spins.conventions.wybourne_to_stevens`.
  <r^k> of the 4f shell: 0.726, 1.322, 5.102 a0^k (Dy(III) values of the order of the Hartree-Fock
  ones; a toy, not a prediction). The frame is fixed: R_j are the ligand positions relative to the
  Dy position, both displaced as the geometry says.

Run from the repository root (needs phonopy, the ``phonopy`` extra)::

    python scripts/make_ab_initio_example.py [--out src/spinbath/examples/ab-initio-route]

writes the folder's two files and, beside the folder, the example config ``ab-initio-route.toml``.

``tests/baths/test_ab_initio_example.py`` regenerates the files into a temporary folder and checks
they equal the shipped ones.
"""

from __future__ import annotations

import argparse
from math import factorial
from pathlib import Path

import numpy as np
from scipy import constants as c
from scipy.special import lpmv

from spinbath.baths.phonopy_route import CFDisplacements
from spinbath.spins.conventions import wybourne_to_stevens

SYMBOLS = ["Dy", "O", "O", "O", "O", "O", "O"]
MASSES = [162.5, 16.0, 16.0, 16.0, 16.0, 16.0, 16.0]
POSITIONS = np.array([
    [0.0, 0.0, 0.0],
    [0.0, 0.0, 2.3],
    [0.0, 0.0, -2.3],
    [2.6, 0.1, 0.0],
    [-0.1, 2.55, 0.05],
    [-2.65, -0.05, 0.0],
    [0.05, -2.6, -0.05],
])  # Angstrom, Dy first
CHARGES = np.array([-1.0, -1.0, -0.25, -0.25, -0.25, -0.25])  # e, the ligands
SPRINGS = {("Dy", "axial"): 8.0, ("Dy", "equatorial"): 3.0, ("axial", "equatorial"): 1.5,
           ("equatorial", "equatorial"): 1.0, ("equatorial", "opposite"): 0.5}  # eV/A^2
BOX_A = 15.0
STEP_A = 0.01
J = 7.5
R_K = {2: 0.726, 4: 1.322, 6: 5.102}  # <r^k> in a0^k
#: (start K, stop K, number) of the example's temperature grid: tau of orders 2, 4 and 2+4 resolved
#: (see config_text).
TEMPERATURES_K = (60.0, 160.0, 9)

#: e^2 / (4 pi eps0) in cm^-1 Angstrom.
COULOMB_CM_A = c.e**2 / (4 * np.pi * c.epsilon_0) / (c.h * c.c * 100) * 1e10
A0_A = c.physical_constants["Bohr radius"][0] * 1e10


def _kind(i: int) -> str:
    return "Dy" if i == 0 else ("axial" if i in (1, 2) else "equatorial")


def bonds() -> list[tuple[int, int, float]]:
    """(i, j, k in eV/A^2): Dy to every ligand, each axial ligand to the four equatorial ones, and the
    equatorial ligands to their neighbours and to their opposite."""
    out = [(0, j, SPRINGS[("Dy", _kind(j))]) for j in range(1, 7)]
    ring = [3, 4, 5, 6]
    out += [(a, e, SPRINGS[("axial", "equatorial")]) for a in (1, 2) for e in ring]
    out += [(ring[a], ring[(a + 1) % 4], SPRINGS[("equatorial", "equatorial")]) for a in range(4)]
    out += [(3, 5, SPRINGS[("equatorial", "opposite")]), (4, 6, SPRINGS[("equatorial", "opposite")])]
    return out


def force_constants(positions: np.ndarray = POSITIONS) -> np.ndarray:
    """(N, N, 3, 3) force constants (eV/A^2) of the central spring model (module docstring)."""
    n = len(positions)
    fc = np.zeros((n, n, 3, 3))
    for i, j, k in bonds():
        e = positions[j] - positions[i]
        e /= np.linalg.norm(e)
        block = -k * np.outer(e, e)
        fc[i, j] += block
        fc[j, i] += block
    for i in range(n):
        fc[i, i] = -fc[i].sum(axis=0) + fc[i, i]  # acoustic sum rule (fc[i, i] is still 0 here)
    return fc


def point_charge_stevens(positions: np.ndarray) -> dict[tuple[int, int], float]:
    """Stevens B_k^q (cm^-1) of the ligands' point charges around the Dy ion (module docstring)."""
    rel = positions[1:] - positions[0]
    R = np.linalg.norm(rel, axis=1)
    theta = np.arccos(np.clip(rel[:, 2] / R, -1.0, 1.0))
    phi = np.arctan2(rel[:, 1], rel[:, 0])
    W = {}
    for k in (2, 4, 6):
        rk = R_K[k] * A0_A**k
        for q in range(0, k + 1):
            # Racah-normalized C^k_q = sqrt((k-q)!/(k+q)!) P_k^q(cos theta) e^{i q phi} (lpmv carries the
            # Condon-Shortley phase).
            Ckq = np.sqrt(factorial(k - q) / factorial(k + q)) * lpmv(q, k, np.cos(theta)) * np.exp(1j * q * phi)
            W[(k, q)] = -COULOMB_CM_A * rk * np.sum(CHARGES * np.conj(Ckq) / R ** (k + 1))
        W[(k, 0)] = float(np.real(W[(k, 0)]))
    return wybourne_to_stevens(W, ion="Dy")


def keys() -> list[tuple[int, int]]:
    return [(k, q) for k in (2, 4, 6) for q in range(-k, k + 1)]


def cf_displacements() -> CFDisplacements:
    """B_k^q at every geometry with one coordinate displaced by +-STEP_A (rows r = 3 i + alpha)."""
    n = len(POSITIONS)
    plus = np.zeros((3 * n, len(keys())))
    minus = np.zeros_like(plus)
    for r in range(3 * n):
        for sign, out in ((1.0, plus), (-1.0, minus)):
            pos = POSITIONS.copy()
            pos[r // 3, r % 3] += sign * STEP_A
            B = point_charge_stevens(pos)
            out[r] = [B.get(kq, 0.0) for kq in keys()]
    return CFDisplacements(plus, minus, tuple(keys()), STEP_A, J)


def phonopy_object():
    from phonopy import Phonopy
    from phonopy.structure.atoms import PhonopyAtoms

    cell = PhonopyAtoms(symbols=SYMBOLS, cell=BOX_A * np.eye(3), positions=POSITIONS, masses=MASSES)
    ph = Phonopy(cell, supercell_matrix=np.eye(3, dtype=int), primitive_matrix=np.eye(3))
    ph.force_constants = force_constants()
    return ph


def config_text(folder: str = "ab-initio-route") -> str:
    """The example's TOML: the equilibrium crystal field and the two files of ``folder``."""
    B = point_charge_stevens(POSITIONS)
    tables = []
    for k in (2, 4, 6):
        entries = ", ".join(f'"{q}" = {B.get((k, q), 0.0):.10g}' for q in range(-k, k + 1))
        tables.append(f"B{k} = {{{entries}}}")
    lo, hi, num = TEMPERATURES_K
    return f"""# The ab initio route end to end, on a toy Dy(III) molecule: phonopy force constants and the
# crystal field at geometries displaced by +-{STEP_A} A give the spin-phonon couplings, then tau(T).
# Both files, and the equilibrium crystal field below (Stevens, cm^-1, point charges), are written
# by scripts/make_ab_initio_example.py (a spring model and point charges standing in for DFT and
# CASSCF; see its docstring). Replace them with your own to run your molecule.
# `spinbath example ab-initio-route --write abi.toml` copies this file and the folder of input files
# it names (paths relative to this file).
# Temperatures: where tau of every order is resolved in double precision for this molecule (a
# 1720 cm^-1 barrier). Below about 55 K tau exceeds 1e8 s and its rate is under the round-off of the
# fast rates of R; above about 180 K tau of order 2 alone is at the round-off of the full R.
study = "spin-phonon"
title = "toy Dy(III) molecule, ab initio route"
temperatures = {{start = "{lo:g} K", stop = "{hi:g} K", num = {num}, spacing = "log"}}

[spin]
J = "15/2"
g = "4/3"

[spin.crystal_field]
convention = "stevens"
{chr(10).join(tables)}

[field]
direction = [0, 0, 1]

[bath]
phonopy = "{folder}/phonopy_params.yaml"
cf_displacements = "{folder}/cf_displacements.npz"

[method]
orders = [2, 4, "2+4"]
width = "10 cm^-1"
"""


def write(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    ph = phonopy_object()
    yaml = out / "phonopy_params.yaml"
    ph.save(yaml, settings={"force_constants": True})
    npz = out / "cf_displacements.npz"
    cf_displacements().save_npz(npz)
    toml = out.parent / f"{out.name}.toml"
    toml.write_text(config_text(out.name))
    return [yaml, npz, toml]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="src/spinbath/examples/ab-initio-route", help="output folder")
    for p in write(Path(parser.parse_args().out)):
        print(f"wrote {p} ({p.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
