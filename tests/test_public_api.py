"""The public API contract: every name in every package's ``__all__`` resolves to the documented object.

Each package of spinbath lists its public names in ``__all__``. In fresh interpreters, with several
import orders (nothing imported first; every submodule imported first, in both orders; the
submodules whose names are also public names imported first), ``from <package> import <name>`` must
give an object of the documented kind -- never a submodule that happens to share the name (the
``spinbath.spins.stevens`` bug: the function was shadowed by its module once the module had been
imported) -- and the documented entry points keep their documented signatures.

Kinds follow the naming convention (CamelCase: class, UPPER_CASE: constant, lower_case: function)
unless ``KIND_OVERRIDES`` says otherwise. A signature in ``SIGNATURES`` is a promise: the listed
parameters come first, in this order and of these kinds; parameters added later must be optional.

All probes run in a handful of subprocesses, started together.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

#: Packages with a public API (each must define ``__all__``).
PACKAGES = (
    "spinbath", "spinbath.analysis", "spinbath.baths", "spinbath.classical", "spinbath.config",
    "spinbath.interop", "spinbath.junction", "spinbath.quantum", "spinbath.spins", "spinbath.studies",
    "spinbath.sweeps", "spinbath.experiment",
)
#: Packages that only hold data files.
RESOURCE_PACKAGES = {"spinbath.data", "spinbath.examples"}
#: Packages whose public surface is a submodule (listed in MODULES), not names of their own.
GATEWAY_PACKAGES = {"spinbath.interop"}
#: Public modules inside gateway packages, probed like packages (each must define ``__all__``).
MODULES = ("spinbath.interop.qutip",)

#: Where the naming convention does not give the documented kind.
KIND_OVERRIDES = {
    ("spinbath", "__version__"): "constant",
}

#: Documented signatures: "*" starts the keyword-only parameters.
SIGNATURES = {
    ("spinbath", "run"): "config, *, out, scheduler, workers, serial, quiet",
    ("spinbath", "load"): "path",
    ("spinbath", "plot"): "ds, path, format",
    ("spinbath.spins", "stevens"): "J, k, q",
    ("spinbath.spins", "spin_matrices"): "J",
    ("spinbath.spins", "embed"): "op, site, dims",
    ("spinbath.junction", "couplings"): "V, mu_F, T, *, t_e, t_L, t_R, t0, t, t_hat, eps0",
    ("spinbath.junction", "llg_parameters"): "V, mu_F, T, *, S, Delta, model",
    ("spinbath.quantum", "spin_phonon_superoperator"): "H, V, mode_energies, temperature, order, width, lineshape",
    ("spinbath.quantum", "relaxation_time"): "R, E, M, doublet",
    ("spinbath.quantum", "coherence_times"): "R, pair",
    ("spinbath.quantum", "open_chain_liouvillian"): "n, field, coupling, onsite, neighbour, periodic",
    ("spinbath.quantum", "steady_state"): "L",
    ("spinbath.quantum", "evolve"): "L, rho0, times",
    ("spinbath.quantum", "slowest_eigenvalues"): "L, k",
    ("spinbath.quantum", "relaxation_gap"): "L",
    ("spinbath.sweeps", "load_sweep"): "path",
    ("spinbath.sweeps", "run_sweep"): "sweep, config_text, out, *, backend, figure, quiet",
    ("spinbath.sweeps", "choose_backend"): "serial, scheduler, workers",
    ("spinbath.analysis", "fit_relaxation"): "data, model, *, start",
    ("spinbath.analysis", "read_tau_data"): "path, select, *, tmin, tmax",
    ("spinbath.config", "parse_config_text"): "text, source, base_dir, with_sweep",
    ("spinbath.config", "load_config"): "path",
    ("spinbath.studies", "get_study"): "name",
    ("spinbath.studies", "SpectrumConfig"): "*, study, title, spin, field, temperatures",
    ("spinbath.studies", "OpenChainConfig"): "*, study, title, n, boundary, field, coupling, initial, bath, evolution, "
                                             "steady_state, hysteresis, anisotropy_shifts",
}

#: ``import spinbath`` must not pull these in.
HEAVY = ("dask", "distributed", "matplotlib", "qutip", "numba", "phonopy")

_PROBE = textwrap.dedent(r'''
    import importlib, inspect, json, os, pkgutil, sys

    scenario, packages = sys.argv[1], json.loads(sys.argv[2])
    root = importlib.util.find_spec("spinbath").submodule_search_locations[0]  # does not import it

    def walk(path, prefix):
        for info in pkgutil.iter_modules([path]):
            name = prefix + info.name
            yield name, info.ispkg
            if info.ispkg:
                yield from walk(os.path.join(path, info.name), name + ".")

    tree = sorted(walk(root, "spinbath."))
    modules = ["spinbath"] + [name for name, _ in tree]
    heavy_after_import = None
    if scenario == "forward":
        import spinbath
        heavy_after_import = sorted(m for m in sys.modules if m.split(".")[0] in {heavy})
    elif scenario == "submodules-first":
        for m in modules:
            importlib.import_module(m)
    elif scenario == "submodules-reversed-first":
        for m in reversed(modules):
            importlib.import_module(m)
    elif scenario == "namesakes-first":
        # The bug of the issue, then every submodule whose name is also a public name of its package.
        importlib.import_module("spinbath.spins.hamiltonian")
        importlib.import_module("spinbath.spins.stevens")
        for m in modules:
            pkg, _, last = m.rpartition(".")
            if pkg in packages and last in getattr(importlib.import_module(pkg), "__all__", ()):
                importlib.import_module(m)

    order = list(reversed(packages)) if scenario == "reversed" else list(packages)

    def kind(obj):
        if inspect.ismodule(obj):
            return "module"
        if inspect.isclass(obj):
            return "class"
        return "function" if callable(obj) else "constant"

    def signature(obj):
        try:
            sig = inspect.signature(obj)
        except (TypeError, ValueError):
            return None
        return [[p.name, p.kind.name, p.default is not p.empty] for p in sig.parameters.values()]

    report = {}
    for pkg in order:
        ns = {}
        exec(f"import {pkg} as _pkg", ns)
        names = getattr(ns["_pkg"], "__all__", None)
        entry = report[pkg] = {"all": names, "names": {}}
        for name in names or ():
            try:
                exec(f"from {pkg} import {name} as _obj", ns)
            except Exception as err:
                entry["names"][name] = {"error": f"{type(err).__name__}: {err}"}
                continue
            obj = ns["_obj"]
            entry["names"][name] = {
                "kind": kind(obj),
                "module_name": obj.__name__ if inspect.ismodule(obj) else None,
                "signature": signature(obj) if kind(obj) in ("function", "class") else None,
                "same_as_attribute": getattr(ns["_pkg"], name, None) is obj,
            }
    print(json.dumps({"scenario": scenario, "report": report, "tree": tree,
                      "heavy_after_import": heavy_after_import}))
''').replace("{heavy}", repr(set(HEAVY)))

SCENARIOS = ("forward", "reversed", "submodules-first", "submodules-reversed-first", "namesakes-first")


@pytest.fixture(scope="module")
def probes():
    """Run every scenario in its own fresh interpreter, all at once; {scenario: parsed output}."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg"}
    procs = {s: subprocess.Popen([sys.executable, "-c", _PROBE, s, json.dumps(PACKAGES + MODULES)], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, env=env, cwd=Path(__file__).parent)
             for s in SCENARIOS}
    out = {}
    for s, p in procs.items():
        stdout, stderr = p.communicate(timeout=300)
        out[s] = (p.returncode, stdout, stderr)
    return out


