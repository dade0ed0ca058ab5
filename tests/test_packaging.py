"""Packaging facts the code relies on: dependency floors are tested, start-up stays light."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _floors() -> dict[str, str]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    out = {}
    for dep in deps:
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)(\[[^]]*\])?>=([0-9.]+)", dep.replace(" ", ""))
        assert m, f"dependency {dep!r} has no >= floor"
        out[m.group(1).lower()] = m.group(3)
    return out


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / ".ci" / "floors.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = line.split("==")
            pins[name.lower()] = version
    return pins


def test_every_floor_is_the_version_the_floors_job_installs():
    floors, pins = _floors(), _pins()
    for name, version in floors.items():
        assert pins.get(name) == version, f"{name}: floor {version}, .ci/floors.txt {pins.get(name)}"
    assert pins["distributed"] == pins["dask"]                   # dask[distributed] pins both


def test_import_attnflow_loads_no_heavy_library():
    """xarray, dask, matplotlib, numba, zarr and pydantic load only when a feature needs them."""
    code = ("import sys, attnflow; heavy = ('xarray', 'dask', 'matplotlib', 'numba', 'zarr', 'pydantic', "
            "'scipy'); print([m for m in heavy if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
