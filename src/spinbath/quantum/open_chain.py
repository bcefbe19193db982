"""Open spin-1/2 chains: Hamiltonian, Lindblad dissipators and the Liouvillian (sparse or matrix-free).

Model (dimensionless, hbar = 1, S = sigma/2; sites j = 0 .. n-1, site 0 first)::

    H = B . sum_j S^(j) + sum_a V_a sum_j S^(j)_a S^(j+1)_a                      (a = x, y, z)

    d rho/dt = L rho = -i [H, rho]
               + sum_j sum_{a,eta} gamma_{a,eta} D[S^(j)_{a,eta}] rho                       (on-site)
               + sum_{(j,j'): |j-j'|=1} sum_{a,eta} g_{a,eta}
                     ( S^(j')_{a,eta} rho S^(j)+_{a,eta} - {S^(j)+_{a,eta} S^(j')_{a,eta}, rho}/2 )
                                                                     (common bath, ordered pairs)

with D[A] rho = A rho A^+ - {A^+ A, rho}/2 and the jump operators (eta = +, -)

    S_{z,+-} = S_x +- i S_y,    S_{x,+-} = -S_z +- i S_y,    S_{y,+-} = S_z +- i S_x.

The chain is open (bonds (j, j+1), j = 0..n-2); ``periodic=True`` adds the bond (n-1, 0) to H and
the pairs (n-1, 0), (0, n-1) to the neighbour dissipator (only for n >= 3, so that no bond counts
twice). Rates are given as dicts ``{("z", "+"): rate, ("z", "-"): rate, ...}`` (keys (axis, sign);
"z+" is accepted as a shorthand); missing keys mean zero. :func:`thermal_rates` gives the paper's
choice gamma_{z,+} = g0 n_b, gamma_{z,-} = g0 (n_b + 1), g0 = Gamma/(2 n_b + 1), g = ratio * gamma.
All quantities are dimensionless (energies and rates in units of the reference rate, times in
its inverse).

Conventions (DESIGN.md): site basis (up, down) = (S_z = +1/2, S_z = -1/2); the many-site basis is
the tensor product with site 0 the most significant factor (as ``qutip.tensor``), so a basis index
i = sum_j s_j 2^(n-1-j) with s_j = 0 for up and 1 for down. Liouville space uses column stacking,
vec(A X B) = (B^T kron A) vec(X), so vec(rho)[a + d b] = rho[a, b] with d = 2^n, and a
superoperator is a (4^n, 4^n) matrix acting on vec(rho) (the convention of QuTiP 5).

Two representations of the same generator:

* :func:`open_chain_liouvillian` -- a ``scipy.sparse.csr_matrix`` of shape (4^n, 4^n) (about 40
  non-zeros per row for the thermal bath at n = 8, more for general rates; fine up to n ~ 8-9). It
  is an :class:`OpenChainSparse`, which remembers the model so that the solvers can use the
  matrix-free path below.
* :class:`OpenChainLiouvillian` -- matrix-free (a ``LinearOperator``): ``L @ vec(rho)`` reshapes
  vec(rho) into M = rho^T (a d x d array, i.e. a 2n-index tensor) and computes

      L(rho)^T = i conj(H_eff) M - i (H_eff M^T)^T + J M,     H_eff = H - (i/2) sum_terms c B^(q)+ A^(p),

  where the H_eff products are dense BLAS products with two overlapping blocks of sites (n > 7;
  one block below) and the jump part J = sum c conj(B^(q)) kron A^(p) -- each term touches one row
  and one column index -- is a sparse matrix with 4^n/4 non-zeros per term, applied on two
  threads. For Hermitian rho, L(rho) = W + W^+ with W = -i H_eff rho + J_half(rho) costs about half
  (:meth:`OpenChainLiouvillian.apply_hermitian_vec`), and :meth:`~OpenChainLiouvillian.apply_real`
  works in the real coordinates R = Re(M) + Im(M) of Hermitian matrices (:func:`hermitian_to_real`),
  which the solvers use. n = 10 (4^n = 1,048,576): ~40 ms per product and ~0.5 GB on 2 cores.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator

try:  # y += A x without temporaries; falls back to the public API if scipy moves it
    from scipy.sparse import _sparsetools
except ImportError:  # pragma: no cover
    _sparsetools = None

from ..spins.operators import spin_matrices

__all__ = [
    "spin_half", "jump_operator", "site_operator", "thermal_rates", "normalize_rates", "bonds",
    "neighbour_pairs", "open_chain_hamiltonian", "open_chain_liouvillian", "OpenChainLiouvillian",
    "JumpTerm", "OpenChainSparse", "hermitian_to_real", "real_to_hermitian", "product_state",
]

_AXES = ("x", "y", "z")
_SIGNS = ("+", "-")

Rates = Mapping  # {("z", "+"): float, ...}


def spin_half() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(S_x, S_y, S_z) = sigma/2 for one spin 1/2 in the basis (up, down); hbar = 1."""
    return spin_matrices(0.5)


