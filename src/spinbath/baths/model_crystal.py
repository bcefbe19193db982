r"""A small test crystal for the q-mesh route: Dy-O chains on a tetragonal lattice.

Made to be solved in seconds, with everything the q-mesh route needs built by hand (no DFT, no
quantum chemistry) and every quantity analytic:

- **Cell.** Tetragonal, a = b = 4.4 A, c = 6.0 A; Dy (162.5 amu) at the origin, O (15.9994 amu) at
  the scaled position (0.2, 0.1, 0.4): zig-zag Dy-O-Dy chains along z (Dy-O 2.59 and 3.73 A), 2 atoms
  and 6 branches. The O sits off the axis so that the Dy site has no symmetry: its Kramers doublets
  are mixed and two-phonon (Raman) relaxation inside the ground doublet is allowed.
- **Force constants** of bond springs, each with a stretching constant k_s along the bond and a
  bending constant k_b across it: Phi_ij = -(k_s r r^T + k_b (1 - r r^T)) for bonded i != j (r the
  unit bond vector) and Phi_ii = -sum_j Phi_ij (translations cost nothing: acoustic sum rule).
  Bonds: Dy-O along z (both sides; k_s 4, k_b 0.4 eV/A^2), Dy-Dy and O-O along x and y (k_s 0.5,
  k_b 0.1 eV/A^2). The bending part makes every branch stable; it is not invariant under
  rotations, which a periodic crystal does not need. Springs reach the neighbouring cells only, so
  phonopy's Fourier interpolation of the supercell force constants (3x3x3 by default) is exact at
  every q: the acoustic branches reach 73, 74 and 105 cm^-1, the optical ones lie above 116 cm^-1
  (Gamma: 122, 170, 368 cm^-1; on a 6x6x6 mesh 117-385).
- **Crystal field** of point charges Z = ``O_CHARGE`` e on the O sites within ``CF_CUTOFF_A`` of
  the Dy ion (7 ligands, 2.59-5.47 A; levels 0, 56, 103, 141, 171, 192, 206, 214 cm^-1, each a
  Kramers doublet), for the 4f electrons of Dy(III) (Wybourne parameters,
  Racah tensors C^k_q, Condon-Shortley phase; the same electrostatic model as
  ``scripts/make_ab_initio_example.py``):

      B^k_q = -(e^2 / 4 pi eps0) <r^k> sum_j Z_j C^k_q(R_j)^* / R_j^(k+1) = -K_k sum_j Z_j I^q_k(R_j)^*,

  I^q_k(R) = C^k_q(R^) / R^(k+1) the irregular solid harmonics, R_j = (ligand - Dy) position; then
  Stevens B_k^q by ``spinbath.spins.conventions.wybourne_to_stevens`` (a real-linear map).
  **Analytic derivatives** from the ladder relations of the irregular solid harmonics,

      d/dz I^q_k = -sqrt((k+1)^2 - q^2) I^q_{k+1},
      (d/dx + i d/dy) I^q_k = sqrt((k+q+1)(k+q+2)) I^{q+1}_{k+1},
      (d/dx - i d/dy) I^q_k = -sqrt((k-q+1)(k-q+2)) I^{q-1}_{k+1},

  checked against central differences in ``tests/baths/test_model_crystal.py``; dB/du of the Dy ion
  is minus the sum over the ligands (the field depends on R_j only: the translation sum rule holds
  exactly). <r^k> = 0.726, 1.322, 5.102 a0^k as in the ab-initio-route example.

The crystal is a test bed, not a material: its numbers are chosen so that tau(T) of orders 2 and 4
is resolved in double precision from 10 K up with meshes up to 6x6x6 in under a minute each.

The displaced atoms of :func:`cf_displacements` are the Dy ion (cell 0) and the ligands, each with
its cell (``CFDisplacements.cells``), as a supercell calculation would give them.
"""

from __future__ import annotations

from math import factorial

import numpy as np
from scipy import constants as _c
from scipy.special import lpmv

from ..spins.conventions import wybourne_to_stevens
from .phonopy_route import CFDisplacements, _import_phonopy

__all__ = ["LATTICE_A", "SYMBOLS", "MASSES_AMU", "SCALED_POSITIONS", "O_CHARGE", "CF_CUTOFF_A", "J",
           "BONDS", "STEVENS_KEYS", "phonopy_crystal", "supercell_force_constants", "environment",
           "point_charge_stevens", "point_charge_gradient", "equilibrium_stevens", "cf_displacements"]

