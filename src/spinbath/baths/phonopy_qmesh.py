r"""Phonons across the Brillouin zone: a q-mesh bath from phonopy force constants.

The Gamma route (:mod:`spinbath.baths.phonopy_route`) keeps the 3N modes of one cell at q = 0. Here
the crystal is the Born-von Karman supercell of N_q = n1 n2 n3 primitive cells that a Gamma-centred
mesh q = (i1/n1, i2/n2, i3/n3), i_a = 0..n_a-1 (fractional coordinates of phonopy's reciprocal
primitive lattice; phonopy ``run_mesh(is_gamma_center=True, is_mesh_symmetry=False)``) samples
exactly: its 3 N N_q modes are the modes (q, j) of that mesh, the full mesh (no symmetry wedge).

**Modes.** phonopy's dynamical matrix (force constants of its supercell, Fourier-interpolated to any
q by phonopy; with the non-analytic correction when the phonopy file has Born charges and a
dielectric tensor) carries the phase of the atom positions,

    D~_{kk'}(q) = sum_l' Phi(0k, l'k') exp(2 pi i q . (x_{l'k'} - x_{0k})) / sqrt(m_k m_k'),

x in fractional coordinates of the primitive cell. spinbath uses the *cell* convention
D_{kk'}(q) = sum_l' Phi(0k, l'k') exp(2 pi i q . n_l') / sqrt(m_k m_k') = P D~ P^+, with
P = diag(exp(2 pi i q . x_k)), so that its eigenvectors are e_{qj,k} = exp(2 pi i q . x_k) e~_{qj,k}
in terms of phonopy's. The two conventions give the same physics; mixing them would give wrong
relative phases between atoms of one cell. D(q) is Hermitian and D(-q) = D(q)^*; at a
time-reversal-invariant point (2q integer: Gamma and, on even meshes, zone-boundary points) D(q) is
real and its eigenvectors are taken real, as the Gamma route does.

**Displacements.** With a_{qj} the phonon annihilators, L_{k,qj} = sqrt(hbar / (2 N_q m_k w_qj)),
e_{-qj} = e_{qj}^* (this gauge is imposed: only one q of each pair (q, -q) is diagonalized) and
R_l = n_l . A the cell position (A the primitive lattice vectors as rows; with q in Cartesian
units, q . R_l = 2 pi q_frac . n_l, which is what the code evaluates),

    u_{lk} = sum_{qj} L_{k,qj} [ e_{qj,k} exp(i q . R_l) a_{qj} + h.c. ].

**Couplings.** Linear in the displacements of the atoms (l, k) that move the magnetic ion's
environment (supercell derivatives dH/du_{lk}, :class:`~spinbath.baths.phonopy_route.CFDisplacements`
with its ``cells``), H_int = sum_{lk} dH/du_{lk} . u_{lk} = sum_{qj} (V^{qj} a_{qj} + h.c.) with

    V^{qj} = sum_{l,k} sqrt(hbar / (2 N_q m_k w_qj)) exp(i q . R_l) e_{qj,k} . dH/du_{l,k}    (cm^-1),

which is not Hermitian for q != -q. **Real normal coordinates.** For a pair (q, -q) define
Q_q = a_q + a_{-q}^+ (so Q_q^+ = Q_{-q}) and the two real coordinates Q_c = (Q_q + Q_q^+)/sqrt(2),
Q_s = i (Q_q - Q_q^+)/sqrt(2). They are b + b^+ of the independent oscillators
b_c = (a_q + a_{-q})/sqrt(2), b_s = i (a_q - a_{-q})/sqrt(2) ([b_c, b_c^+] = [b_s, b_s^+] = 1,
[b_c, b_s^+] = 0, w (a_q^+ a_q + a_{-q}^+ a_{-q}) = w (b_c^+ b_c + b_s^+ b_s)), so each is a mode of
spinbath's Q = a + a^+ normalization (:mod:`spinbath.baths.phonons`), energy hbar w_qj, with

    V Q_q + V^+ Q_q^+ = sqrt(2) Re V . Q_c + sqrt(2) Im V . Q_s,
    Re V = (V + V^+)/2,  Im V = (V - V^+)/(2i)          (both Hermitian).

A time-reversal-invariant q is its own partner: V^{qj} is Hermitian (real e, real phases +-1) and
it is one mode with coupling V^{qj}. Every mode of the bath therefore has a Hermitian V, and the
pair (q, -q) is counted once, as two real modes (dropping one partner halves the weight of q).
In Stevens parameters, V = sum_kq (dB_k^q/dQ) O_k^q with dB/dQ complex before, real after the
combination; derivatives of the g tensor (when given) are projected the same way, dg/dQ, and add
mu_B B . (dg/dQ) . J. Units: m in amu, hbar w in cm^-1, dB/du in cm^-1/Angstrom, L in Angstrom
(:func:`~spinbath.baths.phonopy_route.zero_point_length_A` divided by sqrt(N_q)).

A 1x1x1 mesh is the Gamma route: the same modes, eigenvectors and couplings.

**Near Gamma.** At q = 0 exactly the three lowest modes, the acoustic ones (w = 0), are dropped,
whatever energy force constants that break the acoustic sum rule slightly give them (a few cm^-1,
or imaginary above -``min_energy_cm``; the ``source`` records their largest |hbar w|). With them
every other mode with |hbar w| < ``min_energy_cm`` at any q is dropped (default 5 cm^-1,
``[bath] min_energy`` in a config: rotations of a molecule in a box; the lowest acoustic modes of
fine meshes, whose energy is below the line width of the rates). A mode with
hbar w <= -``min_energy_cm`` (phonopy's imaginary frequency), acoustic or not, is an error naming q
and the branch.
At q = 0 phonopy's dynamical matrix has no non-analytic term (it depends on the direction of
approach); at q != 0 it is included when the phonopy file has Born charges. The coupling of an
acoustic mode vanishes as q -> 0 only if a rigid translation of the whole environment does not
change the crystal field, sum_{lk} dH/du_{lk} = 0; :func:`translation_residual` measures the
violation of this sum rule in the derivatives (a truncated environment violates it, and then
acoustic modes near Gamma couple as 1/sqrt(w)). It is written into the bath's ``source``.

Not done: the irreducible wedge (symmetry-rotated derivatives); the full mesh is always used.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..units import THZ_TO_CM
from .cf_couplings import couplings_from_cf_derivatives
from .phonons import PhononBath
from .phonopy_route import (
    CFDisplacements, _acoustic_note, _kept_modes, load_cf_displacements, load_phonopy, zero_point_length_A,
)

__all__ = ["check_mesh", "mesh_qpoints", "partner_indices", "MeshModes", "mesh_modes", "QMeshCouplings",
           "qmesh_couplings", "translation_residual", "bath_from_phonopy_mesh"]

#: |2q - round(2q)| below this (fractional units) makes q time-reversal invariant.
_TRIM_TOL = 1e-9


def check_mesh(mesh) -> tuple[int, int, int]:
    """(n1, n2, n3) as positive integers; ValueError naming the mesh otherwise."""
    try:
        m = tuple(int(x) for x in mesh)
        ok = len(m) == 3 and all(int(x) == x for x in mesh) and all(x >= 1 for x in m)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"mesh must be three positive integers [n1, n2, n3], got {mesh!r}")
    return m  # type: ignore[return-value]


def mesh_qpoints(phonopy_source, mesh: Sequence[int]) -> np.ndarray:
    """The Gamma-centred full mesh (n_q, 3) in fractional reciprocal coordinates, from phonopy's
    ``run_mesh`` (no symmetry reduction), in phonopy's order; Gamma first."""
    ph = load_phonopy(phonopy_source)
    ph.run_mesh(list(check_mesh(mesh)), is_mesh_symmetry=False, is_gamma_center=True)
    q = np.array(ph.mesh.qpoints, dtype=float)
    if q.shape[0] != int(np.prod(mesh)):
        raise RuntimeError(f"phonopy returned {q.shape[0]} q-points for the mesh {list(mesh)}")
    return q