def jump_operator(axis: str, sign: str) -> np.ndarray:
    """The 2x2 jump operator S_{axis,sign}.

    S_{z,+-} = S_x +- i S_y (S_{z,+} = |up><down|), S_{x,+-} = -S_z +- i S_y, S_{y,+-} = S_z +- i S_x.
    """
    sx, sy, sz = spin_half()
    s = {"+": 1.0, "-": -1.0}[_check_sign(sign)]
    a = _check_axis(axis)
    if a == "z":
        return sx + s * 1j * sy
    if a == "x":
        return -sz + s * 1j * sy
    return sz + s * 1j * sx


def _check_axis(axis: str) -> str:
    if axis not in _AXES:
        raise ValueError(f"axis must be one of {_AXES}, got {axis!r}")
    return axis


def _check_sign(sign: str) -> str:
    if sign not in _SIGNS:
        raise ValueError(f"sign must be '+' or '-', got {sign!r}")
    return sign


def normalize_rates(rates: Rates | None, name: str = "rates") -> dict[tuple[str, str], float]:
    """Check a rate dict and return ``{(axis, sign): float}`` without zero entries.

    Keys are (axis, sign) tuples with axis in x, y, z and sign in +, - (or the strings "z+", ...).
    Values must be real and finite.
    """
    out: dict[tuple[str, str], float] = {}
    if rates is None:
        return out
    if not isinstance(rates, Mapping):
        raise TypeError(f"{name} must be a dict {{('z', '+'): rate, ...}}, got {type(rates).__name__}")
    for key, value in rates.items():
        if isinstance(key, str) and len(key) == 2:
            key = (key[0], key[1])
        if not (isinstance(key, tuple) and len(key) == 2):
            raise ValueError(f"{name}: key {key!r} must be (axis, sign), e.g. ('z', '+')")
        axis, sign = _check_axis(key[0]), _check_sign(key[1])
        v = complex(value)
        if v.imag != 0 or not np.isfinite(v.real):
            raise ValueError(f"{name}[{key!r}] = {value!r} must be a finite real number")
        if v.real != 0.0:
            out[(axis, sign)] = out.get((axis, sign), 0.0) + v.real
    return out


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


def thermal_rates(Gamma: float, n_b: float, ratio: float = 0.0
                  ) -> tuple[dict[tuple[str, str], float], dict[tuple[str, str], float]]:
    """On-site and neighbour rates of a thermal boson bath along z.

    gamma_{z,+} = g0 n_b, gamma_{z,-} = g0 (n_b + 1) with g0 = Gamma/(2 n_b + 1), so that the total
    gamma_{z,+} + gamma_{z,-} = Gamma; neighbour rates g = ratio * gamma. Dimensionless (units of the
    reference rate). Returns (onsite, neighbour) dicts for :func:`open_chain_liouvillian`.
    """
    Gamma, n_b, ratio = float(Gamma), float(n_b), float(ratio)
    if Gamma < 0 or n_b < 0:
        raise ValueError(f"Gamma = {Gamma} and n_b = {n_b} must be >= 0")
    g0 = Gamma / (2 * n_b + 1)
    onsite = {("z", "+"): g0 * n_b, ("z", "-"): g0 * (n_b + 1)}
    neighbour = {k: ratio * v for k, v in onsite.items()}
    return onsite, neighbour