LATTICE_A = np.diag([4.4, 4.4, 6.0])
SYMBOLS = ("Dy", "O")
MASSES_AMU = (162.5, 15.9994)
SCALED_POSITIONS = np.array([[0.0, 0.0, 0.0], [0.2, 0.1, 0.4]])
#: Point charge of an O ligand (e) and the radius (A) within which ligands enter the crystal field.
O_CHARGE = -0.25
CF_CUTOFF_A = 5.5
J = 7.5
R_K = {2: 0.726, 4: 1.322, 6: 5.102}  # <r^k> of the Dy(III) 4f shell in a0^k
#: (atom i, atom j, cell of j, k_s, k_b in eV/A^2): each bond once.
BONDS = (
    (0, 1, (0, 0, 0), 4.0, 0.4), (0, 1, (0, 0, -1), 4.0, 0.4),
    (0, 0, (1, 0, 0), 0.5, 0.1), (0, 0, (0, 1, 0), 0.5, 0.1),
    (1, 1, (1, 0, 0), 0.5, 0.1), (1, 1, (0, 1, 0), 0.5, 0.1),
)
STEVENS_KEYS = tuple((k, q) for k in (2, 4, 6) for q in range(-k, k + 1))
_COULOMB_CM_A = _c.e**2 / (4 * np.pi * _c.epsilon_0) / (_c.h * _c.c * 100) * 1e10  # cm^-1 A
_A0_A = _c.physical_constants["Bohr radius"][0] * 1e10


def _bond_block(d: np.ndarray, ks: float, kb: float) -> np.ndarray:
    r = d / np.linalg.norm(d)
    return -(ks * np.outer(r, r) + kb * (np.eye(3) - np.outer(r, r)))


def supercell_force_constants(ph) -> np.ndarray:
    """Full (n_s, n_s, 3, 3) force constants (eV/A^2) of the bond springs on phonopy's supercell
    (a diagonal supercell matrix with every n_a >= 3, so that no bond meets its own image)."""
    sc = ph.supercell
    S = np.asarray(ph.supercell_matrix)
    n_sc = np.diag(S).astype(int)
    if not np.array_equal(S, np.diag(n_sc)) or np.any(n_sc < 3):
        raise ValueError(f"the model crystal needs a diagonal supercell matrix with n >= 3, got {S.tolist()}")
    frac = sc.scaled_positions * n_sc  # in primitive-cell units
    kind = np.array([SYMBOLS.index(s) for s in sc.symbols])
    cell = np.round(frac - SCALED_POSITIONS[kind]).astype(int) % n_sc
    index = {(int(k), *map(int, c)): s for s, (k, c) in enumerate(zip(kind, cell))}
    fc = np.zeros((len(kind), len(kind), 3, 3))
    for s in range(len(kind)):
        for i, j, n, ks, kb in BONDS:
            if kind[s] != i:
                continue
            t = index[(j, *((cell[s] + np.array(n)) % n_sc))]
            block = _bond_block((np.array(n) + SCALED_POSITIONS[j] - SCALED_POSITIONS[i]) @ LATTICE_A, ks, kb)
            fc[s, t] += block
            fc[t, s] += block
            fc[s, s] -= block
            fc[t, t] -= block
    return fc


def phonopy_crystal(supercell=(3, 3, 3)):
    """A ``phonopy.Phonopy`` of the crystal (primitive = unit cell) with its force constants set
    (phonopy's compact form, rows of the primitive-cell atoms: a small phonopy yaml)."""
    phonopy = _import_phonopy()
    from phonopy.structure.atoms import PhonopyAtoms

    cell = PhonopyAtoms(symbols=list(SYMBOLS), cell=LATTICE_A, scaled_positions=SCALED_POSITIONS,
                        masses=list(MASSES_AMU))
    ph = phonopy.Phonopy(cell, supercell_matrix=np.diag(supercell).astype(int), primitive_matrix=np.eye(3))
    ph.force_constants = supercell_force_constants(ph)[ph.primitive.p2s_map]
    return ph


def environment(cutoff_A: float = CF_CUTOFF_A) -> tuple[np.ndarray, np.ndarray]:
    """(atoms, cells) of the Dy ion (first, cell 0) and of the O ligands within ``cutoff_A`` of it."""
    atoms, cells = [0], [(0, 0, 0)]
    for n in np.ndindex(5, 5, 5):
        n = tuple(int(v) - 2 for v in n)
        if np.linalg.norm((np.array(n) + SCALED_POSITIONS[1]) @ LATTICE_A) <= cutoff_A:
            atoms.append(1)
            cells.append(n)
    return np.array(atoms), np.array(cells)


def _positions(atoms, cells) -> np.ndarray:
    return (np.asarray(cells) + SCALED_POSITIONS[np.asarray(atoms)]) @ LATTICE_A