def partner_indices(qpoints: np.ndarray, mesh: Sequence[int] | None = None) -> np.ndarray:
    """Index of -q (modulo a reciprocal lattice vector) for every q of a full Gamma-centred mesh.

    Integer arithmetic on the mesh addresses, O(n_q) memory: q = (i1/n1, i2/n2, i3/n3) in any order
    and with any representative of each i_a modulo n_a, and the partner of (i1, i2, i3) is
    (-i1 mod n1, -i2 mod n2, -i3 mod n3). ``mesh`` (n1, n2, n3): the mesh; None takes n_a as the
    number of distinct values of q_a modulo 1 (a full mesh has n_a of them). ValueError when the
    q-points are not the full mesh (each address once), so that some -q may be absent.
    """
    q = np.asarray(qpoints, dtype=float)
    if q.ndim != 2 or q.shape[1] != 3 or q.shape[0] == 0:
        raise ValueError(f"qpoints must have shape (n_q, 3), got {q.shape}")
    if mesh is None:
        frac = np.round(np.mod(q, 1.0), 9) % 1.0
        n = np.array([np.unique(frac[:, a]).size for a in range(3)])
    else:
        n = np.array(check_mesh(mesh))
    addr = q * n
    ok = np.abs(addr - np.round(addr)).max() < 1e-6 and q.shape[0] == int(np.prod(n))
    idx = np.ravel_multi_index(tuple(np.mod(np.round(addr).astype(np.int64), n).T), tuple(n))
    where = np.full(int(np.prod(n)), -1, dtype=np.int64)  # position in `qpoints` of each address
    where[idx] = np.arange(q.shape[0])
    if not ok or np.any(where < 0):
        raise ValueError(f"the q-points are not the full {'x'.join(map(str, n))} Gamma-centred mesh "
                         "(each address i_a / n_a once)")
    minus = np.ravel_multi_index(tuple(np.mod(-np.round(addr).astype(np.int64), n).T), tuple(n))
    return where[minus]


