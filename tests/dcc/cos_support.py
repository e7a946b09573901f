"""Helpers for the Transitional Change of Supplier tests (BAD 7.7.1): a commissioned electricity premises of Supplier
A, a CoS to Supplier B in Registration Data, SRV 6.23 / 5.1 / 6.20.1 as the Users send them, and what the DCC and
the Devices show afterwards."""

from __future__ import annotations

from datetime import datetime, timedelta

from clock_support import bounded_skips
from dcc_support import built_request, delivered, valid_and_signed_by_dcc, wait_for

from dccflow.db import session_scope
from dccflow.domain.roles import UserRole
from dccflow.duis import requests_credentials as creds
from dccflow.duis.messages import build_request
from dccflow.duis.schema import validate
from dccflow.parties import DCC_ID, SUPPLIER, SUPPLIER_B
from dccflow.security.pki import entity_id_of
from dccflow_app.scenarios.runner import run_scenario
from dccsim.cos_party import CosRecord
from dccsim.inventory import Registration
from devices.anchors import RESOLVER
from devices.premises import premises_ids

LOSING = SUPPLIER.user_ids[UserRole.IMPORT_SUPPLIER]
GAINING = SUPPLIER_B.user_ids[UserRole.IMPORT_SUPPLIER]
IDS = premises_ids(1)
ESME, MPAN = IDS.esme_id, IDS.mpan


async def commissioned(stack) -> None:
    """The install-and-commission scenario of one electricity premises, by Supplier A (the Losing Supplier); the
    virtual clock stays near commissioning (CPV of CS02b), moved on in bounded steps (``clock_support``)."""
    report = await bounded_skips(stack.env, run_scenario(stack.client, "install-commission-electricity"))
    assert report.result == "completed", report.reason


def change_of_supplier(rt, at: datetime, gaining: str = GAINING, mpxn: str = MPAN) -> None:
    """The CoS as industry registration makes it visible (BAD 7.7.1.5): the Losing Supplier's registration ends at
    ``at``, the Gaining Supplier's starts then."""
    with session_scope(rt.engine) as s:
        reg = Registration(s)
        current = reg.at(mpxn, at)
        assert current is not None
        current.effective_to = at
        s.add(current)
        reg.add(mpxn=mpxn, fuel=current.fuel, supplier_id=gaining, network_operator_id=current.network_operator_id,
                effective_from=at, uprn=current.uprn, postcode=current.postcode,
                address_identifier=current.address_identifier)


def withdraw_change_of_supplier(rt, mpxn: str = MPAN) -> None:
    """The CoS objected to before it took effect: the Gaining Supplier's registration gone, the Losing Supplier's
    open-ended again."""
    with session_scope(rt.engine) as s:
        reg = Registration(s)
        rows = reg.rows(mpxn)
        for row in rows:
            if row.supplier_id == GAINING:
                s.delete(row)
            elif row.supplier_id == LOSING:
                row.effective_to = None
                s.add(row)


def cos_request(rt, device_id: str = ESME, *, sender: str = GAINING, certificate_of: str | None = None,
                execution: datetime | None = None, mpxn: str = MPAN) -> tuple[str, bytes]:
    """SRV 6.23 signed by ``sender``, carrying ``certificate_of``'s (default: the sender's) Organisation
    Certificate (DUIS 5.4, built by ``dccflow.duis.requests_credentials``)."""
    cert, path = rt.smki.organisation_certificate_der(certificate_of or sender)
    return built_request(rt, sender, device_id, lambda rid: creds.update_security_credentials_cos(
        request_id=rid, import_mpxn=mpxn, supplier_floor_seq_number=0, digital_signing_certificate=cert,
        certification_path_certificates=path, apply_time_based_cpv_checks=True, execution_datetime=execution))


def create_schedule(rt, user: str, device_id: str) -> tuple[str, bytes]:
    """SRV 5.1 'Create Schedule' (Non-Device, CommandVariant 8): a daily Retrieve Import Daily Read Log (4.6.1)."""
    def build(rid: str):
        element = build_request(
            request_id=rid, service_reference_variant="5.1", body_element="CreateSchedule", command_variant=8, body={
                "ScheduleFrequency": "Daily", "ScheduleStartDate": "2030-01-01",
                "DSPScheduledServiceReference": "4.6", "DSPScheduledServiceReferenceVariant": "4.6.1",
                "DeviceID": device_id, "DSPRetrieveImportDailyReadLog": {
                    "StartDateOffset": -1, "StartTime": "00:00:00", "EndDateOffset": 0, "EndTime": "00:00:00"}})
        validate(element)
        return element

    return built_request(rt, user, DCC_ID, build)


async def service_response(rt, rid: str):
    (row,) = await wait_for(lambda: delivered(rt, kind="service_response", request_id=rid))
    parsed = valid_and_signed_by_dcc(row.xml)
    assert parsed.request_id == rid
    return row, parsed


def cell_owner(rt, device_id: str, cell: str = "Supplier") -> str:
    with session_scope(rt.engine) as s:
        return entity_id_of(RESOLVER.cert(s, rt.fleet.get(device_id).anchors[cell]))


def cos_record(rt, rid: str) -> CosRecord | None:
    with session_scope(rt.engine) as s:
        return s.get(CosRecord, rid)


def alerts(rt, code: str, **where) -> list:
    rows = delivered(rt, kind="dcc_alert", dcc_alert_code=code, **where)
    for row in rows:
        valid_and_signed_by_dcc(row.xml)
    return rows


async def skip(stack, seconds: float) -> None:
    await stack.env.sleep(timedelta(seconds=seconds))


def cos_verdicts(rt, at: datetime, device_id: str = ESME) -> dict[str, list[str]]:
    """The obligations audit of the run's CoS (COS-01..COS-13) from the DCC's records: obligation → verdicts."""
    from dccflow.audit import evaluate
    from dccflow.domain.obligations_cos import COS_REGISTER
    from dccflow.events import ProcessEvent
    from dccflow_app.scenarios.audit import read_dcc_records

    step = ProcessEvent(bpmn_id="update_security_credentials_cos", actor="Gaining Supplier", at=at,
                        refs=["BAD 7.7.1.5.4", "SRV 6.23"], device_id=device_id)
    out: dict[str, list[str]] = {}
    for v in evaluate([step], [], read_dcc_records(rt.engine, [device_id]), COS_REGISTER):
        out.setdefault(v.obligation, []).append(v.verdict)
    return out
