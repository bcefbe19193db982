"""Open spin-1/2 chains: Hamiltonian, Lindblad dissipators and the Liouvillian (sparse or matrix-free).

The model is a :class:`~spinbath.quantum.chain_model.ChainModel` (field B, exchange V, on-site rates
gamma and neighbour rates g of a common bath; dimensionless, hbar = 1, S = sigma/2)::

    L rho = -i [H, rho] + sum_j sum_{a,eta} gamma_{a,eta} D[S^(j)_{a,eta}] rho
            + sum_{(j,j')} sum_{a,eta} g_{a,eta} (S^(j')_{a,eta} rho S^(j)+_{a,eta}
                                                 - {S^(j)+_{a,eta} S^(j')_{a,eta}, rho}/2)

Two representations of the same generator (column stacking, vec(rho)[a + d b] = rho[a, b], d = 2^n,
site 0 the most significant factor; see the Conventions page, docs/conventions.md):
:func:`open_chain_liouvillian` (a sparse (4^n, 4^n) CSR matrix) and :class:`OpenChainLiouvillian`
(matrix-free, with the kernels of :mod:`spinbath.quantum.chain_kernels`). The derivation of both
forms, the Hermitian half-product and the real coordinates are on the open-chain theory page
(docs/theory/open-chain.md). Reference: the open Heisenberg chain paper (Lindblad chain vs
generalized Landau-Lifshitz mean field; seed notes of the project).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator

from ..spins.operators import spin_matrices
from .chain_kernels import (
    LocalSum, ProductTerm, RowChunkedCSR, add_transposed, hermitian_part, real_of_hermitian_part,
    real_to_hermitian, worker_threads,
)
from .chain_model import ChainModel, Rates, _check_axis, _check_n, _check_sign, bonds, neighbour_pairs

__all__ = [
    "spin_half", "jump_operator", "site_operator", "open_chain_hamiltonian", "open_chain_liouvillian",
    "OpenChainLiouvillian", "JumpTerm", "OpenChainSparse", "product_state",
]


def spin_half() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(S_x, S_y, S_z) = sigma/2 for one spin 1/2 in the basis (up, down); hbar = 1."""
    return spin_matrices(0.5)


def jump_operator(axis: str, sign: str) -> np.ndarray:
    """The 2x2 jump operator S_{axis,sign} (dimensionless, S = sigma/2).

    S_{z,+-} = S_x +- i S_y (S_{z,+} = |up><down|), S_{x,+-} = -S_z +- i S_y, S_{y,+-} = S_z +- i S_x:
    each S_{a,+} raises S_a, [S_a, S_{a,+}] = S_{a,+} (open Heisenberg chain paper, seed notes).
    """
    sx, sy, sz = spin_half()
    s = {"+": 1.0, "-": -1.0}[_check_sign(sign)]
    a = _check_axis(axis)
    if a == "z":
        return sx + s * 1j * sy
    if a == "x":
        return -sz + s * 1j * sy
    return sz + s * 1j * sx


def product_state(n: int, direction=(1.0, 0.0, 0.0)) -> np.ndarray:
    """rho = kron_j (1 + u . sigma)/2 with u = direction/|direction|: every spin pure along u.

    (2^n, 2^n) complex, site 0 most significant (the basis of :func:`open_chain_liouvillian`).
    """
    u = np.asarray(direction, dtype=float)
    if u.shape != (3,) or not np.all(np.isfinite(u)) or np.linalg.norm(u) == 0:
        raise ValueError(f"direction must be a non-zero 3-vector, got {direction!r}")
    u = u / np.linalg.norm(u)
    sx, sy, sz = (2.0 * s for s in spin_half())
    one = 0.5 * (np.eye(2) + u[0] * sx + u[1] * sy + u[2] * sz)
    rho = np.ones((1, 1), dtype=complex)
    for _ in range(_check_n(n)):
        rho = np.kron(rho, one)
    return rho


def site_operator(op: np.ndarray, site: int, n: int) -> sp.csr_matrix:
    """1 kron ... kron op kron ... kron 1 (op at ``site``, site 0 most significant), sparse 2^n x 2^n."""
    if not 0 <= site < n:
        raise ValueError(f"site {site} out of range for n = {n}")
    return sp.kron(sp.kron(sp.identity(2**site, format="csr"), sp.csr_matrix(op)),
                   sp.identity(2 ** (n - site - 1), format="csr"), format="csr")