def bonds(n: int, periodic: bool = False) -> list[tuple[int, int]]:
    """Bonds (j, j+1) of the chain; with ``periodic`` and n >= 3 also (n-1, 0)."""
    out = [(j, j + 1) for j in range(n - 1)]
    if periodic and n >= 3:
        out.append((n - 1, 0))
    return out


def neighbour_pairs(n: int, periodic: bool = False) -> list[tuple[int, int]]:
    """Ordered pairs (j, j') with |j - j'| = 1 (mod n if periodic and n >= 3)."""
    out = []
    for j, k in bonds(n, periodic):
        out += [(j, k), (k, j)]
    return out


def _check_n(n: int) -> int:
    if int(n) != n or n < 1:
        raise ValueError(f"number of sites n = {n!r} must be a positive integer")
    return int(n)


def _vector3(x: Sequence[float], name: str) -> np.ndarray:
    v = np.asarray(x, dtype=float).reshape(-1)
    if v.shape != (3,) or not np.all(np.isfinite(v)):
        raise ValueError(f"{name} must be three finite numbers (x, y, z), got {x!r}")
    return v


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


#: A product term coef * prod_k op_k^(site_k) of H or H_eff: (coef, ((site, 2x2), ...)).
ProductTerm = tuple[complex, tuple[tuple[int, np.ndarray], ...]]


def _hamiltonian_terms(n: int, field, coupling, periodic: bool) -> list[ProductTerm]:
    B = _vector3(field, "field")
    V = _vector3(coupling, "coupling")
    S = spin_half()
    zeeman = sum(b * s for b, s in zip(B, S))
    terms: list[ProductTerm] = [(1.0, ((j, zeeman),)) for j in range(n)]
    for j, k in bonds(n, periodic):
        for a in range(3):
            if V[a] != 0:
                terms.append((V[a], ((j, S[a]), (k, S[a]))))
    return terms