def _report(probes, scenario):
    rc, stdout, stderr = probes[scenario]
    assert rc == 0, f"probe {scenario!r} failed:\n{stderr[-3000:]}"
    return json.loads(stdout.strip().splitlines()[-1])


def expected_kind(pkg: str, name: str) -> str:
    if (pkg, name) in KIND_OVERRIDES:
        return KIND_OVERRIDES[pkg, name]
    if name.upper() == name:
        return "constant"
    return "class" if name[0].isupper() else "function"


def _check_signature(where: str, documented: str, actual) -> list[str]:
    """Problems with ``actual`` (probe format) against the documented parameter list."""
    if actual is None:
        return [f"{where}: no signature"]
    doc, kw_only = [], False
    for token in (t.strip() for t in documented.split(",")):
        if token == "*":
            kw_only = True
        elif token:
            doc.append((token, kw_only))
    problems = []
    positional = [p for p in actual if p[1] in ("POSITIONAL_ONLY", "POSITIONAL_OR_KEYWORD")]
    by_name = {p[0]: p for p in actual}
    doc_pos = [n for n, kw in doc if not kw]
    if [p[0] for p in positional[:len(doc_pos)]] != doc_pos:
        problems.append(f"{where}: positional parameters {[p[0] for p in positional]} do not start with "
                        f"the documented {doc_pos}")
    for n, kw in doc:
        if kw and (n not in by_name or by_name[n][1] not in ("KEYWORD_ONLY", "POSITIONAL_OR_KEYWORD")):
            problems.append(f"{where}: documented keyword parameter {n!r} missing")
    documented_names = {n for n, _ in doc}
    for name, kind, has_default in actual:
        if name not in documented_names and kind not in ("VAR_POSITIONAL", "VAR_KEYWORD") and not has_default:
            problems.append(f"{where}: undocumented parameter {name!r} is required")
    return problems