# ----------------------------------------------------------------------------------------------
# The model as lists of local terms (shared by the sparse and the matrix-free representations)
# ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class JumpTerm:
    """One jump term c A^(p) rho B^(q)+ of the dissipator (A, B are 2x2 site operators)."""

    coef: complex
    A: np.ndarray
    p: int
    B: np.ndarray
    q: int


def _hamiltonian_terms(model: ChainModel) -> list[ProductTerm]:
    """H = B . sum_j S^(j) + sum_a V_a sum_<j,k> S^(j)_a S^(k)_a as product terms."""
    B, V, n = model.field, model.coupling, model.n
    S = spin_half()
    zeeman = sum(b * s for b, s in zip(B, S))
    terms: list[ProductTerm] = [(1.0, ((j, zeeman),)) for j in range(n)]
    for j, k in bonds(n, model.periodic):
        for a in range(3):
            if V[a] != 0:
                terms.append((V[a], ((j, S[a]), (k, S[a]))))
    return terms


def _jump_terms(model: ChainModel) -> list[JumpTerm]:
    """The jump terms c A^(p) rho B^(q)+ of the on-site and neighbour dissipators."""
    n = model.n
    terms: list[JumpTerm] = []
    for (a, s), g in model.onsite.items():
        A = jump_operator(a, s)
        terms += [JumpTerm(g, A, j, A, j) for j in range(n)]
    for (a, s), g in model.neighbour.items():
        A = jump_operator(a, s)
        # pair (j, j'): g S^(j') rho S^(j)+  ->  A on p = j', B on q = j
        terms += [JumpTerm(g, A, jp, A, j) for j, jp in neighbour_pairs(n, model.periodic)]
    return terms


def _anticommutator_terms(jumps: Sequence[JumpTerm]) -> list[ProductTerm]:
    """-(i/2) sum c B^(q)+ A^(p): the non-Hermitian part of H_eff."""
    out: list[ProductTerm] = []
    for t in jumps:
        Bd = t.B.conj().T
        if t.p == t.q:
            out.append((-0.5j * t.coef, ((t.p, Bd @ t.A),)))
        else:
            out.append((-0.5j * t.coef, ((t.q, Bd), (t.p, t.A))))
    return out


def _product_sparse(term: ProductTerm, n: int) -> sp.csr_matrix:
    coef, factors = term
    M = sp.identity(2**n, dtype=complex, format="csr")
    for site, op in factors:
        M = M @ site_operator(op, site, n)
    return (coef * M).tocsr()


def _sum_sparse(terms: Sequence[ProductTerm], n: int) -> sp.csr_matrix:
    out = sp.csr_matrix((2**n, 2**n), dtype=complex)
    for t in terms:
        out = out + _product_sparse(t, n)
    out.sum_duplicates()
    out.eliminate_zeros()
    return out.tocsr()


def open_chain_hamiltonian(n: int, field: Sequence[float], coupling: Sequence[float],
                           periodic: bool = False) -> sp.csr_matrix:
    """H = B . sum_j S^(j) + sum_a V_a sum_j S^(j)_a S^(j+1)_a as a sparse (2^n, 2^n) matrix.

    field = (Bx, By, Bz), coupling = (Vx, Vy, Vz), dimensionless, hbar = 1, S = sigma/2.
    """
    model = ChainModel(n, field, coupling, boundary="periodic" if periodic else "open")
    return _sum_sparse(_hamiltonian_terms(model), model.n)


def _superop_blocks(jumps: Sequence[JumpTerm]) -> dict[tuple[int, int], np.ndarray]:
    """Jump part grouped by (p, q): K[(i, k), (i0, k0)] = sum c A[i, i0] conj(B[k, k0])."""
    out: dict[tuple[int, int], np.ndarray] = {}
    for t in jumps:
        K = t.coef * np.einsum("ac,bd->abcd", t.A, t.B.conj())  # [i, k, i0, k0]
        key = (t.p, t.q)
        out[key] = out.get(key, 0) + K
    return out