def _jump_terms(n: int, onsite: Rates | None, neighbour: Rates | None, periodic: bool) -> list[JumpTerm]:
    on = normalize_rates(onsite, "onsite")
    nb = normalize_rates(neighbour, "neighbour")
    terms: list[JumpTerm] = []
    for (a, s), g in on.items():
        A = jump_operator(a, s)
        terms += [JumpTerm(g, A, j, A, j) for j in range(n)]
    for (a, s), g in nb.items():
        A = jump_operator(a, s)
        # pair (j, j'): g S^(j') rho S^(j)+  ->  A on p = j', B on q = j
        terms += [JumpTerm(g, A, jp, A, j) for j, jp in neighbour_pairs(n, periodic)]
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
    n = _check_n(n)
    return _sum_sparse(_hamiltonian_terms(n, field, coupling, periodic), n)


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
    H_eff = H - (i/2) sum_terms c B^(q)+ A^(p), for the jump terms c A^(p) rho B^(q)+ listed in the
    module docstring. Parameters: n sites; field (Bx, By, Bz); coupling (Vx, Vy, Vz); onsite and
    neighbour rate dicts {(axis, sign): rate}; all dimensionless (hbar = 1). The memory grows as
    ~80 * 4^n * 20 bytes (n = 8: ~0.1 GB); for larger n use :class:`OpenChainLiouvillian`.
    """
    return OpenChainLiouvillian(n, field, coupling, onsite, neighbour, periodic).to_sparse()


class OpenChainSparse(sp.csr_matrix):
    """A ``csr_matrix`` that remembers the :class:`OpenChainLiouvillian` it was built from.

    ``chain_model`` lets the solvers of :mod:`spinbath.quantum.chain_solvers` use the matrix-free
    fast path and the eigenbasis preconditioner; they check it against the matrix before use, so a
    matrix modified in place falls back to the generic sparse path. Derived matrices (sums,
    products, copies) are plain CSR matrices without a model.
    """

    chain_model: "OpenChainLiouvillian | None" = None


# ----------------------------------------------------------------------------------------------
# Matrix-free Liouvillian
# ----------------------------------------------------------------------------------------------

def _embed_dense(op: np.ndarray, pos: int, nsites: int) -> np.ndarray:
    return np.kron(np.kron(np.eye(2**pos), op), np.eye(2 ** (nsites - pos - 1)))


def _partition(n: int, block: int | None) -> list[tuple[int, int]]:
    """Overlapping blocks [start, stop) of consecutive sites covering the chain (overlap one site).

    Every nearest-neighbour product term fits into one block. ``block`` is the target size; the
    default keeps one block up to n = 7 and uses two blocks of about n/2 + 1 sites beyond.
    """
    if block is None:
        block = n if n <= 7 else (n + 1) // 2 + 1
    block = max(2, min(int(block), n))
    if block >= n:
        return [(0, n)]
    out, s = [], 0
    while True:
        e = min(s + block, n)
        out.append((s, e))
        if e == n:
            return out
        s = e - 1


class _LocalSum:
    """A sum of product terms applied from the left to a (d, m) array by dense block products.

    The chain is cut into overlapping blocks of consecutive sites (:func:`_partition`); every term
    that fits into a block is summed into that block's dense 2^b x 2^b matrix O, and
    (1 kron O kron 1) @ X is one BLAS product per slice of X (``zgemm`` with beta = 1, so nothing
    is copied). Terms that fit in no block (the bond (n-1, 0) of a periodic chain) are applied
    site by site.
    """

    def __init__(self, n: int, terms: Sequence[ProductTerm], block: int | None = None):
        self.n = n
        self.blocks = _partition(n, block)
        mats = [np.zeros((2 ** (e - s),) * 2, dtype=complex) for s, e in self.blocks]
        self.extra: list[ProductTerm] = []
        for coef, factors in terms:
            sites = [s for s, _ in factors]
            for bi, (s, e) in enumerate(self.blocks):
                if min(sites) >= s and max(sites) < e:
                    m = coef * np.eye(2 ** (e - s), dtype=complex)
                    for site, op in factors:
                        m = m @ _embed_dense(op, site - s, e - s)
                    mats[bi] += m
                    break
            else:  # e.g. the bond (n-1, 0) of a periodic chain
                self.extra.append((coef, tuple(factors)))
        keep = [i for i, m in enumerate(mats) if np.any(m)]
        self.blocks = [self.blocks[i] for i in keep]
        self.mats = [np.ascontiguousarray(mats[i]) for i in keep]
        self._scaled: dict[complex, list[np.ndarray]] = {}

    def _mats(self, alpha: complex) -> list[np.ndarray]:
        if alpha not in self._scaled:
            self._scaled[alpha] = [alpha * O for O in self.mats]
        return self._scaled[alpha]

    def apply(self, X: np.ndarray, out: np.ndarray, alpha: complex = 1.0) -> np.ndarray:
        """out = alpha (sum of terms) @ X for C-contiguous complex X and out of shape (2^n, m).

        numpy's matmul (BLAS, GIL released) on two threads: the first block (sites 0..b-1) splits the
        rows of its matrix, later blocks split their 2^s independent slices and accumulate.
        """
        if not (X.flags.c_contiguous and out.flags.c_contiguous):
            raise ValueError("X and out must be C-contiguous")
        n = self.n
        first = True
        for (s, e), O in zip(self.blocks, self._mats(alpha)):
            b = e - s
            if s == 0:
                X2, T2 = X.reshape(2**b, -1), out.reshape(2**b, -1)

                def rows(r0, r1, O=O, X2=X2, T2=T2, acc=not first):
                    def run():
                        if acc:
                            T2[r0:r1] += O[r0:r1] @ X2
                        else:
                            np.matmul(O[r0:r1], X2, out=T2[r0:r1])
                    return run
                _run_parallel([rows(r0, r1) for r0, r1 in _split(2**b, X.size >= 16384)])
            else:
                X3, T3 = X.reshape(2**s, 2**b, -1), out.reshape(2**s, 2**b, -1)

                def slabs(x0, x1, O=O, X3=X3, T3=T3, acc=not first):
                    def run():
                        tmp = np.empty(T3.shape[1:], dtype=T3.dtype) if acc else None
                        for x in range(x0, x1):
                            if acc:
                                np.matmul(O, X3[x], out=tmp)
                                T3[x] += tmp
                            else:
                                np.matmul(O, X3[x], out=T3[x])
                    return run
                _run_parallel([slabs(x0, x1) for x0, x1 in _split(2**s, X.size >= 16384)])
            first = False
        if first:
            out[...] = 0
        for coef, factors in self.extra:
            Y = X
            for site, op in factors:
                Y = _apply_site(op, site, n, Y)
            out += (alpha * coef) * Y
        return out


def _apply_site(op: np.ndarray, site: int, n: int, X: np.ndarray) -> np.ndarray:
    """op^(site) @ X for X of shape (2^n, m) (returns a new array)."""
    X3 = X.reshape(2**site, 2, -1)
    Y = np.einsum("ij,ajb->aib", op, X3)
    return Y.reshape(X.shape)


_POOL: tuple[int, ThreadPoolExecutor] | None = None  # (pid, pool): a forked child makes its own
_THREADS = max(1, min(2, os.cpu_count() or 1))


def _threads() -> int:
    """Worker threads for the matrix-free products (2 where the machine has them)."""
    return _THREADS


def _run_parallel(tasks) -> None:
    """Run callables on a small thread pool (numpy, BLAS and sparse kernels release the GIL)."""
    global _POOL
    if len(tasks) == 1:
        tasks[0]()
        return
    if _POOL is None or _POOL[0] != os.getpid():
        _POOL = (os.getpid(), ThreadPoolExecutor(max_workers=_threads(), thread_name_prefix="spinbath"))
    futures = [_POOL[1].submit(t) for t in tasks[1:]]
    tasks[0]()
    for f in futures:
        f.result()


class _RowChunkedCSR:
    """A sparse matrix split into row chunks whose products y += A x run on parallel threads."""

    def __init__(self, A: sp.csr_matrix, chunks: int):
        A = A.tocsr()
        A.sum_duplicates()
        N = A.shape[0]
        self.shape = A.shape
        self.nnz = A.nnz
        self.parts = [(a, b, A[a:b].tocsr()) for a, b in _ranges(N, max(1, min(chunks, N)))]

    def add_to(self, x: np.ndarray, y: np.ndarray) -> None:
        """y += A @ x (x, y flat complex128, C-contiguous)."""
        def task(a, b, P):
            return lambda: _csr_matvec(b - a, P.shape[1], P.indptr, P.indices, P.data, x, y[a:b])
        _run_parallel([task(a, b, P) for a, b, P in self.parts if P.nnz])


def _csr_matvec(nrow, ncol, indptr, indices, data, x, y):
    if _sparsetools is not None:
        _sparsetools.csr_matvec(nrow, ncol, indptr, indices, data, x, y)  # y += A x, no copies
    else:  # pragma: no cover - private scipy API unavailable
        y += sp.csr_matrix((data, indices, indptr), shape=(nrow, ncol)) @ x


def _add_transposed(out: np.ndarray, Y: np.ndarray, alpha: complex = 1.0, conj: bool = False) -> None:
    """out += alpha * (conj(Y) if conj else Y).T for square arrays, in parallel row chunks."""
    def task(a, b):
        def run():
            src = Y[:, a:b].T
            tmp = np.conjugate(src) if conj else np.array(src)
            if alpha != 1.0:
                tmp *= alpha
            out[a:b] += tmp
        return run
    _run_parallel([task(a, b) for a, b in _row_chunks(out.shape[0])])


@lru_cache(maxsize=256)
def _ranges(count: int, k: int) -> tuple[tuple[int, int], ...]:
    b = [count * i // k for i in range(k + 1)]
    return tuple(zip(b[:-1], b[1:]))


def _split(count: int, parallel: bool = True) -> tuple[tuple[int, int], ...]:
    """[start, stop) ranges splitting range(count) among the worker threads (one if not parallel)."""
    return _ranges(count, max(1, min(count, _threads() if parallel else 1)))


def _row_chunks(d: int) -> tuple[tuple[int, int], ...]:
    """[start, stop) ranges splitting range(d) among the worker threads (one range if d < 256)."""
    return _ranges(d, _threads() if d >= 256 else 1)


def hermitian_to_real(M: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Real coordinates of a Hermitian d x d matrix: R = Re(M) + Im(M) (flat, length d^2).

    Re(M) is the symmetric and Im(M) the antisymmetric part of R, so the map is one-to-one on
    Hermitian matrices and isometric: R_A . R_B = Tr(A^+ B) (Frobenius). Krylov and GMRES vectors
    stored this way take half the memory and bandwidth of complex ones.
    """
    M = np.asarray(M)
    d = M.shape[-1]
    M = M.reshape(d, d)
    if out is None:
        out = np.empty(d * d)
    np.add(M.real, M.imag, out=out.reshape(d, d))
    return out


