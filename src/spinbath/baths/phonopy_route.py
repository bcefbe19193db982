r"""Spin-phonon couplings from phonopy and crystal-field parameters at displaced geometries.

The "ab initio route" to a :class:`~spinbath.baths.phonons.PhononBath`:

1. Gamma-point phonons from phonopy (:func:`~spinbath.baths.phonopy_route.gamma_modes`): energies hbar w_a (cm^-1) and the
   mass-weighted, orthonormal, real eigenvectors e^a_{i,alpha} of the dynamical matrix. Atoms
   i = 0..N-1 are phonopy's *primitive cell* in its order; alpha = x, y, z are the Cartesian axes of
   the phonopy cell (positions = scaled_positions @ lattice).
2. Stevens parameters B_k^q (cm^-1, the Conventions page (docs/conventions.md)), computed by the user with a quantum
   chemistry code at the 6N geometries of :func:`cartesian_displacements`, all in *one fixed frame*
   (the frame must not follow the displaced atoms). Central differences (:func:`~spinbath.baths.phonopy_route.cf_gradient`):
       dB/du_{i,alpha} = [B(+h e_{i,alpha}) - B(-h e_{i,alpha})] / (2h)     cm^-1/Angstrom, error O(h^2).
3. Projection on the modes (:func:`project_on_modes`) on the dimensionless displacement
   Q_a = a_a + a_a^+, i.e. the displacement in units of the rms zero-point amplitude (<0|Q_a^2|0> = 1):
       u_{i,alpha} = sum_a L_{i,a} e^a_{i,alpha} Q_a,        L_{i,a} = sqrt(hbar / (2 m_i w_a)),
       dB/dQ_a     = sum_{i,alpha} L_{i,a} e^a_{i,alpha} dB/du_{i,alpha}                 (cm^-1),
   so that a mode's harmonic energy is hbar w_a (P_a^2 + Q_a^2)/4 (P_a = i (a_a^+ - a_a)); a static
   displacement Q_a stores (1/2) m w^2 x^2 = hbar w_a Q_a^2 / 4. This is the convention of the rates
   (:mod:`spinbath.quantum.spin_phonon`): H_int = sum_a V^a Q_a, <n+1|Q_a|n> = sqrt(n+1), so
   Gamma = (2 pi / hbar) |V_fi|^2 G with no factor 1/2 (V^a = dH/dx_a sqrt(hbar/(2 m_a w_a)), as in
   Lunghi's work). Units (:func:`zero_point_length_A`): m in amu, E = hbar w in cm^-1
   (w = 2 pi c E, c in cm/s), scipy.constants (CODATA):
       L [Angstrom] = 1e10 sqrt(hbar / (2 m * amu * 2 pi c E));  m = 1 amu, E = 1000 cm^-1 -> 0.129837 A
   (sqrt(hbar/(m w)) = 0.18362 A would be the length unit of q = Q/sqrt(2) = (a^+ + a)/sqrt(2); a
   derivative per unit q is sqrt(2) times one per unit Q).
4. V^a = sum_kq (dB_k^q/dQ_a) O_k^q [+ mu_B B . (dg/dQ_a) . J when g tensors are given, dg/dQ
   projected like dB/dQ] in |J, M> (M descending) by
   :func:`~spinbath.baths.cf_couplings.couplings_from_cf_derivatives` (:func:`bath_from_phonopy`).

The three lowest Gamma modes are the acoustic ones (rigid translations, w = 0 when the force
constants obey the acoustic sum rule) and are always dropped, whatever energy force constants that
break the sum rule slightly give them (a few cm^-1, or imaginary above -``min_energy_cm``); the
``source`` of the bath records their largest |hbar w|. Of the other modes, those with
|hbar w_a| < ``min_energy_cm`` (default 5 cm^-1; ``[bath] min_energy`` in a config; rotations of
a molecule in a box) are dropped too. phonopy reports an imaginary frequency as a negative number;
one at or below -``min_energy_cm`` is an error, acoustic or not. Only Gamma is used here (no
non-analytic correction at q = 0); the modes of a q-mesh across the Brillouin zone are built by
:mod:`spinbath.baths.phonopy_qmesh`.

File format of the displaced-geometry CF parameters (NumPy .npz, no pickles;
``CFDisplacements.save_npz``, :func:`load_cf_displacements`):

    B_plus   float64 (3n, n_keys)  B_k^q (cm^-1) with coordinate r displaced by +step_A; row r is atom
                                   atoms[r // 3], axis r % 3 (x, y, z), i.e. r = 3 i + alpha
    B_minus  float64 (3n, n_keys)  the same at -step_A
    kq       int (n_keys, 2)       (k, q) of each column, Stevens convention
    step_A   float64 (0-d)         step h in Angstrom, > 0
    J        float64 (0-d)         J of the multiplet (multiple of 1/2)
    atoms    int (n,)              optional: primitive-cell indices of the displaced atoms (default
                                   0..N-1, n = N); atoms not listed are taken not to change the CF
    cells    int (n, 3)            optional: the cell of each displaced atom, as integer multiples of
                                   phonopy's *primitive* lattice vectors (rows of primitive.cell),
                                   counted from the cell of the magnetic ion (default: all 0). Atom
                                   atoms[j] of cell cells[j] sits at (cells[j] + x_k) @ primitive.cell,
                                   x_k its scaled position. The pairs (atoms[j], cells[j]) are distinct.
    g_plus   float64 (3n, 3, 3)    optional: the g tensor (dimensionless) at the same +step_A geometries
    g_minus  float64 (3n, 3, 3)    optional: the same at -step_A (both or neither); with an applied
                                   field B they add mu_B B . (dg/dQ_a) . J to the couplings
    schema   str (0-d)             "spinbath.CFDisplacements/1", or ".../2" when ``cells`` or g is
                                   present (so an older reader, which would ignore them, refuses the file)

The derivatives are those of a supercell calculation: displacing atom k of cell l moves one atom,
not the whole periodic sublattice. At Gamma every cell moves alike, so the Gamma route adds the rows
of the same atom in different cells; the q-mesh route (:mod:`spinbath.baths.phonopy_qmesh`) gives
them the Bloch phases exp(2 pi i q . cells[j]).
"""