@dataclass(frozen=True, eq=False)
class MeshModes:
    """Phonons on the representative q-points of a mesh (one of each pair (q, -q)).

    ``qpoints`` (n_r, 3) fractional; ``trim`` (n_r,) bool, q = -q; ``energies_cm`` (n_r, 3N) hbar w
    (cm^-1, ascending per q, negative = imaginary); ``eigenvectors`` (n_r, 3N, N, 3) complex,
    mass-weighted, orthonormal, *cell* convention (module docstring; real at time-reversal-invariant
    q); ``masses_amu`` (N,); ``mesh`` (3,); ``n_q`` = n1 n2 n3 (the full mesh).
    """

    qpoints: np.ndarray
    trim: np.ndarray
    energies_cm: np.ndarray
    eigenvectors: np.ndarray
    masses_amu: np.ndarray
    mesh: tuple[int, int, int]
    n_q: int


def _cell_dynamical_matrix(dm, q: np.ndarray, x: np.ndarray) -> np.ndarray:
    """D(q) in the cell convention, P D~ P^+ (module docstring), (3N, 3N) complex."""
    dm.run(q)
    Dt = np.asarray(dm.dynamical_matrix)
    p = np.repeat(np.exp(2j * np.pi * (x @ q)), 3)
    return p[:, None] * Dt * p.conj()[None, :]


def _iter_modes(ph, mesh: Sequence[int]):
    """(q, trim, energies (3N,), eigenvectors (3N, N, 3)) at one q of each pair (q, -q), one q at a
    time (a large cell on a fine mesh never holds all eigenvectors at once)."""
    qs = mesh_qpoints(ph, mesh)
    partner = partner_indices(qs, mesh)
    x = np.array(ph.primitive.scaled_positions, dtype=float)
    n = x.shape[0]
    dm = ph.dynamical_matrix
    for i in range(qs.shape[0]):
        if partner[i] < i:
            continue  # the partner -q of a q already done
        trim = bool(partner[i] == i)
        D = _cell_dynamical_matrix(dm, qs[i], x)
        if trim:
            scale = max(float(np.abs(D).max()), 1e-300)
            if np.abs(D.imag).max() > 1e-8 * scale:
                raise ValueError(f"the dynamical matrix at the time-reversal-invariant q = {qs[i].tolist()} "
                                 "is not real")
            lam, v = np.linalg.eigh(D.real)
        else:
            lam, v = np.linalg.eigh(D)
        E = np.sign(lam) * np.sqrt(np.abs(lam)) * ph.unit_conversion_factor * THZ_TO_CM
        yield qs[i], trim, E, v.T.reshape(3 * n, n, 3).astype(complex)


