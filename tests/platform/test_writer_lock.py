"""``dccflow.writer_lock``: the lock file beside a SQLite database that the DCC's transactions (``HeldConnection``)
hold from before they begin until they end, so that DCC processes on one database take turns at once instead of
sleeping in SQLite's busy handler. Seen from another process, as the other DCC workers see it."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from dccflow import writer_lock
from dccflow.db import HeldConnection, dispose_engine, get_engine, serializable, session_scope
from dccflow.writer_lock import WriterLock, lock_path_for, writer_lock_for
from dccsim.smki_authority import SmkiAuthorityGeneration

pytestmark = pytest.mark.skipif(writer_lock.fcntl is None, reason="no fcntl on this platform: no lock file")

#: another process tries the lock without waiting: exit 0 if it got it, 1 if someone holds it
_TRY_FROM_ANOTHER_PROCESS = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_CREAT)
try:
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
except BlockingIOError:
    sys.exit(1)
sys.exit(0)
"""


def _free_for_another_process(path: str) -> bool:
    return subprocess.run([sys.executable, "-c", _TRY_FROM_ANOTHER_PROCESS, path], timeout=60).returncode == 0


@pytest.fixture
def engine(tmp_path):
    url = f"sqlite:///{tmp_path / 'dcc.db'}"
    yield get_engine(url)
    dispose_engine(url)


def test_a_dcc_transaction_holds_the_lock_file_from_its_begin_to_its_end(engine, tmp_path):
    held = HeldConnection(serializable(engine))
    path = lock_path_for(engine)
    assert path == str(tmp_path / "dcc.db") + "-writer.lock"
    with held.session() as s:
        s.add(SmkiAuthorityGeneration(id=1, generation=1))
        assert not _free_for_another_process(path)  # another DCC process waits for this transaction
    assert _free_for_another_process(path)  # committed: nothing held between transactions
    with pytest.raises(RuntimeError), held.session() as s:
        s.get(SmkiAuthorityGeneration, 1).generation = 2
        raise RuntimeError("refused")
    assert _free_for_another_process(path)  # given up after a rollback too
    with session_scope(engine) as s:
        assert s.get(SmkiAuthorityGeneration, 1).generation == 1
    held.close()


def test_one_lock_per_database_file_whatever_engine_names_it(engine, tmp_path):
    assert writer_lock_for(serializable(engine)) is writer_lock_for(engine)
    assert lock_path_for(create_engine(f"sqlite:///{tmp_path / 'other.db'}")) != lock_path_for(engine)


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "postgresql+psycopg://u@localhost/db"])
def test_no_lock_without_a_database_file_of_its_own(url):
    assert lock_path_for(create_engine(url)) is None


def test_the_same_thread_does_not_wait_for_itself(tmp_path):
    lock = WriterLock(str(tmp_path / "x.lock"))
    inner: list[bool] = []

    def nested() -> None:  # one DCC service's transaction opened inside another's, on one database
        with lock.held() as outer_held, lock.held() as inner_held:
            inner.append(outer_held and inner_held)

    thread = threading.Thread(target=nested)
    thread.start()
    thread.join(timeout=30)
    assert inner == [True]
    assert _free_for_another_process(lock.path)
    lock.close()


def test_threads_of_one_process_take_it_one_after_another(tmp_path):
    lock = WriterLock(str(tmp_path / "x.lock"))
    order: list[str] = []
    second_done = threading.Event()

    def second() -> None:
        with lock.held():
            order.append("second")
        second_done.set()

    with lock.held():
        thread = threading.Thread(target=second)
        thread.start()
        assert not second_done.wait(0.2)  # the other thread waits for this one
        order.append("first")
    thread.join(timeout=30)
    assert order == ["first", "second"]
    lock.close()


def test_a_holder_that_never_lets_go_delays_a_transaction_no_longer_than_the_wait(engine, monkeypatch, tmp_path):
    path = lock_path_for(engine)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT); fcntl.flock(fd, fcntl.LOCK_EX); "
        "print('held', flush=True); sys.stdin.read()"), path], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        monkeypatch.setattr(writer_lock, "WAIT", 0.05)
        held = HeldConnection(serializable(engine))
        with held.session() as s:  # goes on without it: SQLite's own locking decides, and nobody else writes
            s.add(SmkiAuthorityGeneration(id=1, generation=7))
        with session_scope(engine) as s:
            assert s.get(SmkiAuthorityGeneration, 1).generation == 7
        held.close()
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert Path(path).exists()


def test_a_forked_process_takes_turns_with_its_parent(tmp_path):
    """``dccflow dcc serve --workers N`` may fork: the child opens the lock file anew (a flock belongs to the open
    file, which a fork shares), so the parent's hold keeps it waiting."""
    import os

    lock = WriterLock(str(tmp_path / "x.lock"))
    with lock.held():
        pass  # the parent has the file open before it forks
    go_read, go_write = os.pipe()
    result_read, result_write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: once the parent holds the lock, try for a moment and report whether it got it
        os.read(go_read, 1)
        writer_lock.WAIT = 0.05
        with lock.held() as got:
            os.write(result_write, b"1" if got else b"0")
        os._exit(0)
    with lock.held():
        os.write(go_write, b"x")
        answer = os.read(result_read, 1)
    os.waitpid(pid, 0)
    assert answer == b"0"
    lock.close()


def test_a_lock_file_that_cannot_be_made_means_no_lock_not_a_failure(tmp_path, caplog):
    """A folder the process may not write to, say: the transaction runs without the lock (SQLite's busy handler
    alone, as on a platform without ``flock``), and a warning names the file."""
    lock = WriterLock(str(tmp_path / "no such folder" / "dcc.db-writer.lock"))
    ran = []
    with caplog.at_level("WARNING", logger="dccflow.writer_lock"), lock.held() as held:
        ran.append(held)
    with lock.held() as held:  # warned once
        ran.append(held)
    assert ran == [False, False]
    assert [r.getMessage() for r in caplog.records if "no such folder" in r.getMessage()] != []


def test_a_lock_file_made_by_another_user_is_used_read_only(tmp_path):
    """``flock`` needs no write access: a lock file this process may only read (another user made it) still
    orders the transactions."""
    import os

    path = tmp_path / "x.lock"
    path.touch()
    os.chmod(path, 0o444)
    lock = WriterLock(str(path))
    with lock.held() as held:
        assert held and not _free_for_another_process(str(path))
    lock.close()