def real_to_hermitian(R: np.ndarray, out: np.ndarray | None = None, scale: float = 1.0) -> np.ndarray:
    """Inverse of :func:`hermitian_to_real` times ``scale``: M = scale [(R + R^T) + i (R - R^T)]/2."""
    R = np.asarray(R, dtype=float)
    d = int(round(np.sqrt(R.size)))
    R = R.reshape(d, d)
    if out is None:
        out = np.empty((d, d), dtype=complex)
    O = out.reshape(d, d)

    def task(a, b):
        def run():
            T = np.ascontiguousarray(R[:, a:b].T)
            np.add(R[a:b], T, out=O[a:b].real)
            np.subtract(R[a:b], T, out=O[a:b].imag)
            if scale != 2.0:
                O[a:b] *= 0.5 * scale
        return run
    _run_parallel([task(a, b) for a, b in _row_chunks(d)])
    return out


def _real_of_hermitian_part(W: np.ndarray, out: np.ndarray) -> None:
    """out (real d x d) = hermitian_to_real(W + W^+) = (Re W + Im W) + (Re W - Im W)^T."""
    def task(a, b):
        def run():
            Wt = W[:, a:b].T
            np.add(W[a:b].real, W[a:b].imag, out=out[a:b])
            out[a:b] += Wt.real
            out[a:b] -= Wt.imag
        return run
    _run_parallel([task(a, b) for a, b in _row_chunks(W.shape[0])])