def mesh_modes(phonopy_source, mesh: Sequence[int]) -> MeshModes:
    """Diagonalize phonopy's dynamical matrix on one q of each pair (q, -q) of the mesh (all kept in
    memory: for inspection; :func:`bath_from_phonopy_mesh` goes one q at a time)."""
    ph = load_phonopy(phonopy_source)
    rows = list(_iter_modes(ph, mesh))
    masses = np.array(ph.primitive.masses, dtype=float)
    return MeshModes(np.array([r[0] for r in rows]), np.array([r[1] for r in rows]),
                     np.array([r[2] for r in rows]), np.array([r[3] for r in rows]), masses,
                     check_mesh(mesh), int(np.prod(check_mesh(mesh))))


@dataclass(frozen=True, eq=False)
class QMeshCouplings:
    """Real modes of a mesh: ``energies_cm`` (n,) cm^-1, ``dB`` (n, n_keys) dB_k^q/dQ (cm^-1 per unit
    Q = a + a^+), and for each mode its ``qpoint`` (n, 3), ``branch`` (n,) and ``part`` (n,): 0 for a
    time-reversal-invariant q, 1 (sqrt(2) Re V) and 2 (sqrt(2) Im V) for the two modes of a pair;
    ``dg`` (n, 3, 3) dg/dQ (per unit Q) when the CF file has g tensors, else None;
    ``acoustic_cm`` (3,) hbar w (cm^-1) of the three acoustic modes dropped at q = 0 (None if the
    mesh has no q = 0)."""

    energies_cm: np.ndarray
    dB: np.ndarray
    qpoint: np.ndarray
    branch: np.ndarray
    part: np.ndarray
    dg: np.ndarray | None = None
    acoustic_cm: np.ndarray | None = None