def _jump_entries(blocks, tol: float = 0.0):
    """Non-zero entries ((p, q), i, k, i0, k0, value) of the grouped jump superoperators."""
    entries = []
    for (p, q), K in blocks.items():
        for idx in zip(*np.nonzero(np.abs(K) > tol)):
            entries.append(((p, q), *map(int, idx), complex(K[idx])))
    return entries


def _jump_sparse(n: int, jumps: Sequence[JumpTerm] = (), blocks=None) -> sp.csr_matrix:
    """Sum of c conj(B^(q)) kron A^(p) (column stacking) built from index arithmetic.

    ``blocks`` ({(p, q): K[i, k, i0, k0]}) may be given instead of the jump terms.
    """
    d = 2**n
    N = d * d
    rows, cols, vals = [], [], []
    base = np.arange(N // 4, dtype=np.int64)
    if blocks is None:
        blocks = _superop_blocks(jumps)
    for (p, q), i, k, i0, k0, val in _jump_entries(blocks):
        # flat index = a + d*b; row bit of site p has weight 2^(n-1-p), column bit of q d*2^(n-1-q)
        wr, wc = 1 << (n - 1 - p), d << (n - 1 - q)
        lo, hi = sorted((wr, wc))
        # insert two zero bits at the positions of lo and hi into base
        x = base
        x = (x // lo) * (2 * lo) + x % lo
        x = (x // hi) * (2 * hi) + x % hi
        rows.append(x + i * wr + k * wc)
        cols.append(x + i0 * wr + k0 * wc)
        vals.append(np.full(x.size, val))
    if not rows:
        return sp.csr_matrix((N, N), dtype=complex)
    idx = np.int32 if N < 2**31 else np.int64
    A = sp.coo_matrix((np.concatenate(vals), (np.concatenate(rows).astype(idx), np.concatenate(cols).astype(idx))),
                      shape=(N, N)).tocsr()
    A.sum_duplicates()
    return A


def open_chain_liouvillian(n: int, field: Sequence[float], coupling: Sequence[float],
                           onsite: Rates | None = None, neighbour: Rates | None = None,
                           periodic: bool = False) -> sp.csr_matrix:
    """Liouvillian of the open chain as a sparse (4^n, 4^n) CSR matrix (column stacking).

    L = -i (1 kron H_eff) + i (conj(H_eff) kron 1) + sum_terms c conj(B^(q)) kron A^(p),
    H_eff = H - (i/2) sum_terms c B^(q)+ A^(p), for the jump terms c A^(p) rho B^(q)+ of the model
    (docs/theory/open-chain.md). Parameters: those of :class:`~spinbath.quantum.chain_model.ChainModel`
    (n sites; field (Bx, By, Bz); coupling (Vx, Vy, Vz); onsite and neighbour rate dicts
    {(axis, sign): rate}), with ``periodic`` for boundary "periodic"; all dimensionless (hbar = 1).
    The memory grows as ~80 * 4^n * 20 bytes (n = 8: ~0.1 GB); for larger n use
    :class:`OpenChainLiouvillian`.
    """
    model = ChainModel(n, field, coupling, onsite, neighbour, "periodic" if periodic else "open")
    return OpenChainLiouvillian(model).to_sparse()


class OpenChainSparse(sp.csr_matrix):
    """A ``csr_matrix`` that remembers the :class:`OpenChainLiouvillian` it was built from.

    ``chain_model`` lets the solvers (:mod:`spinbath.quantum.methods`) use the matrix-free fast path
    and the eigenbasis preconditioner for the sparse matrix that :func:`open_chain_liouvillian`
    returns. Kept as a subclass (rather than a bare attribute on a plain ``csr_matrix``) so that the
    type says which matrices carry a model: derived matrices (sums, products, copies,
    ``csr_matrix(L)``) are plain CSR matrices or carry ``chain_model = None``. The solvers check
    the model against the matrix on a random vector before every use, so a matrix modified in place
    falls back to the generic sparse path.
    """

    chain_model: "OpenChainLiouvillian | None" = None


class OpenChainLiouvillian(LinearOperator):
    """Matrix-free Liouvillian of the open chain: a ``LinearOperator`` of shape (4^n, 4^n).

    ``L @ vec(rho)`` (column stacking) equals ``open_chain_liouvillian(...) @ vec(rho)`` without
    building any 4^n x 4^n matrix. With v = vec(rho), M = v.reshape(d, d) is rho^T (C order), and

        L(rho)^T = i conj(H_eff) M - i (H_eff M^T)^T + sum_terms c conj(B^(q)) M A^(p)T,
        H_eff = H - (i/2) sum_terms c B^(q)+ A^(p),

    where the H_eff products are dense products with overlapping blocks of ``block`` sites
    (:func:`~spinbath.quantum.chain_kernels.partition`) and the jump part is a row-chunked sparse
    product on the worker threads. For Hermitian rho, L(rho) = W + W^+ with W = -i H_eff rho +
    J_half(rho) costs about half (:meth:`apply_hermitian_vec`); :meth:`apply_real` works in the real
    coordinates of Hermitian matrices (docs/theory/open-chain.md). Dimensionless, hbar = 1.

    Parameters: ``model``, a :class:`~spinbath.quantum.chain_model.ChainModel`; ``block`` (keyword),
    the number of sites per dense block (default: one block up to n = 7, two beyond).
    Attributes: ``model``, ``n``, ``d`` (= 2^n), ``hamiltonian`` (sparse H), ``H_eff``, ``jumps``
    (list of :class:`~spinbath.quantum.open_chain.JumpTerm`), ``H_eff_terms``; :meth:`adjoint` returns the Hilbert-Schmidt
    adjoint L^+(X) = i H_eff^+ X - i X H_eff + sum conj(c) A^+ X B as another instance (whose
    ``model`` is None: it is not the generator of a chain).
    """

    def __init__(self, model: ChainModel, *, block: int | None = None):
        if not isinstance(model, ChainModel):
            raise TypeError("OpenChainLiouvillian takes a ChainModel, e.g. OpenChainLiouvillian(ChainModel(n, "
                            f"field, coupling, onsite, neighbour, boundary)); got {type(model).__name__}")
        h_terms = _hamiltonian_terms(model)
        jumps = _jump_terms(model)
        self._setup(model.n, h_terms, jumps, h_terms + _anticommutator_terms(jumps), block)
        self.model = model

    @classmethod
    def _from_terms(cls, n: int, h_terms, jumps, heff_terms, block) -> "OpenChainLiouvillian":
        self = cls.__new__(cls)
        self._setup(n, h_terms, jumps, heff_terms, block)
        self.model = None
        return self

    def _setup(self, n, h_terms, jumps, heff_terms, block) -> None:
        n = _check_n(n)
        self.n = n
        self.d = 2**n
        self._h_terms = list(h_terms)
        self.jumps = list(jumps)
        self.H_eff_terms = list(heff_terms)
        self._block = block
        super().__init__(dtype=np.complex128, shape=(4**n, 4**n))
        # M-coordinates: left products with conj(H_eff) (on rho's column index) and H_eff (row index)
        self._left_conj = LocalSum(n, [(np.conj(c), tuple((s, np.conj(o)) for s, o in f))
                                       for c, f in self.H_eff_terms], block)
        self._left = LocalSum(n, self.H_eff_terms, block)

    # -- descriptions ------------------------------------------------------------------------
    @cached_property
    def hamiltonian(self) -> sp.csr_matrix:
        """H as a sparse (2^n, 2^n) matrix."""
        return _sum_sparse(self._h_terms, self.n)

    @cached_property
    def H_eff(self) -> sp.csr_matrix:
        """H_eff = H - (i/2) sum c B^(q)+ A^(p) as a sparse (2^n, 2^n) matrix."""
        return _sum_sparse(self.H_eff_terms, self.n)

    def mean_decay_rate(self) -> float:
        """Tr(K)/d with K = i (H_eff - H_eff^+) = sum_terms c B^(q)+ A^(p): the mean over the
        eigenstates a of H of the decay rate Gamma_a = <a|K|a> (>= 0 for physical rates); the
        "coherent" steady-state preconditioner damps every coherence with it."""
        K = 1j * (self.H_eff - self.H_eff.conj().T)
        return float(K.diagonal().real.mean())

    def trace(self) -> complex:
        """Tr L = -i d Tr(H_eff) + i d conj(Tr H_eff) + sum_terms c Tr(A^(p)) conj(Tr(B^(q))), without
        building L (Tr(X kron Y) = Tr X Tr Y on the column-stacked form)."""
        return complex(self._trace)

    @cached_property
    def _trace(self) -> complex:
        # Tr(1 kron H_eff) = d Tr H_eff; Tr(conj(H_eff) kron 1) = d conj(Tr H_eff);
        # Tr(conj(B^q) kron A^p) = Tr(B^q)^* Tr(A^p).
        d = self.d
        trH = complex(self.H_eff.diagonal().sum())
        tr = -1j * d * trH + 1j * d * np.conj(trH)
        for t in self.jumps:
            trA = np.trace(t.A) * (d // 2)
            trB = np.trace(t.B) * (d // 2)
            tr += t.coef * trA * np.conj(trB)
        return tr

    def to_sparse(self) -> sp.csr_matrix:
        """The same generator as a sparse CSR (4^n, 4^n) matrix (column stacking)."""
        d = self.d
        Heff = self.H_eff
        eye = sp.identity(d, dtype=complex, format="csr")
        L = -1j * sp.kron(eye, Heff, format="csr") + 1j * sp.kron(Heff.conj(), eye, format="csr")
        L = L + self.jump_matrix()
        L = L.tocsr()
        L.sum_duplicates()
        L.eliminate_zeros()
        out = OpenChainSparse((L.data, L.indices, L.indptr), shape=L.shape)
        out.chain_model = self
        return out

    def adjoint(self) -> "OpenChainLiouvillian":
        """Hilbert-Schmidt adjoint L^+ (a generator of the Heisenberg picture), matrix-free."""
        heff = [(-np.conj(c), tuple((s, o.conj().T) for s, o in reversed(f))) for c, f in self.H_eff_terms]
        jumps = [JumpTerm(np.conj(t.coef), t.A.conj().T, t.p, t.B.conj().T, t.q) for t in self.jumps]
        h = [(-np.conj(c), tuple((s, o.conj().T) for s, o in reversed(f))) for c, f in self._h_terms]
        return OpenChainLiouvillian._from_terms(self.n, h, jumps, heff, self._block)

    def _adjoint(self):
        return self.adjoint()

    # -- application -------------------------------------------------------------------------
    def _hermitian_half_blocks(self):
        """Blocks of J_half with J(rho) = J_half(rho) + J_half(rho)^+ for Hermitian rho."""
        blocks = _superop_blocks(self.jumps)
        half: dict[tuple[int, int], np.ndarray] = {}
        for (p, q), K in blocks.items():
            # J_pq(rho)^+ is the (q, p) term with K'[(k,i),(k0,i0)] = conj(K[(i,k),(i0,k0)])
            Kc = np.conj(K).transpose(1, 0, 3, 2)
            partner = blocks.get((q, p))
            if p == q:
                half[(p, p)] = half.get((p, p), 0) + 0.25 * (K + Kc)
            elif partner is not None and np.allclose(partner, Kc, atol=1e-15, rtol=1e-12):
                if p < q:
                    half[(p, q)] = half.get((p, q), 0) + K
            else:
                half[(p, q)] = half.get((p, q), 0) + 0.5 * K
                half[(q, p)] = half.get((q, p), 0) + 0.5 * Kc
        return half

    @cached_property
    def _jump_full(self) -> RowChunkedCSR:
        return RowChunkedCSR(_jump_sparse(self.n, self.jumps), worker_threads())

    @cached_property
    def _jump_half(self) -> RowChunkedCSR:
        return RowChunkedCSR(_jump_sparse(self.n, blocks=self._hermitian_half_blocks()), worker_threads())

    @cached_property
    def _jump_half_scaled(self) -> RowChunkedCSR:
        return RowChunkedCSR(0.5 * _jump_sparse(self.n, blocks=self._hermitian_half_blocks()), worker_threads())

    def jump_matrix(self) -> sp.csr_matrix:
        """The jump part sum_terms c conj(B^(q)) kron A^(p) as a sparse (4^n, 4^n) matrix."""
        return _jump_sparse(self.n, self.jumps)

    def apply(self, rho: np.ndarray) -> np.ndarray:
        """L(rho) for a (d, d) array rho (any matrix, not only density matrices)."""
        rho = np.asarray(rho, dtype=complex)
        v = np.ascontiguousarray(rho.T).reshape(-1)
        return self.apply_vec(v).reshape(self.d, self.d).T

    def apply_vec(self, v: np.ndarray) -> np.ndarray:
        """L @ v for v = vec(rho) (flat, length 4^n; any complex vector): the general product."""
        d = self.d
        v = np.ascontiguousarray(np.asarray(v).reshape(-1), dtype=complex)
        M = v.reshape(d, d)  # = rho^T
        out = np.empty((d, d), dtype=complex)
        self._left_conj.apply(M, out, alpha=1j)
        Y = np.empty((d, d), dtype=complex)
        self._left.apply(np.ascontiguousarray(M.T), Y)
        add_transposed(out, Y, alpha=-1j)
        flat = out.reshape(-1)
        self._jump_full.add_to(v, flat)
        return flat

    def apply_adjoint_vec(self, v: np.ndarray) -> np.ndarray:
        """L^+ @ v (Hilbert-Schmidt adjoint, matrix-free)."""
        return self._adjoint_op.apply_vec(v)

    # LinearOperator protocol
    def _matvec(self, v: np.ndarray) -> np.ndarray:
        return self.apply_vec(v)

    def _rmatvec(self, v: np.ndarray) -> np.ndarray:
        return self.apply_adjoint_vec(v)

    @cached_property
    def _adjoint_op(self) -> "OpenChainLiouvillian":
        return self.adjoint()

    def _matmat(self, X: np.ndarray) -> np.ndarray:
        return np.column_stack([self.apply_vec(X[:, k]) for k in range(X.shape[1])])

    def apply_hermitian_vec(self, v: np.ndarray, out: np.ndarray | None = None,
                            work: np.ndarray | None = None) -> np.ndarray:
        """L @ v for v = vec(rho) with rho Hermitian (not checked): L(rho) = W + W^+ .

        In M = rho^T coordinates W = i conj(H_eff) M + J_half(M); about half the work of ``@``.
        ``out`` and ``work`` (complex, length 4^n) may be given to avoid allocations.
        """
        d = self.d
        v = np.asarray(v).reshape(-1)
        if v.dtype != np.complex128 or not v.flags.c_contiguous:
            v = np.ascontiguousarray(v, dtype=complex)
        M = v.reshape(d, d)
        W = np.empty((d, d), dtype=complex) if work is None else work.reshape(d, d)
        self._left_conj.apply(M, W, alpha=1j)
        self._jump_half.add_to(v, W.reshape(-1))
        if out is None:
            out = np.empty(d * d, dtype=complex)
        hermitian_part(W, out.reshape(d, d))
        return out

    def apply_real(self, r: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """L in the real coordinates of Hermitian matrices (:func:`~spinbath.quantum.chain_kernels.hermitian_to_real` of vec).

        r = hermitian_to_real(M) with M = rho^T; returns hermitian_to_real(L(rho)^T). A real-linear
        map on R^(4^n); the solvers run Arnoldi and GMRES on it for Hermitian problems.
        """
        d = self.d
        M2 = real_to_hermitian(r, scale=2.0)  # 2 rho^T: the factor 1/2 goes into the products
        v = M2.reshape(-1)
        W = np.empty((d, d), dtype=complex)
        self._left_conj.apply(M2, W, alpha=0.5j)
        self._jump_half_scaled.add_to(v, W.reshape(-1))
        if out is None:
            out = np.empty(d * d)
        real_of_hermitian_part(W, out.reshape(d, d))
        return out

    def apply_hermitian(self, rho: np.ndarray) -> np.ndarray:
        """L(rho) for a Hermitian (d, d) rho via :meth:`apply_hermitian_vec`."""
        rho = np.asarray(rho, dtype=complex)
        v = np.ascontiguousarray(rho.T).reshape(-1)
        return self.apply_hermitian_vec(v).reshape(self.d, self.d).T
