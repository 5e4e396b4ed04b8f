"""The wheel is what people who never clone the repository get (`pip install costbasis`, pipx): it
carries every module and every SQL file, and installed into a fresh venv it runs `costbasis demo`
from a folder outside the repository (before the SQL was packaged this failed with
`error: .../site-packages/sql/labels_sweep.sql`).

Marked `wheel`: it builds the wheel with pip (build isolation fetches setuptools from the index) and
takes ~15 s. The fresh venv does not download the ~200 MB of dependencies: a .pth file appends this
environment's site-packages to its path. Lines of a .pth only add folders, and .pth files inside an
added folder are not run, so this environment's editable costbasis (installed by its
__editable__*.pth) stays invisible; the test checks that `costbasis` imports from the wheel's copy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.wheel


def _run(args: list, **kw) -> subprocess.CompletedProcess:
    p = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=300, **kw)
    assert p.returncode == 0, f"{args}\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
    return p


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel built from a copy of the working tree (a build in place would leave build/ and
    *.egg-info in the repository)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in ("costbasis", "sql"):
        shutil.copytree(ROOT / name, src / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp / "dist", src])
    (whl,) = (tmp / "dist").glob("costbasis-*.whl")
    return whl


def test_wheel_carries_every_module_and_sql_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    sql = {"costbasis/sql/" + p.relative_to(ROOT / "sql").as_posix()
           for p in (ROOT / "sql").rglob("*") if p.suffix in (".sql", ".md", ".py")}
    code = {p.relative_to(ROOT).as_posix() for p in (ROOT / "costbasis").rglob("*.py")}
    assert "costbasis/sql/cohorts/cohorts_daily.sql" in sql  # the layout this test expects
    assert sql - names == set(), "SQL files missing from the wheel"
    assert code - names == set(), "modules missing from the wheel (pyproject.toml [tool.setuptools] packages)"
    assert not [n for n in names if n.startswith("sql/")], "sql/ must not install as a top-level folder"


def test_wheel_in_a_fresh_venv_runs_the_demo_outside_the_repository(wheel, tmp_path):
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv])
    py = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", py, "install", "-q", "--no-deps", "--no-index", wheel])
    site = Path(_run([py, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]).stdout.strip())
    deps = Path(duckdb.__file__).resolve().parents[1]  # this environment's site-packages
    (site / "_costbasis_test_deps.pth").write_text(f"{deps}\n")

    elsewhere = tmp_path / "elsewhere"  # cwd outside the repository: nothing found through ./
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    where = _run([py, "-c", "import costbasis, costbasis.engine.db as db; print(costbasis.__file__); "
                  "print(db.sql_files()['labels_sweep'])"], cwd=elsewhere, env=env).stdout.split("\n")
    assert Path(where[0]).is_relative_to(site), f"costbasis imported from {where[0]}, not the wheel"
    assert Path(where[1]).is_relative_to(site / "costbasis" / "sql"), where[1]

    p = subprocess.run([venv / "bin" / "costbasis", "demo", "--out", tmp_path / "demo"], cwd=elsewhere, env=env,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    assert "Reading: price" in p.stdout and "whale deposits spiked on" in p.stdout
    assert not (elsewhere / "demo_out").exists() and (tmp_path / "demo" / "cache").is_dir()
