"""The built wheel ships the watchlist and works from any directory (a fresh virtual environment)."""

import json
import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_installs_and_screens_from_another_directory(tmp_path):
    dist = tmp_path / "dist"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, ROOT],
                           capture_output=True, text=True)
    if build.returncode != 0:
        pytest.skip(f"cannot build a wheel here: {build.stderr.strip().splitlines()[-1:]}")
    wheel = next(dist.glob("precursor_check-*.whl"))
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    # the dependencies (rdkit ...) come from this environment; the package itself only from the wheel
    site = subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (Path(site) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # --force-reinstall: the wheel replaces whatever this environment resolves the package to
    subprocess.run([py, "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", wheel], check=True)
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    p = subprocess.run([env_dir / "bin" / "precheck", "CAS", "79099-07-3", "-f", "jsonl"], cwd=workdir,
                       capture_output=True, text=True, env=env)
    assert p.returncode == 1, p.stderr
    rec = json.loads(p.stdout)
    assert rec["verdict"] == "controlled" and "site-packages" not in rec["source"]
    files = subprocess.run([py, "-c", "import precursor_check, pathlib; "
                            "print(pathlib.Path(precursor_check.__file__).parent)"],
                           capture_output=True, text=True, cwd=workdir, env=env).stdout.strip()
    assert (Path(files) / "data" / "watchlist.yaml").exists()
    assert "site-packages" in files  # imported from the wheel, not from the source tree
