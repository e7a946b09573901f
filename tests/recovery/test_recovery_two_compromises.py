"""Two compromises at once (BAD 7.7.3.4.1; SEC Appendix L 3.2; ``workflows.smki_recovery_joins``): a compromise whose
Devices an Incident still running covers joins it when that procedure recovers it too — one timeline, one PMA
decision, its certificate revoked and its key refused at the end; otherwise it waits for the running one to end before
its own procedure; a compromise sharing no Device runs on its own at once."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from recovery_support import engine, run
from sqlmodel import select

from dccflow.config import USER_TASK_QUEUE
from dccflow.db import session_scope
from dccflow.domain.recovery import CompromisedKey
from dccflow.domain.roles import UserRole
from dccflow.parties import DCC_ID, PARTIES
from dccflow_app.campaigns import build_in_service_fleet
from devices.premises import premises_ids
from workflows.smki_recovery import SmkiRecoveryWorkflow, smki_recovery_workflow_id
from workflows.smki_recovery_model import SmkiRecoveryInput

AT = datetime(2027, 6, 1, tzinfo=UTC)
SUPPLIER = PARTIES["supplier-a"].user_ids[UserRole.IMPORT_SUPPLIER]


def _process(report: dict, step_id: str) -> dict:
    return next(p for p in report["processes"] if p["step_id"] == step_id)


def _at(process: dict, bpmn_id: str) -> str:
    return next(e["at"] for e in process["events"] if e["bpmn_id"] == bpmn_id)


def test_a_supplier_compromise_during_a_root_recovery_joins_it(tmp_path: Path) -> None:
    from activities.smki_recovery import RecoveryAttackerKey
    from dccflow.messages import GbcsCommand
    from dccflow.security.pki import Credential
    from dccsim.models import SmkiCertificate
    from dccsim.smki import SmkiRepository
    from dccsim.smki_recovery_incidents import RecoveryIncident
    from devices.anchors import encode_cert
    from devices.fleet import Fleet
    from devices.models import DeviceState
    from devices.signing import sign_command

    data = tmp_path / "data"
    report = run("recovery-two-compromises", data)
    assert report["differences"] == []
    root, second = _process(report, "smki_recovery"), _process(report, "supplier_key")
    assert (root["end"], second["end"]) == ("end_recovered", "end_joined_incident")
    # one procedure: the second Incident stops at the join; the rest is in the Root Incident's timeline
    assert [e["bpmn_id"] for e in second["events"]][-2:] == ["joined_running_incident", "end_joined_incident"]
    assert "compromise_confirmed" not in [e["bpmn_id"] for e in second["events"]]
    assert _at(root, "compromise_joined") < _at(root, "pma_approved")  # joined before the PMA decided
    joined = next(e["detail"] for e in root["events"] if e["bpmn_id"] == "compromise_joined")
    serial = re.search(r"serial\(s\) (\d+)", joined).group(1)
    with session_scope(engine(data)) as s:
        second_id = "P00000001-supplier-key"
        assert s.get(RecoveryIncident, second_id).joined_to == "P00000001-smki-recovery"
        revoked = s.exec(select(SmkiCertificate).where(SmkiCertificate.serial == serial)).one()
        assert revoked.subject_entity_id == SUPPLIER and revoked.revoked_at is not None  # its CRR, at the end
        stolen = s.get(RecoveryAttackerKey, second_id)
        stolen = Credential.from_pem(stolen.key_pem, stolen.cert_pem)
        esme = next(d for d in s.exec(select(DeviceState)) if d.device_type == "ESME")
    assert str(stolen.cert.serial_number) == serial
    closed = next(e["detail"] for e in root["events"] if e["bpmn_id"] == "joined_compromise_closed")
    assert "1 refused" in closed and "accepted" not in closed
    # the ESME itself: the stolen Supplier key no longer commands its Supplier cell
    path = SmkiRepository(engine(data)).certification_path()
    command = sign_command(GbcsCommand(
        use_case="CS02b", target=esme.device_id, originator="test-thief", counter=int(AT.timestamp() * 1000),
        request_id="test-thief:1", params={"remote_party_role": "Supplier", "certificate": encode_cert(stolen.cert),
                                           "certification_path": [encode_cert(c) for c in path]}), stolen)
    response, _ = Fleet(engine(data)).execute(command, AT)
    assert not response.success


async def _start(stack, inp: SmkiRecoveryInput):
    return await stack.client.start_workflow(SmkiRecoveryWorkflow.run, inp, task_queue=USER_TASK_QUEUE,
                                             id=smki_recovery_workflow_id(inp.incident_id))


def _steps(result) -> list[str]:
    return [e.bpmn_id for e in result.events]


def _event_at(result, bpmn_id: str) -> datetime:
    return next(e.at for e in result.events if e.bpmn_id == bpmn_id)


async def test_an_overlapping_compromise_the_running_procedure_cannot_recover_waits_for_it(stack) -> None:
    build_in_service_fleet(stack.runtime.engine, 1, datetime.now(UTC))
    # the DCC's Recovery key (every Device) and, 6 hours later, the Supplier's key on the ESME: a Recovery key
    # rollover replaces no Organisation Certificate, so the two cannot be one procedure
    first = await _start(stack, SmkiRecoveryInput(incident_id="TWO-A", compromised=CompromisedKey.RECOVERY,
                                                  subscriber_id=DCC_ID))
    await stack.env.sleep(timedelta(hours=6))
    second = await _start(stack, SmkiRecoveryInput(incident_id="TWO-B", subscriber_id=SUPPLIER))
    a, b = await first.result(), await second.result()
    assert (a.end, b.end) == ("end_recovered", "end_recovered")
    assert "join_offered" in _steps(a) and "compromise_joined" not in _steps(a) and a.joined == []
    answered = next(e.detail for e in a.events if e.bpmn_id == "join_answered")
    assert "does not replace Organisation Certificates" in answered
    assert "waits_for_running_incident" in _steps(b)
    # one procedure at a time on the ESME: the second asks for its confirmation only after the first ended
    assert _event_at(b, "confirmation_requested") > _event_at(a, "end_recovered")
    assert b.method == "method-1" and b.recovered and b.hole_closed


async def test_a_compromise_sharing_no_device_runs_at_once(stack) -> None:
    report = build_in_service_fleet(stack.runtime.engine, 2, datetime.now(UTC))
    one, two = (premises_ids(n) for n in range(report.first_number, report.last_number + 1))
    first = await _start(stack, SmkiRecoveryInput(
        incident_id="SEP-A", compromised=CompromisedKey.RECOVERY, subscriber_id=DCC_ID,
        device_ids=[one.chf_id, one.gpf_id, one.esme_id]))
    await stack.env.sleep(timedelta(hours=6))
    second = await _start(stack, SmkiRecoveryInput(incident_id="SEP-B", subscriber_id=SUPPLIER,
                                                   device_ids=[two.esme_id]))
    a, b = await first.result(), await second.result()
    assert (a.end, b.end) == ("end_recovered", "end_recovered")
    assert "join_offered" not in _steps(a) and "waits_for_running_incident" not in _steps(b)
    assert _event_at(b, "confirmation_requested") < _event_at(a, "end_recovered")  # at once, side by side
    assert b.recovered == [two.esme_id]


async def test_a_second_drill_start_for_an_overlapping_compromise_joins_the_running_drill(stack, tmp_path,
                                                                                       monkeypatch) -> None:
    import asyncio
    import json

    from typer.testing import CliRunner

    from dccflow_app import preflight
    from dccflow_app.cli import app

    async def workers_poll(client, address) -> None:  # the time-skipping test server has no DescribeTaskQueue
        return None

    monkeypatch.setattr(preflight, "wait_for_workers", workers_poll)
    build_in_service_fleet(stack.runtime.engine, 1, datetime.now(UTC))
    address = stack.client.service_client.config.target_host
    common = ["--party", "supplier-a", "--address", address, "--fleet", "0", "--data-dir", str(tmp_path)]
    first = await asyncio.to_thread(CliRunner().invoke, app, ["drill", "start", "root", *common, "--detach"])
    assert first.exit_code == 0, first.output
    drill_id = re.search(r"drill (smki-recovery-DRILL-\w+)", first.output).group(1)
    await stack.env.sleep(timedelta(hours=6))
    second = await asyncio.to_thread(CliRunner().invoke, app, [
        "drill", "start", "organisation", *common, "--devices", "model=ESME", "--json"])
    assert second.exit_code == 0, second.output
    report = json.loads(second.output[second.output.index("{"):])
    assert report["end"] == "end_joined_incident" and report["phase"] == "joined another Incident"
    from workflows.smki_recovery import DrillStatus

    status = await stack.client.get_workflow_handle(drill_id).query("drill_status", result_type=DrillStatus)
    assert status.joined == [report["incident"]]  # `dccflow drill status` on the running drill lists it
    await stack.env.sleep(timedelta(days=40))  # the Root drill's 30-day deadline passed: it has ended
    root = await stack.client.get_workflow_handle_for(SmkiRecoveryWorkflow.run, drill_id).result()
    assert root.end == "end_recovered"
    assert [j.reference for j in root.joined] == [report["incident"]]
    assert set(root.joined[0].attacker["after"].values()) == {"refused"}
