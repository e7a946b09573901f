"""Several DCC worker processes on one PostgreSQL database (``dcc_process.py``, real OS processes started together)
keep the Code's checks as one process does: anti-replay (a RequestID is used once; SEC Appendix AB 6.1; digest 06
§E.11), the SMI Status moves of one Device serialised (each from the status the previous one left; BAD 7.1.1,
AD 3.8.101.4.3), and Registration Data changed meanwhile seen by every process (eligibility, BAD 7.8.4.4)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from dcc_support import ESME, SUPPLIER_A, SUPPLIER_B, now, premises, signed_request
from sqlmodel import select

from dccflow.config import Settings
from dccflow.db import session_scope
from dccflow.domain.smi import SmiStatus
from dccflow.parties import DCC_ID
from dccflow_app.runtime import Runtime
from dccsim.inventory import Registration
from dccsim.models import RegistrationData, RequestLogEntry, SmiDevice, SmiStatusChange

PROCESSES = 3
WORKER = Path(__file__).with_name("dcc_process.py")


def run_processes(tmp_path: Path, phases_per_process: list[list[list[bytes]]], between=None,
                  together: bool = False) -> list[list[list]]:
    """Start one DCC process per entry, wait until all are up, then run the phases, all processes together;
    ``between(i)`` runs before phase ``i``; ``together``: each process submits a phase's requests at once (group
    commit: one transaction per batch). Returns each process's replies, by phase."""
    procs = []
    try:
        for n, phases in enumerate(phases_per_process):
            file = tmp_path / f"requests-{n}.json"
            file.write_text(json.dumps([[base64.b64encode(x).decode() for x in phase] for phase in phases]))
            procs.append(subprocess.Popen([sys.executable, str(WORKER), str(file), *(["--together"] if together
                                                                                   else [])], stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, text=True))
        for p in procs:
            assert p.stdout.readline().strip() == "ready"
        results: list[list[list]] = [[] for _ in procs]
        for i in range(len(phases_per_process[0])):
            if between is not None:
                between(i)
            for p in procs:  # all at once: each is waiting on its standard input
                p.stdin.write("go\n")
                p.stdin.flush()
            for n, p in enumerate(procs):
                results[n].append(json.loads(p.stdout.readline()))
        for p in procs:
            p.stdin.close()
            assert p.wait(timeout=60) == 0
        return results
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


def runtime() -> Runtime:
    return Runtime(Settings(), None)  # type: ignore[arg-type] - the DCC's tables and parties; no Temporal


def to_inc(rt: Runtime, user: str, counter: int) -> bytes:
    """SRV 8.4 Update Inventory: the ESME from 'pending' to 'installed not commissioned' (AD 3.8.101.4.3)."""
    return signed_request(rt, user, "8.4", DCC_ID, counter, device_id=ESME,
                          device_status_except_ch="InstalledNotCommissioned")


def history(rt: Runtime) -> list[tuple[str | None, str]]:
    with session_scope(rt.engine) as s:
        rows = s.exec(select(SmiStatusChange).where(SmiStatusChange.device_id == ESME)
                      .order_by(SmiStatusChange.id)).all()
        return [(r.from_status, r.to_status) for r in rows]


def status(rt: Runtime) -> str:
    with session_scope(rt.engine) as s:
        return s.get(SmiDevice, ESME).smi_status


def flat(results: list[list[list]], phase: int) -> list[dict]:
    return [reply for per_process in results for reply in per_process[phase]]


@pytest.mark.parametrize("together", [False, True], ids=["in-turn", "together"])
def test_copies_of_one_signed_request_are_taken_once(tmp_path, together):
    rt = runtime()
    premises(rt, esme_status=SmiStatus.PENDING)
    xml = to_inc(rt, SUPPLIER_A, 10)
    before = history(rt)
    replies = flat(run_processes(tmp_path, [[[xml, xml, xml]] for _ in range(PROCESSES)], together=together), 0)
    # every copy gets the answer of the one request taken: a retransmission's (the same signed bytes)
    refused = [r for r in replies if r["code"] != "I0"]
    assert {(r["outcome"], r["code"]) for r in replies} == {("accepted", "I0")}, refused
    assert len({r["reply"] for r in replies}) == 1
    assert history(rt) == [*before, ("pending", "installed not commissioned")]
    with session_scope(rt.engine) as s:
        assert len(s.exec(select(RequestLogEntry).where(RequestLogEntry.counter == 10)).all()) == 1