from __future__ import annotations

import warnings

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import constants as _c

from ..spins.operators import check_spin
from ..spins.stevens import check_kq
from ..units import THZ_TO_CM
from .cf_couplings import couplings_from_cf_derivatives
from .phonons import PhononBath

__all__ = [
    "CF_SCHEMA", "CF_SCHEMA_CELLS", "zero_point_length_A", "cartesian_displacements", "cf_gradient", "gamma_modes",
    "project_on_modes", "CFDisplacements", "load_cf_displacements", "load_phonopy", "bath_from_phonopy",
]

CF_SCHEMA = "spinbath.CFDisplacements/1"
#: Schema of a CF-displacement file with the ``cells`` key (supercell derivatives, q-mesh route).
CF_SCHEMA_CELLS = "spinbath.CFDisplacements/2"


def _import_phonopy():
    try:
        import phonopy
    except ImportError as err:
        raise ImportError("the phonopy route needs phonopy: install spinbath[phonopy] "
                          "(pip install 'spinbath[phonopy]')") from err
    return phonopy


def zero_point_length_A(mass_amu, energy_cm) -> np.ndarray:
    """Rms zero-point amplitude sqrt(hbar / (2 m w)) in Angstrom (m in amu, hbar w in cm^-1, > 0).

    The length of one unit of Q = a + a^+ (module docstring); broadcasts.
    m = 1 amu, hbar w = 1000 cm^-1 -> 0.129837 A.
    """
    m, e = np.asarray(mass_amu, dtype=float), np.asarray(energy_cm, dtype=float)
    if np.any(m <= 0) or np.any(e <= 0):
        raise ValueError("masses (amu) and mode energies (cm^-1) must be > 0")
    return 1e10 * np.sqrt(_c.hbar / (2.0 * m * _c.atomic_mass * 2 * np.pi * _c.c * 100.0 * e))


def cartesian_displacements(n_atoms: int, step_A: float) -> np.ndarray:
    """The 6N displacement patterns (Angstrom) at which to compute the CF parameters.

    Returns D of shape (6N, N, 3); geometry s is ``positions + D[s]``. Rows s < 3N displace atom
    s // 3 along axis s % 3 by +step_A (rows of ``B_plus``); row 3N + r is row r with -step_A
    (rows of ``B_minus``).
    """
    if int(n_atoms) != n_atoms or n_atoms < 1:
        raise ValueError(f"n_atoms must be a positive integer, got {n_atoms!r}")
    h = _check_step(step_A)
    plus = h * np.eye(3 * int(n_atoms)).reshape(-1, int(n_atoms), 3)
    return np.concatenate([plus, -plus])