def _baths_pending(report) -> bool:
    return report["spinbath.baths"]["all"] is None


def test_every_api_package_is_listed(probes):
    tree = _report(probes, "forward")["tree"]
    packages = {name for name, ispkg in tree if ispkg} | {"spinbath"}
    assert packages - RESOURCE_PACKAGES == set(PACKAGES), "add new packages to PACKAGES (and give them __all__)"


@pytest.mark.parametrize("pkg", PACKAGES + MODULES)
def test_package_declares_all(probes, pkg):
    entry = _report(probes, "forward")["report"][pkg]
    names = entry["all"]
    assert isinstance(names, list), f"{pkg}.__all__ missing"
    assert names or pkg in GATEWAY_PACKAGES, f"{pkg}.__all__ is empty"
    assert len(set(names)) == len(names), f"{pkg}.__all__ has duplicates"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_public_names_resolve_to_documented_objects(probes, scenario):
    report = _report(probes, scenario)["report"]
    problems = []
    for pkg, entry in report.items():
        for name, got in entry["names"].items():
            where = f"from {pkg} import {name}"
            if "error" in got:
                problems.append(f"{where}: {got['error']}")
                continue
            want = expected_kind(pkg, name)
            if got["kind"] != want:
                what = f"module {got['module_name']}" if got["kind"] == "module" else got["kind"]
                problems.append(f"{where}: a {what}, documented as a {want}")
            if not got["same_as_attribute"]:
                problems.append(f"{where}: differs from the attribute {pkg}.{name}")
            if (pkg, name) in SIGNATURES and got["kind"] == want:
                problems.extend(_check_signature(where, SIGNATURES[pkg, name], got["signature"]))
    assert not problems, f"[{scenario}]\n" + "\n".join(problems)


def test_documented_signatures_are_public_names(probes):
    report = _report(probes, "forward")["report"]
    missing = [f"{pkg}.{name}" for pkg, name in SIGNATURES if name not in (report[pkg]["all"] or ())]
    assert not missing, f"SIGNATURES lists names that are not in __all__: {missing}"


def test_import_spinbath_is_light(probes):
    heavy = _report(probes, "forward")["heavy_after_import"]
    assert heavy == [], f"`import spinbath` imports {heavy}"


def test_signature_checker_rejects_incompatible_changes():
    ok = [["J", "POSITIONAL_OR_KEYWORD", False], ["k", "POSITIONAL_OR_KEYWORD", False],
          ["q", "POSITIONAL_OR_KEYWORD", False], ["extra", "KEYWORD_ONLY", True]]
    assert _check_signature("f", "J, k, q", ok) == []
    assert _check_signature("f", "J, q, k", ok)                       # reordered
    assert _check_signature("f", "J, k, q, *, kw", ok)                # documented keyword gone
    assert _check_signature("f", "J, k", ok)                          # required undocumented q
    assert _check_signature("f", "J", [["J", "POSITIONAL_OR_KEYWORD", False]]) == []
