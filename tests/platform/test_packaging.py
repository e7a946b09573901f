"""The built wheel is a working dccflow (issue 11: ``pip install .`` gave a ``dccflow`` that crashed with
``ModuleNotFoundError: dccflow.scenarios``, because pyproject.toml listed the packages by hand; the package is
``dccflow_app.scenarios`` since).

The wheel is built from a copy of the checkout (so nothing is left in the working tree), its file list is
compared with the checkout's modules and data files, and it is then installed on its own (``--target``) and run
from a folder outside the checkout, with nothing of the checkout on ``sys.path``. ``.ci/run`` also installs the
wheel with its dependencies in a fresh virtualenv and runs a scenario.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
#: not part of the distribution: tests, benchmarks, deployment files, and whatever a checkout accumulates
NOT_SHIPPED = {"tests", "bench", "deploy", "build", "dist", "venv"}
_IGNORE = shutil.ignore_patterns(".*", "__pycache__", "*.pyc", "*.egg-info", "*.db", *NOT_SHIPPED)


def _project_files() -> set[str]:
    """Every file the installed dccflow needs: each top-level module, and every file of each top-level folder
    that holds Python code (its modules and its data files: BPMN models, templates…)."""
    files: set[str] = set()
    for entry in REPO.iterdir():
        if entry.name.startswith(".") or entry.name in NOT_SHIPPED or entry.name.endswith(".egg-info"):
            continue
        if entry.is_file() and entry.suffix == ".py":
            files.add(entry.name)
        elif entry.is_dir() and any(entry.rglob("*.py")):
            for path in entry.rglob("*"):
                rel = path.relative_to(REPO)
                if path.is_file() and "__pycache__" not in rel.parts and path.suffix != ".pyc":
                    files.add(rel.as_posix())
    return files


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("src") / "dccflow"
    shutil.copytree(REPO, src, ignore=_IGNORE)
    out = tmp_path_factory.mktemp("dist")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--quiet", "--disable-pip-version-check",
         "-w", str(out)],
        capture_output=True, text=True, timeout=600,
    )
    assert build.returncode == 0, f"pip wheel failed:\n{build.stdout}\n{build.stderr}"
    (built,) = out.glob("dccflow-*.whl")
    return built


def test_the_wheel_holds_every_module_and_data_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = _project_files()
    # the ones the issue found missing, and the data files read at run time, are among those checked
    assert {"dccflow_app/scenarios/catalogue.py", "dccsim/handlers/nondevice.py"} <= expected
    assert {"bpmn/install_commission.bpmn", "bpmn/install_and_leave.bpmn"} <= expected
    missing = sorted(expected - names)
    assert not missing, f"files of the checkout missing from {wheel.name}: {missing}"
    assert not [n for n in names if n.startswith(("tests/", "bench/")) or "__pycache__" in n]
    metadata = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "dccflow = dccflow_app.cli:main" in zipfile.ZipFile(wheel).read(metadata).decode()


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory):
    """``dccflow …`` run from the wheel alone, in a folder outside the checkout, for a user with no schema
    settings in the environment and an empty config file location."""
    root = tmp_path_factory.mktemp("installed")
    target = root / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--disable-pip-version-check",
         "--target", str(target), str(wheel)],
        capture_output=True, text=True, timeout=300,
    )
    assert install.returncode == 0, install.stderr
    # -S: no site processing, so the checkout's editable install (a .pth file) is not on sys.path; the
    # dependencies come from this environment's site-packages, dccflow only from the installed wheel
    paths = dict.fromkeys([str(target), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    env = {k: v for k, v in os.environ.items() if k not in ("DCCFLOW_SHARED_DIR", "DCCFLOW_DUIS_SCHEMA_DIR")}
    env.update(PYTHONPATH=os.pathsep.join(paths), PYTHONSAFEPATH="1", DCCFLOW_CONFIG=str(root / "config.toml"))
    elsewhere = root / "elsewhere"
    elsewhere.mkdir()

    def python(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-S", *args], cwd=elsewhere, env=env, capture_output=True,
                              text=True, timeout=120)

    python.target = target  # type: ignore[attr-defined]
    python.elsewhere = elsewhere  # type: ignore[attr-defined]
    return python


def test_the_installed_wheel_runs_outside_the_checkout(installed) -> None:
    where = installed("-c", "import bpmn, dccflow, dccflow_app.scenarios.runner, dccsim.handlers.nondevice;"
                      "print(dccflow.__file__); print(len(bpmn.step_ids('install_commission')))")
    assert where.returncode == 0, where.stderr
    module_file, step_count = where.stdout.split()
    assert Path(module_file).is_relative_to(installed.target)
    assert int(step_count) > 10  # the BPMN model shipped in the wheel is read

    listed = installed("-m", "dccflow_app.cli", "scenarios")
    assert listed.returncode == 0, listed.stderr
    assert "install-commission-electricity" in listed.stdout
    report = installed("-m", "dccflow_app.cli", "dcc", "report", "--data-dir", str(installed.elsewhere))
    assert "ModuleNotFoundError" not in report.stderr + report.stdout
    assert "no dccflow database" in report.stdout + report.stderr


def test_the_installed_wheel_says_how_to_get_the_schema_and_uses_the_recorded_folder(installed) -> None:
    from dccflow.duis.schema import schema_dir

    doctor = installed("-m", "dccflow_app.cli", "doctor")
    assert doctor.returncode == 1
    problem = doctor.stderr.strip()
    assert "dccflow setup schema PATH" in problem and "DCCFLOW_DUIS_SCHEMA_DIR" in problem
    assert "Traceback" not in problem
    sample = next(p for p in sorted((schema_dir().parent / "samples").iterdir()) if p.suffix.lower() == ".xml")
    assert installed("-m", "dccflow_app.cli", "duis", "check", str(sample)).returncode != 0

    setup = installed("-m", "dccflow_app.cli", "setup", "schema", str(schema_dir()))
    assert setup.returncode == 0, setup.stderr
    assert installed("-m", "dccflow_app.cli", "doctor").returncode == 0
    checked = installed("-m", "dccflow_app.cli", "duis", "check", str(sample))
    assert checked.returncode == 0, checked.stdout + checked.stderr