def _check_step(step_A) -> float:
    h = float(step_A)
    if not np.isfinite(h) or h <= 0:
        raise ValueError(f"step_A must be finite and > 0 Angstrom, got {step_A!r}")
    return h


def cf_gradient(B_plus: np.ndarray, B_minus: np.ndarray, step_A: float) -> np.ndarray:
    """dB/du = (B_plus - B_minus) / (2 step_A): (3n, n_keys) in cm^-1/Angstrom (rows as B_plus)."""
    bp, bm = np.asarray(B_plus), np.asarray(B_minus)
    for name, b in (("B_plus", bp), ("B_minus", bm)):
        if b.ndim != 2 or b.shape[0] % 3:
            raise ValueError(f"{name} must have shape (3n, n_keys), got {b.shape}")
        if not np.isrealobj(b) or not np.all(np.isfinite(b)):
            raise ValueError(f"{name} must be real and finite (cm^-1)")
    if bp.shape != bm.shape:
        raise ValueError(f"shape mismatch: B_plus {bp.shape} vs B_minus {bm.shape}")
    return (bp.astype(float) - bm.astype(float)) / (2.0 * _check_step(step_A))


def load_phonopy(phonopy_source):
    """A ``phonopy.Phonopy`` object with force constants: the object itself, or ``phonopy.load`` of a
    phonopy yaml path (force constants produced from the forces of displaced supercells if needed).
    Raises ValueError when there are no force constants."""
    ph = phonopy_source
    if isinstance(ph, (str, os.PathLike)):
        ph = _import_phonopy().load(ph, produce_fc=True, log_level=0)
    if getattr(ph, "force_constants", None) is None or ph.dynamical_matrix is None:
        raise ValueError("the phonopy input has no force constants: set them, or give a phonopy yaml "
                         "with force constants or forces of the displaced supercells")
    return ph