def test_one_request_id_with_different_contents_is_accepted_once(tmp_path):
    """The same RequestID signed over a different body in each process (other Device details, each valid on its
    own): one is taken, every other is a replay (E40), whichever process it reached."""
    rt = runtime()
    premises(rt, esme_status=SmiStatus.PENDING)
    versions = [f"0003000{n}" for n in range(PROCESSES)]
    phases = [[[signed_request(rt, SUPPLIER_A, "8.4", DCC_ID, 20, device_id=ESME,
                               device_details={"firmware_version": version})] * 2] for version in versions]
    results = run_processes(tmp_path, phases)
    taken = [n for n, per_process in enumerate(results) if per_process[0][0]["code"] == "I0"]
    assert len(taken) == 1, results
    assert [r["code"] for r in results[taken[0]][0]] == ["I0", "I0"]  # its copy: a retransmission
    assert {r["code"] for n, per_process in enumerate(results) if n != taken[0] for r in per_process[0]} == {"E40"}
    with session_scope(rt.engine) as s:
        assert s.get(SmiDevice, ESME).firmware_version == versions[taken[0]]


@pytest.mark.parametrize("together", [False, True], ids=["in-turn", "together"])
def test_concurrent_moves_of_one_device_are_serialised(tmp_path, together):
    """Distinct requests (RequestIDs, counters) all moving the ESME from 'pending': exactly one moves it; each other
    is refused, either because the ESME is no longer 'pending' (E5) or because a higher counter was used already
    (E40). No move is made from a status the ESME no longer had."""
    rt = runtime()
    premises(rt, esme_status=SmiStatus.PENDING)
    before = history(rt)
    counters = iter(range(100, 1000))
    phases = [[[to_inc(rt, SUPPLIER_A, next(counters)) for _ in range(3)]] for _ in range(PROCESSES)]
    replies = flat(run_processes(tmp_path, phases, together=together), 0)
    codes = Counter(r["code"] for r in replies)
    assert codes["I0"] == 1 and set(codes) <= {"I0", "E5", "E40"}, replies
    assert history(rt) == [*before, ("pending", "installed not commissioned")]
    assert status(rt) == "installed not commissioned"


def test_registration_data_changed_meanwhile_is_seen_by_every_process(tmp_path):
    """Each process first refuses Supplier B (not registered: E4), which fills any cache it keeps; the
    Registration Data then moves to Supplier B, and both processes judge B's next requests by it."""
    rt = runtime()
    premises(rt, esme_status=SmiStatus.PENDING)
    counters = iter(range(200, 1000))
    phases = [[[to_inc(rt, SUPPLIER_B, next(counters))], [to_inc(rt, SUPPLIER_B, next(counters) + 100)]]
              for _ in range(2)]

    def change_of_supplier(phase: int) -> None:
        if phase == 1:
            moment = now() - timedelta(seconds=1)
            with session_scope(rt.engine) as s:
                for row in s.exec(select(RegistrationData).where(RegistrationData.supplier_id == SUPPLIER_A)):
                    row.effective_to = moment
                    s.add(row)
                existing = s.exec(select(RegistrationData).where(RegistrationData.supplier_id == SUPPLIER_A)).first()
                Registration(s).add(mpxn=existing.mpxn, fuel="electricity", supplier_id=SUPPLIER_B,
                                    network_operator_id=existing.network_operator_id, effective_from=moment)

    results = run_processes(tmp_path, phases, between=change_of_supplier)
    assert {r["code"] for r in flat(results, 0)} == {"E4"}, flat(results, 0)
    second = Counter(r["code"] for r in flat(results, 1))
    assert second["I0"] == 1 and set(second) <= {"I0", "E5", "E40"}, flat(results, 1)
    assert status(rt) == "installed not commissioned"
