"""``dccflow up`` on a port already in use exits 2 naming the port and starts nothing; it never attaches its
workers to a Temporal server that another command started (issue 11)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from port_support import free_port, free_ports

from dccflow_app.preflight import ServerProblem, check_server_is_ours

CLI = [sys.executable, "-m", "dccflow_app.cli"]




def _up(data_dir, port: int, ui_port: int, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, "up", "--data-dir", str(data_dir), "--port", str(port), "--ui-port", str(ui_port)],
                          capture_output=True, text=True, timeout=timeout)


def _one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    return lines[0]


@pytest.mark.parametrize("which", ["port", "ui-port"])
def test_up_on_a_port_in_use_exits_2_naming_it(tmp_path, which):
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        busy = held.getsockname()[1]
        ports = dict(zip(("port", "ui-port"), free_ports(2), strict=True)) | {which: busy}
        result = _up(tmp_path / "stack", ports["port"], ports["ui-port"])
    assert result.returncode == 2, result.stderr
    line = _one_line(result.stderr)
    assert f"port {busy} " in line and "in use" in line and f"--{which}" in line
    assert "Temporal at" not in result.stderr  # never reported as started
    assert not (tmp_path / "stack" / "temporal.db").exists()  # no server was started


def test_a_second_up_on_the_same_port_refuses_and_leaves_the_first_running(tmp_path):
    port, ui_port = free_ports(2)
    first = subprocess.Popen([*CLI, "up", "--data-dir", str(tmp_path / "a"), "--port", str(port),
                              "--ui-port", str(ui_port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "a" / "dccflow.db").exists():  # the workers' database: the first stack is up
            assert first.poll() is None and time.monotonic() < deadline, first.stderr.read()
            time.sleep(0.2)
        second = _up(tmp_path / "b", port, free_port())
        assert second.returncode == 2, second.stderr
        assert f"port {port} " in _one_line(second.stderr)
        assert not (tmp_path / "b" / "dccflow.db").exists()  # its workers never started, on any server
        assert first.poll() is None  # the first stack is untouched
    finally:
        first.send_signal(signal.SIGINT)
        out, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    assert f"Temporal at 127.0.0.1:{port}" in err


def test_a_server_answering_on_the_port_must_be_a_child_of_this_process():
    with socket.socket() as held:  # held by this process itself, not by a server it started
        held.bind(("127.0.0.1", 0))
        held.listen()
        with pytest.raises(ServerProblem, match="served by another process"):
            check_server_is_ours(held.getsockname()[1])
    port = free_port()
    child = subprocess.Popen([sys.executable, "-c", (
        "import socket, sys, time\n"
        f"s = socket.socket(); s.bind(('127.0.0.1', {port})); s.listen(); print('ok', flush=True); time.sleep(60)")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ok"
        check_server_is_ours(port)  # a child of this process: accepted
    finally:
        child.kill()
        child.wait()


def test_up_without_the_duis_schema_exits_2_before_starting_anything(tmp_path):
    empty = tmp_path / "schema"
    empty.mkdir()
    ports = free_ports(2)
    result = subprocess.run([*CLI, "up", "--data-dir", str(tmp_path / "stack"), "--port", str(ports[0]),
                             "--ui-port", str(ports[1])], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "DCCFLOW_DUIS_SCHEMA_DIR": str(empty)})
    assert result.returncode == 2, result.stderr
    assert "duis-5.4.xsd" in _one_line(result.stderr)
    assert not (tmp_path / "stack" / "temporal.db").exists()


@pytest.mark.parametrize("ui_offset", [0, -1])
def test_up_with_two_servers_on_one_port_exits_2_naming_both(tmp_path, ui_offset):
    """``--ui-port`` equal to ``--port``, or one below it (the codec endpoint takes ``--ui-port + 1``): refused before
    anything starts, rather than a server that never comes up."""
    port = free_port()
    result = _up(tmp_path / "stack", port, port + ui_offset)
    assert result.returncode == 2, result.stderr
    line = _one_line(result.stderr)
    assert f"both port {port}" in line and "--port" in line and ("--ui-port" in line), line
    assert not (tmp_path / "stack" / "temporal.db").exists()