def gamma_modes(phonopy_source) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gamma-point modes of a ``phonopy.Phonopy`` object or of a phonopy yaml (``phonopy.load``).

    Returns ``(energies_cm (3N,), eigenvectors (3N, N, 3), masses_amu (N,))``: energies ascending,
    imaginary frequencies as negative numbers (phonopy's THz times ``units.THZ_TO_CM``); real
    orthonormal mass-weighted eigenvectors from the real symmetric Gamma dynamical matrix of the
    primitive cell (so degenerate modes get a real basis).
    """
    ph = load_phonopy(phonopy_source)
    dm = ph.dynamical_matrix
    dm.run([0.0, 0.0, 0.0])
    D = np.asarray(dm.dynamical_matrix)
    if np.abs(D.imag).max() > 1e-8 * max(np.abs(D).max(), 1e-300):
        raise ValueError("the Gamma dynamical matrix is not real; cannot build real eigenvectors")
    lam, vec = np.linalg.eigh(D.real)
    thz = np.sign(lam) * np.sqrt(np.abs(lam)) * ph.unit_conversion_factor
    masses = np.array(ph.primitive.masses, dtype=float)
    return thz * THZ_TO_CM, vec.T.reshape(lam.size, masses.size, 3), masses


def _kept_modes(w: np.ndarray, min_energy_cm: float, n_acoustic: int = 0, name: str = "mode {j}") -> np.ndarray:
    """Indices of the modes kept, of energies ``w`` (cm^-1, ascending, negative = imaginary; unsorted
    energies with ``n_acoustic`` > 0 are a ValueError) at one q:
    all but the ``n_acoustic`` lowest (3 at Gamma: the acoustic modes, whatever energy a slightly
    broken sum rule gives them; a warning when they are not all below the threshold) and those with
    |w| < ``min_energy_cm``. A mode at or below -``min_energy_cm`` is a ValueError naming it by
    ``name`` (formatted with its index j)."""
    thr = float(min_energy_cm)
    down = np.flatnonzero(np.diff(w) < 0)
    if n_acoustic and down.size:  # "the lowest" is only defined on sorted energies
        j = int(down[0])
        raise ValueError(f"mode energies must be ascending (phonopy's order) to drop the {n_acoustic} acoustic "
                         f"modes, the lowest: {name.format(j=j + 1)} ({w[j + 1]:.6g} cm^-1) is below "
                         f"{name.format(j=j)} ({w[j]:.6g} cm^-1)")
    bad = np.flatnonzero(w <= -thr)
    if bad.size:
        raise ValueError(f"{name.format(j=bad[0])} has an imaginary frequency ({w[bad[0]]:.4g} cm^-1 in "
                         f"phonopy's sign convention); {_IMAGINARY_ADVICE}")
    kept = np.flatnonzero(np.abs(w) >= thr) if thr > 0 else np.flatnonzero(w > 0)
    if n_acoustic:
        _warn_if_acoustic_above(w[:n_acoustic], thr)
    return kept[kept >= n_acoustic]


#: What to do about an imaginary mode (the end of the error message).
_IMAGINARY_ADVICE = ("relax the structure, or raise the threshold below which modes are dropped "
                    "(min_energy_cm; in a config: [bath] min_energy, default 5 cm^-1)")


def project_on_modes(gradient: np.ndarray, eigenvectors: np.ndarray, masses_amu: np.ndarray,
                     energies_cm: np.ndarray, min_energy_cm: float = 5.0,
                     atoms: Sequence[int] | None = None, n_acoustic: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """dB/dQ_a = sum_{i,alpha} sqrt(hbar/(2 m_i w_a)) e^a_{i,alpha} dB/du_{i,alpha} (module docstring).

    Parameters
    ----------
    gradient : (3n, n_keys) dB/du in cm^-1/Angstrom, row 3 j + alpha for atom ``atoms[j]``.
    eigenvectors : (n_modes, N, 3) real, mass-weighted, each normalized to 1.
    masses_amu : (N,) masses, amu.  energies_cm : (n_modes,) hbar w_a, cm^-1 (negative = imaginary).
    min_energy_cm : modes with |hbar w_a| below this are dropped; one <= -min_energy_cm is an error.
    atoms : primitive-cell indices of the rows of ``gradient`` (default: all N, in order).
    n_acoustic : the first ``n_acoustic`` modes (energies ascending: 3 for the acoustic modes at
        Gamma) are dropped whatever their energy, unless imaginary at or below -min_energy_cm.

    Returns
    -------
    (dB/dQ (n_kept, n_keys) in cm^-1 per unit Q = a + a^+, indices of the kept modes (n_kept,)).
    """
    g, e = np.asarray(gradient, dtype=float), np.asarray(eigenvectors)
    m, w = np.asarray(masses_amu, dtype=float), np.asarray(energies_cm, dtype=float)
    if m.ndim != 1 or np.any(~np.isfinite(m) | (m <= 0)):
        raise ValueError("masses_amu must be a 1-D array of positive masses (amu)")
    n_at = m.size
    if e.shape != (w.size, n_at, 3) or w.ndim != 1:
        raise ValueError(f"eigenvectors must have shape (n_modes, {n_at}, 3) matching "
                         f"energies_cm {w.shape}, got {e.shape}")
    if not np.isrealobj(e) or not np.allclose(np.einsum("aix,aix->a", e, e), 1.0, atol=1e-6):
        raise ValueError("eigenvectors must be real and normalized (mass-weighted, not displacements)")
    idx = np.arange(n_at) if atoms is None else np.asarray(atoms)
    if idx.ndim != 1 or idx.dtype.kind not in "iu" or len(set(idx.tolist())) != idx.size \
            or np.any((idx < 0) | (idx >= n_at)):
        raise ValueError(f"atoms must be distinct integers in 0..{n_at - 1}, got {atoms!r}")
    if g.ndim != 2 or g.shape[0] != 3 * idx.size:
        raise ValueError(f"gradient must have shape ({3 * idx.size}, n_keys) for {idx.size} "
                         f"displaced atoms, got {g.shape}")
    thr = float(min_energy_cm)
    if not np.isfinite(thr) or thr < 0:
        raise ValueError(f"min_energy_cm must be finite and >= 0, got {min_energy_cm!r}")
    n_ac = int(n_acoustic)
    if not 0 <= n_ac <= w.size:  # the energies' order is checked by _kept_modes
        raise ValueError(f"n_acoustic must be in 0..{w.size}, got {n_acoustic!r}")
    kept = _kept_modes(w, thr, n_ac, "mode {j}")
    full = np.zeros((n_at, 3, g.shape[1]))
    full[idx] = g.reshape(idx.size, 3, -1)
    L = zero_point_length_A(m[None, :], w[kept][:, None])  # (n_kept, N), Angstrom per unit Q
    return np.einsum("ai,aix,ixk->ak", L, e[kept], full), kept


@dataclass(frozen=True, eq=False)
class CFDisplacements:
    """Stevens parameters at the +/- displaced geometries (file format in the module docstring).

    ``B_plus``, ``B_minus`` (3n, n_keys) cm^-1; ``keys`` the (k, q) of the columns; ``step_A``
    Angstrom; ``J`` of the multiplet; ``atoms`` primitive-cell indices of the displaced atoms or None;
    ``cells`` (n, 3) integer cell of each displaced atom in primitive lattice vectors, or None (all in
    the magnetic ion's cell); ``g_plus``, ``g_minus`` (3n, 3, 3) g tensors at the same geometries, or None.
    """

    B_plus: np.ndarray
    B_minus: np.ndarray
    keys: tuple[tuple[int, int], ...]
    step_A: float
    J: float
    atoms: np.ndarray | None = None
    cells: np.ndarray | None = None
    g_plus: np.ndarray | None = None
    g_minus: np.ndarray | None = None

    def __post_init__(self):
        kq = np.asarray(self.keys)
        if kq.ndim != 2 or kq.shape[1] != 2:
            raise ValueError(f"kq: need (k, q) pairs, shape (n_keys, 2), got shape {kq.shape}")
        try:
            keys = tuple(check_kq(*k) for k in kq.tolist())
        except (ValueError, TypeError) as err:
            raise ValueError(f"kq: {err}") from None
        if len(set(keys)) != len(keys):
            raise ValueError(f"kq: duplicate (k, q) keys in {keys}")
        grad = cf_gradient(self.B_plus, self.B_minus, self.step_A)  # validates B_plus/B_minus/step_A
        if grad.shape[1] != len(keys):
            raise ValueError(f"kq: {len(keys)} keys but B_plus has {grad.shape[1]} columns")
        atoms = self.atoms
        if atoms is not None:
            atoms = np.asarray(atoms)
            if atoms.ndim != 1 or atoms.dtype.kind not in "iu" or atoms.size * 3 != grad.shape[0] \
                    or np.any(atoms < 0) \
                    or (self.cells is None and len(set(atoms.tolist())) != atoms.size):
                raise ValueError(f"atoms: need {grad.shape[0] // 3} distinct non-negative integers "
                                 f"(repeats only with cells), got {self.atoms!r}")
        cells = self.cells
        if cells is not None:
            cells = np.asarray(cells)
            n = grad.shape[0] // 3
            if cells.shape != (n, 3) or cells.dtype.kind not in "iu":
                raise ValueError(f"cells: need an integer array of shape ({n}, 3) (one lattice translation per "
                                 f"displaced atom), got {cells.dtype} {cells.shape}")
            ids = np.arange(n) if atoms is None else atoms
            pairs = {(int(a), *map(int, c)) for a, c in zip(ids, cells)}
            if len(pairs) != n:
                raise ValueError("cells: the same atom of the same cell is listed twice")
        if (self.g_plus is None) != (self.g_minus is None):
            raise ValueError("g_plus and g_minus go together (g tensors at the +- displaced geometries)")
        for name in ("g_plus", "g_minus"):
            val = getattr(self, name)
            if val is not None:
                a = np.asarray(val)
                if a.shape != (grad.shape[0], 3, 3) or not np.isrealobj(a) or not np.all(np.isfinite(a)):
                    raise ValueError(f"{name} must be real, finite and of shape ({grad.shape[0]}, 3, 3), "
                                     f"got {a.dtype} {a.shape}")
        for name, val in (("B_plus", self.B_plus), ("B_minus", self.B_minus), ("atoms", atoms),
                          ("cells", cells), ("g_plus", self.g_plus), ("g_minus", self.g_minus)):
            if val is not None:
                a = np.array(val, dtype=float if name not in ("atoms", "cells") else int)
                a.setflags(write=False)
                object.__setattr__(self, name, a)
        object.__setattr__(self, "keys", keys)
        object.__setattr__(self, "step_A", float(self.step_A))
        object.__setattr__(self, "J", check_spin(self.J))

    @property
    def gradient(self) -> np.ndarray:
        """dB/du, (3n, n_keys) in cm^-1/Angstrom (:func:`~spinbath.baths.phonopy_route.cf_gradient`)."""
        return cf_gradient(self.B_plus, self.B_minus, self.step_A)

    @property
    def g_gradient(self) -> np.ndarray | None:
        """dg/du, (3n, 3, 3) per Angstrom by central differences, or None without g tensors."""
        if self.g_plus is None:
            return None
        return (self.g_plus - self.g_minus) / (2.0 * self.step_A)

    @property
    def all_gradients(self) -> np.ndarray:
        """(3n, n_keys [+ 9]): dB/du, then the 9 components of dg/du (row-major) when g is given; the
        projection on modes is the same linear map for every column."""
        g = self.gradient
        return g if self.g_plus is None else np.concatenate([g, self.g_gradient.reshape(g.shape[0], 9)], axis=1)

    def save_npz(self, path: str | os.PathLike) -> None:
        """Write the .npz of the module docstring (schema /2 when ``cells`` or g is set)."""
        new = self.cells is not None or self.g_plus is not None
        data = dict(B_plus=self.B_plus, B_minus=self.B_minus, kq=np.array(self.keys, dtype=int),
                    step_A=np.array(self.step_A), J=np.array(float(self.J)),
                    schema=np.array(CF_SCHEMA_CELLS if new else CF_SCHEMA))
        for name in ("atoms", "cells", "g_plus", "g_minus"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        np.savez(path, **data)

    def folded_to_gamma(self, n_atoms: int) -> tuple[np.ndarray, np.ndarray]:
        """(atoms, gradient) with the rows of one atom in different cells added: the derivatives for a
        whole sublattice moved together, what a Gamma-point mode sees. ``gradient`` (3n', n_cols) of
        :attr:`all_gradients` (cm^-1/Angstrom, then 1/Angstrom for g), ``atoms`` the distinct
        primitive indices (sorted when ``cells`` is set)."""
        ids = np.arange(n_atoms) if self.atoms is None else self.atoms
        if np.any(ids >= n_atoms):
            raise ValueError(f"atoms: index {int(ids.max())} is outside the {n_atoms}-atom primitive cell")
        grad = self.all_gradients
        if self.cells is None:
            return ids, grad
        uniq, inv = np.unique(ids, return_inverse=True)
        g = np.zeros((uniq.size, 3, grad.shape[1]))
        np.add.at(g, inv, grad.reshape(ids.size, 3, -1))
        return uniq, g.reshape(3 * uniq.size, -1)


def load_cf_displacements(path: str | os.PathLike) -> CFDisplacements:
    """Read and validate a CF-displacement .npz; ValueError names the file, the key and the problem."""
    where = repr(os.fspath(path))
    with np.load(path, allow_pickle=False) as f:
        missing = sorted({"B_plus", "B_minus", "kq", "step_A", "J", "schema"} - set(f.files))
        if missing:
            raise ValueError(f"{where} is not a CF-displacement file: missing key(s) {missing}")
        schema = str(f["schema"])
        if schema not in (CF_SCHEMA, CF_SCHEMA_CELLS):
            raise ValueError(f"{where}: schema is {schema!r}, expected {CF_SCHEMA!r} or {CF_SCHEMA_CELLS!r}")
        newer = sorted({"cells", "g_plus", "g_minus"} & set(f.files))
        if schema == CF_SCHEMA and newer:
            raise ValueError(f"{where}: schema {schema!r} has no key {newer[0]!r} (the file says /1 but holds "
                             f"{', '.join(newer)}; write it with schema {CF_SCHEMA_CELLS!r})")
        kq = f["kq"]
        if kq.dtype.kind not in "iu" or kq.ndim != 2 or kq.shape[1] != 2:
            raise ValueError(f"{where}: kq must be an integer array of shape (n_keys, 2), "
                             f"got {kq.dtype} {kq.shape}")
        for key in ("step_A", "J"):
            if f[key].shape != () or f[key].dtype.kind not in "iuf":
                raise ValueError(f"{where}: {key} must be a real scalar, got {f[key].dtype} {f[key].shape}")
        try:
            return CFDisplacements(f["B_plus"], f["B_minus"], kq, f["step_A"][()], f["J"][()],
                                   *(f[k] if k in f.files else None for k in ("atoms", "cells", "g_plus", "g_minus")))
        except ValueError as err:
            raise ValueError(f"{where}: {err}") from None


def bath_from_phonopy(phonopy_source, cf: CFDisplacements | str | os.PathLike,
                      linewidths_cm: float | np.ndarray | None = None,
                      min_energy_cm: float = 5.0, field_T: Sequence[float] = (0.0, 0.0, 0.0)) -> PhononBath:
    """PhononBath of the Gamma modes with V^a = sum_kq dB_k^q/dQ_a O_k^q: all but the three acoustic
    modes (the lowest three, always dropped) and modes with |hbar w| < ``min_energy_cm`` (cm^-1;
    module docstring).

    ``phonopy_source``: a ``phonopy.Phonopy`` object with force constants or a phonopy yaml path.
    ``cf``: a :class:`CFDisplacements` or the path of its .npz (displaced atoms of other cells, if any,
    are added to their sublattice: at Gamma all cells move together). ``linewidths_cm``: None, one width
    for every mode, or (3N,) widths for all Gamma modes in :func:`~spinbath.baths.phonopy_route.gamma_modes` order (cm^-1).
    ``field_T``: applied field (T), used only when ``cf`` has g tensors (mu_B B . dg/dQ_a . J).
    Energies cm^-1; couplings (n_kept, 2J+1, 2J+1) cm^-1 per unit Q = a + a^+ in |J, M>, M
    descending.
    """
    if not isinstance(cf, CFDisplacements):
        cf = load_cf_displacements(cf)
    w, e, m = gamma_modes(phonopy_source)
    atoms, gradient = cf.folded_to_gamma(m.size)
    dQ, kept = project_on_modes(gradient, e, m, w, min_energy_cm, None if cf.atoms is None else atoms,
                                n_acoustic=min(3, w.size))
    if not kept.size:
        raise ValueError(f"no Gamma mode has |hbar w| >= min_energy_cm = {float(min_energy_cm):g} cm^-1 besides "
                         "the three acoustic ones (lower it; in a config: [bath] min_energy)")
    nk = len(cf.keys)
    dBdQ, dgdQ = dQ[:, :nk], (dQ[:, nk:].reshape(-1, 3, 3) if cf.g_plus is not None else None)
    lw = None
    if linewidths_cm is not None:
        lw = np.broadcast_to(np.asarray(linewidths_cm, dtype=float), w.shape) \
            if np.ndim(linewidths_cm) == 0 else np.asarray(linewidths_cm, dtype=float)
        if lw.shape != w.shape:
            raise ValueError(f"linewidths_cm must be a number or have shape {w.shape}, got {lw.shape}")
        lw = lw[kept]
    V = couplings_from_cf_derivatives(cf.J, dBdQ, cf.keys, dgdQ, field_T)
    return PhononBath(w[kept], V, lw, source=f"phonopy Gamma modes ({kept.size} of {w.size} kept, "
                      f"|E| >= {min_energy_cm} cm^-1; {_acoustic_note(w[:3])}) + CF central differences, "
                      f"step {cf.step_A} A")


def _warn_if_acoustic_above(w_acoustic_cm: np.ndarray, min_energy_cm: float) -> None:
    """Warn when the three lowest modes at Gamma, dropped as the acoustic ones, are not all below the
    threshold: the force constants then break the acoustic sum rule by more than a round-off, and
    energy order alone may take an optical mode for an acoustic one."""
    top = float(np.abs(np.asarray(w_acoustic_cm, dtype=float)).max())
    if top >= min_energy_cm > 0:
        warnings.warn(f"the three lowest modes at Gamma, dropped as the acoustic ones, reach |hbar w| = {top:.3g} "
                      f"cm^-1 >= min_energy_cm = {min_energy_cm:g}: the force constants break the acoustic sum "
                      "rule, and an optical mode may have been taken for an acoustic one (symmetrize the force "
                      "constants, e.g. phonopy's symmetrize_force_constants)", RuntimeWarning, stacklevel=4)


def _acoustic_note(w_acoustic_cm: np.ndarray) -> str:
    """The part of a bath's ``source`` that records the acoustic modes dropped at Gamma."""
    if w_acoustic_cm is None:
        return "no q = 0 in the modes"
    w = np.asarray(w_acoustic_cm, dtype=float)
    return f"{w.size} acoustic modes at Gamma dropped, |E| <= {np.abs(w).max():.2g} cm^-1"