def _C(k: int, q: int, R: np.ndarray) -> np.ndarray:
    """Racah C^k_q(R^) (Condon-Shortley phase) at the rows of R."""
    r = np.linalg.norm(R, axis=-1)
    ct = np.clip(R[..., 2] / r, -1.0, 1.0)
    phi = np.arctan2(R[..., 1], R[..., 0])
    aq = abs(q)
    c = np.sqrt(factorial(k - aq) / factorial(k + aq)) * lpmv(aq, k, ct) * np.exp(1j * aq * phi)
    return c if q >= 0 else (-1) ** aq * np.conj(c)


def _I(k: int, q: int, R: np.ndarray) -> np.ndarray:
    """Irregular solid harmonic C^k_q(R^) / R^(k+1) (zero for |q| > k)."""
    if abs(q) > k:
        return np.zeros(R.shape[:-1], dtype=complex)
    return _C(k, q, R) / np.linalg.norm(R, axis=-1) ** (k + 1)


def _grad_I(k: int, q: int, R: np.ndarray) -> np.ndarray:
    """(..., 3) gradient of I^q_k by the ladder relations (module docstring)."""
    dz = -np.sqrt((k + 1) ** 2 - q**2) * _I(k + 1, q, R)
    up = np.sqrt((k + q + 1) * (k + q + 2)) * _I(k + 1, q + 1, R)
    down = -np.sqrt((k - q + 1) * (k - q + 2)) * _I(k + 1, q - 1, R)
    return np.stack([(up + down) / 2, (up - down) / 2j, dz], axis=-1)


def _wybourne(rel: np.ndarray, charges: np.ndarray) -> dict[tuple[int, int], complex]:
    out = {}
    for k in (2, 4, 6):
        K = _COULOMB_CM_A * R_K[k] * _A0_A**k
        for q in range(k + 1):
            out[(k, q)] = -K * np.sum(charges * np.conj(_I(k, q, rel)))
        out[(k, 0)] = float(np.real(out[(k, 0)]))
    return out


def point_charge_stevens(positions: np.ndarray, charges: np.ndarray) -> dict[tuple[int, int], float]:
    """Stevens B_k^q (cm^-1, Dy(III)) of point charges (e) at ``positions[1:]`` around the ion at
    ``positions[0]`` (A)."""
    pos = np.asarray(positions, dtype=float)
    return wybourne_to_stevens(_wybourne(pos[1:] - pos[0], np.asarray(charges, float)), ion="Dy")


def point_charge_gradient(positions: np.ndarray, charges: np.ndarray) -> np.ndarray:
    """Analytic dB_k^q/du (n, 3, len(STEVENS_KEYS)) in cm^-1/A of the ion (row 0) and the charges."""
    pos = np.asarray(positions, dtype=float)
    rel, Z = pos[1:] - pos[0], np.asarray(charges, float)
    g = np.zeros((pos.shape[0], 3, len(STEVENS_KEYS)))
    for j in range(rel.shape[0]):
        for ax in range(3):
            W = {}
            for k in (2, 4, 6):
                K = _COULOMB_CM_A * R_K[k] * _A0_A**k
                for q in range(k + 1):
                    W[(k, q)] = -K * Z[j] * np.conj(_grad_I(k, q, rel[j : j + 1])[0, ax])
                W[(k, 0)] = float(np.real(W[(k, 0)]))
            B = wybourne_to_stevens(W, ion="Dy")
            g[j + 1, ax] = [B.get(kq, 0.0) for kq in STEVENS_KEYS]
    g[0] = -g[1:].sum(axis=0)
    return g


def equilibrium_stevens(cutoff_A: float = CF_CUTOFF_A) -> dict[tuple[int, int], float]:
    """B_k^q (cm^-1) of the undisplaced crystal."""
    atoms, cells = environment(cutoff_A)
    return point_charge_stevens(_positions(atoms, cells), np.full(atoms.size - 1, O_CHARGE))


def cf_displacements(step_A: float = 0.01, cutoff_A: float = CF_CUTOFF_A) -> CFDisplacements:
    """B_k^q at the geometries with one environment atom displaced by +-step_A (a supercell
    calculation's derivatives: ``atoms`` and ``cells`` of :func:`environment`)."""
    atoms, cells = environment(cutoff_A)
    pos0 = _positions(atoms, cells)
    Z = np.full(atoms.size - 1, O_CHARGE)
    rows = {1.0: [], -1.0: []}
    for r in range(3 * atoms.size):
        for sign in rows:
            pos = pos0.copy()
            pos[r // 3, r % 3] += sign * step_A
            B = point_charge_stevens(pos, Z)
            rows[sign].append([B.get(kq, 0.0) for kq in STEVENS_KEYS])
    return CFDisplacements(np.array(rows[1.0]), np.array(rows[-1.0]), STEVENS_KEYS, step_A, J, atoms, cells)
