"""Print a pip constraints file that pins every dependency of pyproject.toml at its lower bound.

Reads [project] dependencies and the ``test`` extra; each ``name>=X`` becomes ``name==X`` (extras
dropped: constraints take none). Used by ``make test-min``.
"""

import re
import sys
import tomllib
from pathlib import Path

project = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())["project"]
pins = {}
for req in [*project["dependencies"], *project["optional-dependencies"]["test"]]:
    m = re.fullmatch(r"\s*([A-Za-z0-9_.-]+)(\[[^\]]*\])?\s*>=\s*([^,;\s]+)\s*", req)
    if not m:
        sys.exit(f"lower_bounds.py: no plain `name>=version` in {req!r}")
    pins[m.group(1).lower()] = m.group(3)
print("\n".join(f"{name}=={version}" for name, version in sorted(pins.items())))