def _displaced(cf: CFDisplacements, n_atoms: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(atoms (n,), cells (n, 3), gradient (n, 3, n_cols)) of the displaced atoms: dB/du, then dg/du
    (9 columns) when the file has g tensors."""
    g = cf.all_gradients
    n = g.shape[0] // 3
    atoms = np.arange(n) if cf.atoms is None else cf.atoms
    if atoms.size != n or np.any(atoms >= n_atoms):
        raise ValueError(f"atoms: index {int(atoms.max())} is outside the {n_atoms}-atom primitive cell"
                         if atoms.size == n else f"the CF file has {n} displaced atoms but no 'atoms' key "
                         f"for the {n_atoms}-atom primitive cell")
    cells = np.zeros((n, 3), dtype=int) if cf.cells is None else cf.cells
    return atoms, cells, g.reshape(n, 3, -1)


def translation_residual(cf: CFDisplacements) -> float:
    """|sum_{lk} dB/du_{lk}| / sum_{lk} |dB/du_{lk}| (largest over keys and axes): 0 when a rigid
    translation of all displaced atoms leaves the crystal field unchanged (module docstring)."""
    g = cf.gradient.reshape(-1, 3, len(cf.keys))
    return float(np.abs(g.sum(axis=0)).max() / max(np.abs(g).sum(axis=0).max(), 1e-300))


def qmesh_couplings(modes: MeshModes, cf: CFDisplacements, min_energy_cm: float = 5.0) -> QMeshCouplings:
    """The real modes of the mesh and their dB/dQ (module docstring), in order of q (representatives
    in phonopy's order), then branch, then part."""
    entries = zip(modes.qpoints, modes.trim, modes.energies_cm, modes.eigenvectors)
    return _couplings(entries, modes.masses_amu, modes.n_q, cf, min_energy_cm)


def _couplings(entries, masses_amu: np.ndarray, n_q: int, cf: CFDisplacements,
               min_energy_cm: float) -> QMeshCouplings:
    """:func:`qmesh_couplings` over (q, trim, energies, eigenvectors) entries."""
    thr = float(min_energy_cm)
    if not np.isfinite(thr) or thr < 0:
        raise ValueError(f"min_energy_cm must be finite and >= 0, got {min_energy_cm!r}")
    atoms, cells, g = _displaced(cf, masses_amu.size)
    out_e, out_dB, out_q, out_b, out_p = [], [], [], [], []
    acoustic = None  # energies of the acoustic modes dropped at q = 0
    for q, trim, w, vecs in entries:
        gamma = bool(np.all(np.abs(q - np.round(q)) < _TRIM_TOL))  # q = 0: exactly the three acoustic modes go
        kept = _kept_modes(w, thr, 3 if gamma else 0, f"branch {{j}} at q = {np.round(q, 6).tolist()}")
        if gamma:
            acoustic = w[:3].copy()
        if not kept.size:
            continue
        # L_{k,qj} / sqrt(N_q) exp(2 pi i q . n_l) e_{qj,k} . dB/du_{lk}, summed over displaced (l, k)
        L = zero_point_length_A(masses_amu[atoms][None, :], w[kept][:, None]) / np.sqrt(n_q)
        phase = np.exp(2j * np.pi * (cells @ q))
        if trim:  # exp(2 pi i q . n) = +-1 exactly, and e is real: V is real
            phase = np.round(phase.real)
        V = np.einsum("ad,d,adx,dxk->ak", L, phase, vecs[kept][:, atoms], g)
        parts = [(0, V.real)] if trim else [(1, np.sqrt(2.0) * V.real), (2, np.sqrt(2.0) * V.imag)]
        for a, j in enumerate(kept):
            for p, dB in parts:
                out_e.append(w[j])
                out_dB.append(dB[a])
                out_q.append(q)
                out_b.append(j)
                out_p.append(p)
    if not out_e:
        raise ValueError(f"no mode of the mesh has |hbar w| >= min_energy_cm = {thr:g} cm^-1 (lower it; in a "
                         "config: [bath] min_energy)")
    d = np.array(out_dB)
    nk = len(cf.keys)
    dg = d[:, nk:].reshape(-1, 3, 3) if cf.g_plus is not None else None
    return QMeshCouplings(np.array(out_e), d[:, :nk], np.array(out_q), np.array(out_b), np.array(out_p), dg,
                          acoustic)


def bath_from_phonopy_mesh(phonopy_source, cf: CFDisplacements | str | os.PathLike, mesh: Sequence[int],
                           linewidths_cm: float | None = None, min_energy_cm: float = 5.0,
                           field_T: Sequence[float] = (0.0, 0.0, 0.0)) -> PhononBath:
    """PhononBath of the real modes of a q-mesh (module docstring), V^a = sum_kq dB_k^q/dQ_a O_k^q.

    ``phonopy_source``: a ``phonopy.Phonopy`` object with force constants or a phonopy yaml path
    (Born charges and dielectric tensor in it switch on phonopy's non-analytic correction).
    ``cf``: a :class:`~spinbath.baths.phonopy_route.CFDisplacements` (supercell derivatives, with
    ``cells``) or the path of its .npz. ``mesh``: (n1, n2, n3). ``linewidths_cm``: None or one width
    (cm^-1) for every mode. Energies cm^-1; couplings (n_modes, 2J+1, 2J+1) cm^-1 per unit
    Q = a + a^+ in |J, M>, M descending; with g tensors in ``cf``, mu_B B . (dg/dQ_a) . J is added
    (``field_T``, T). The ``source`` text names the mesh, the number of modes, the threshold, the
    dropped acoustic modes, whether phonopy's non-analytic correction was applied and the translation
    sum-rule residual of the derivatives.
    """
    if not isinstance(cf, CFDisplacements):
        cf = load_cf_displacements(cf)
    mesh = check_mesh(mesh)
    ph = load_phonopy(phonopy_source)
    masses = np.array(ph.primitive.masses, dtype=float)
    n_q = int(np.prod(mesh))
    c = _couplings(_iter_modes(ph, mesh), masses, n_q, cf, min_energy_cm)
    lw = None
    if linewidths_cm is not None:
        lw = np.full(c.energies_cm.size, float(linewidths_cm))
    V = couplings_from_cf_derivatives(cf.J, c.dB, cf.keys, c.dg, field_T)
    total = 3 * masses.size * n_q
    nac = ("non-analytic correction (Born charges) at q != 0" if getattr(ph, "nac_params", None) is not None
           else "no non-analytic correction")
    return PhononBath(c.energies_cm, V, lw, source=(
        f"phonopy q-mesh {mesh[0]}x{mesh[1]}x{mesh[2]} ({c.energies_cm.size} of {total} modes kept, "
        f"|E| >= {min_energy_cm} cm^-1; {_acoustic_note(c.acoustic_cm)}) + CF central differences, "
        f"step {cf.step_A} A; {nac}; translation "
        f"sum-rule residual of dB/du {translation_residual(cf):.2g}"))