def _hermitian_part(W: np.ndarray, out: np.ndarray) -> None:
    """out = W + W^+ (square arrays), in parallel row chunks."""

    def task(a, b):
        def run():
            np.conjugate(W[:, a:b].T, out=out[a:b])
            out[a:b] += W[a:b]
        return run
    _run_parallel([task(a, b) for a, b in _row_chunks(W.shape[0])])


class OpenChainLiouvillian(LinearOperator):
    """Matrix-free Liouvillian of the open chain: a ``LinearOperator`` of shape (4^n, 4^n).

    ``L @ vec(rho)`` (column stacking) equals ``open_chain_liouvillian(...) @ vec(rho)`` without
    building any 4^n x 4^n matrix. With v = vec(rho), M = v.reshape(d, d) is rho^T (C order), and

        L(rho)^T = i conj(H_eff) M - i (H_eff M^T)^T + sum_terms c conj(B^(q)) M A^(p)T,

    where the H_eff products are dense products with overlapping blocks of sites (``block`` sites
    each, see :func:`_partition`) and each jump superoperator on (row site p, column site q) is a
    handful of strided updates of quarter arrays. ``apply(rho)`` works on density matrices,
    ``apply_hermitian(rho)`` (rho Hermitian) uses L(rho) = Y + Y^+ and costs about half.

    Parameters are those of :func:`open_chain_liouvillian`; all dimensionless, hbar = 1.
    Attributes: ``n``, ``d`` (= 2^n), ``hamiltonian`` (sparse H), ``jumps`` (list of
    :class:`JumpTerm`), ``H_eff_terms``; ``adjoint()`` returns the Hilbert-Schmidt adjoint
    L^+(X) = i H_eff^+ X - i X H_eff + sum conj(c) A^+ X B as another instance.
    """

    def __init__(self, n: int, field: Sequence[float] = (0.0, 0.0, 0.0),
                 coupling: Sequence[float] = (0.0, 0.0, 0.0), onsite: Rates | None = None,
                 neighbour: Rates | None = None, periodic: bool = False, block: int | None = None,
                 *, _parts: tuple | None = None):
        n = _check_n(n)
        if _parts is None:
            h_terms = _hamiltonian_terms(n, field, coupling, periodic)
            jumps = _jump_terms(n, onsite, neighbour, periodic)
            heff_terms = h_terms + _anticommutator_terms(jumps)
            self.params = dict(field=tuple(map(float, field)), coupling=tuple(map(float, coupling)),
                               onsite=normalize_rates(onsite, "onsite"),
                               neighbour=normalize_rates(neighbour, "neighbour"), periodic=bool(periodic))
        else:
            h_terms, jumps, heff_terms = _parts
            self.params = {}
        self.n = n
        self.d = 2**n
        self._h_terms = list(h_terms)
        self.jumps = list(jumps)
        self.H_eff_terms = list(heff_terms)
        self._block = block
        super().__init__(dtype=np.complex128, shape=(4**n, 4**n))
        # M-coordinates: left products with conj(H_eff) (on rho's column index) and H_eff (row index)
        self._left_conj = _LocalSum(n, [(np.conj(c), tuple((s, np.conj(o)) for s, o in f))
                                        for c, f in self.H_eff_terms], block)
        self._left = _LocalSum(n, self.H_eff_terms, block)

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
        """Tr(K)/d with K = i (H_eff - H_eff^+): the mean decay rate of the coherences (>= 0)."""
        K = 1j * (self.H_eff - self.H_eff.conj().T)
        return float(K.diagonal().real.mean())

    def trace(self) -> complex:
        """Tr L = -d sum_terms c Tr(B^+ A) (p = q) ... computed from the diagonal of the sparse form."""
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
        L = L + _jump_sparse(self.n, self.jumps)
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
        return OpenChainLiouvillian(self.n, block=self._block, _parts=(h, jumps, heff))

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
    def _jump_full(self) -> _RowChunkedCSR:
        return _RowChunkedCSR(_jump_sparse(self.n, self.jumps), _threads())

    @cached_property
    def _jump_half(self) -> _RowChunkedCSR:
        return _RowChunkedCSR(_jump_sparse(self.n, blocks=self._hermitian_half_blocks()), _threads())

    @cached_property
    def _jump_half_scaled(self) -> _RowChunkedCSR:
        return _RowChunkedCSR(0.5 * _jump_sparse(self.n, blocks=self._hermitian_half_blocks()), _threads())

    def jump_matrix(self) -> sp.csr_matrix:
        """The jump part sum_terms c conj(B^(q)) kron A^(p) as a sparse (4^n, 4^n) matrix."""
        return _jump_sparse(self.n, self.jumps)

    def apply(self, rho: np.ndarray) -> np.ndarray:
        """L(rho) for a (d, d) array rho (any matrix, not only density matrices)."""
        rho = np.asarray(rho, dtype=complex)
        v = np.ascontiguousarray(rho.T).reshape(-1)
        return self._matvec(v).reshape(self.d, self.d).T

    def _matvec(self, v: np.ndarray) -> np.ndarray:
        d = self.d
        v = np.ascontiguousarray(np.asarray(v).reshape(-1), dtype=complex)
        M = v.reshape(d, d)  # = rho^T
        out = np.empty((d, d), dtype=complex)
        self._left_conj.apply(M, out, alpha=1j)
        Y = np.empty((d, d), dtype=complex)
        self._left.apply(np.ascontiguousarray(M.T), Y)
        _add_transposed(out, Y, alpha=-1j)
        flat = out.reshape(-1)
        self._jump_full.add_to(v, flat)
        return flat

    def _rmatvec(self, v: np.ndarray) -> np.ndarray:
        return self._adjoint_op._matvec(v)

    @cached_property
    def _adjoint_op(self) -> "OpenChainLiouvillian":
        return self.adjoint()

    def _matmat(self, X: np.ndarray) -> np.ndarray:
        return np.column_stack([self._matvec(X[:, k]) for k in range(X.shape[1])])

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
        _hermitian_part(W, out.reshape(d, d))
        return out

    def apply_real(self, r: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """L in the real coordinates of Hermitian matrices (:func:`hermitian_to_real` of vec).

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
        _real_of_hermitian_part(W, out.reshape(d, d))
        return out

    def apply_hermitian(self, rho: np.ndarray) -> np.ndarray:
        """L(rho) for a Hermitian (d, d) rho via :meth:`apply_hermitian_vec`."""
        rho = np.asarray(rho, dtype=complex)
        v = np.ascontiguousarray(rho.T).reshape(-1)
        return self.apply_hermitian_vec(v).reshape(self.d, self.d).T
