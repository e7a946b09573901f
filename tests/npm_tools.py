"""npm packages the BPMN tests run with node (bpmn-moddle, bpmnlint), installed once per machine from the npm
registry into a cache directory, safely when several pytest(-xdist) workers ask at the same time: one takes a file
lock and installs into a fresh temporary directory, then renames it into place (an atomic rename on one file
system), so a reader sees either no install or a complete one. Without node/npm the tests skip, except on CI
(``CI`` set), where they fail."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest


def cache_root() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dccflow" / "npm"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def npm_package(spec: str) -> Path:
    """The install directory (``npm install --prefix``) holding the pinned *spec* (``name@version``)."""
    name = spec.rsplit("@", 1)[0]
    base = cache_root() / spec.replace("/", "+")
    marker = base / "node_modules" / name / "package.json"
    if marker.exists():
        return base
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        _unavailable(f"node and npm are needed to fetch {spec}")
    base.parent.mkdir(parents=True, exist_ok=True)
    with open(base.parent / f".{base.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if marker.exists():  # another worker installed it while this one waited
            return base
        tmp = Path(tempfile.mkdtemp(dir=base.parent, prefix=f".{base.name}-"))
        try:
            done = subprocess.run([npm, "install", "--prefix", str(tmp), "--no-audit", "--no-fund",
                                   "--no-save", spec], capture_output=True, text=True, timeout=300)
            if done.returncode != 0:
                _unavailable(f"npm install {spec} failed: {done.stderr.strip()[-400:]}")
            if base.exists():  # a partial directory left by something else: replace it
                shutil.rmtree(base)
            tmp.chmod(0o755)
            os.rename(tmp, base)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    return base
