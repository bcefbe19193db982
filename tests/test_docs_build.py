"""The documentation site builds with warnings as errors and every cross-reference resolved
(``make docs``), in a fresh process, on the sources as they are."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sphinx")
pytest.importorskip("myst_nb")
pytest.importorskip("pydata_sphinx_theme")

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_docs_build_with_warnings_as_errors(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-E", "-b", "html", "-n", "-W", "--keep-going", "-q",
         "-d", str(tmp_path / "doctrees"), str(DOCS), str(tmp_path / "html")],
        capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-5000:]
    for page in ("index", "getting-started", "conventions", "architecture", "api/index", "api/modules"):
        assert (tmp_path / "html" / f"{page}.html").exists(), page
