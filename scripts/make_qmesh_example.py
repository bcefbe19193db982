"""Write the input files of the ``qmesh-crystal`` example: the test crystal of the q-mesh route.

The crystal, its force constants and its point-charge crystal field are built by
:mod:`spinbath.baths.model_crystal` (Dy-O zig-zag chains, bond springs, analytic derivatives; see its
docstring). This script writes what a user would bring from phonopy and a quantum-chemistry code:

    qmesh-crystal/phonopy_params.yaml    cell, 3x3x3 supercell, force constants (compact)
    qmesh-crystal/cf_displacements.npz   B_k^q at +-0.01 A displaced geometries, with each
                                         displaced atom's cell (schema spinbath.CFDisplacements/2)
    qmesh-crystal.toml                   the spin-phonon config, mesh = [4, 4, 4]

Run from the repository root (needs phonopy)::

    python scripts/make_qmesh_example.py [--out src/spinbath/examples/qmesh-crystal]

``tests/baths/test_model_crystal.py`` regenerates the files and checks they equal the shipped ones.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from spinbath.baths import model_crystal as mc

MESH = (4, 4, 4)
#: (start K, stop K, number): where tau of orders 2 and 4 is resolved in double precision.
TEMPERATURES_K = (10.0, 60.0, 8)


def config_text(folder: str = "qmesh-crystal", mesh=MESH) -> str:
    """The example's TOML: the equilibrium crystal field, the two files of ``folder`` and the mesh."""
    B = mc.equilibrium_stevens()
    tables = "\n".join(f"B{k} = {{" + ", ".join(f'"{q}" = {B.get((k, q), 0.0):.10g}' for q in range(-k, k + 1))
                       + "}" for k in (2, 4, 6))
    lo, hi, num = TEMPERATURES_K
    return f"""# The q-mesh route on the test crystal of spinbath.baths.model_crystal (Dy-O zig-zag chains, bond
# springs, point charges): phonopy force constants of a 3x3x3 supercell and the crystal field at
# geometries with one environment atom (with its cell) displaced by +-0.01 A give the couplings of
# every mode (q, j) of a {mesh[0]}x{mesh[1]}x{mesh[2]} q-mesh; then tau(T). Files written by
# scripts/make_qmesh_example.py. Meshes 1x1x1 .. 6x6x6 are compared in docs/how-to/qmesh-bath.md.
# Temperatures: where tau of orders 2 and 4 is resolved in double precision for this crystal.
study = "spin-phonon"
title = "test crystal, phonons on a {mesh[0]}x{mesh[1]}x{mesh[2]} q-mesh"
temperatures = {{start = "{lo:g} K", stop = "{hi:g} K", num = {num}, spacing = "log"}}

[spin]
J = "15/2"
g = "4/3"

[spin.crystal_field]
convention = "stevens"
{tables}

[field]
direction = [0, 0, 1]

[bath]
phonopy = "{folder}/phonopy_params.yaml"
cf_displacements = "{folder}/cf_displacements.npz"
mesh = [{mesh[0]}, {mesh[1]}, {mesh[2]}]

[method]
orders = [2, 4]
width = "10 cm^-1"
"""


def write(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    yaml = out / "phonopy_params.yaml"
    mc.phonopy_crystal().save(yaml, settings={"force_constants": True})
    npz = out / "cf_displacements.npz"
    mc.cf_displacements().save_npz(npz)
    toml = out.parent / f"{out.name}.toml"
    toml.write_text(config_text(out.name))
    return [yaml, npz, toml]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="src/spinbath/examples/qmesh-crystal", help="output folder")
    for p in write(Path(parser.parse_args().out)):
        print(f"wrote {p} ({p.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
