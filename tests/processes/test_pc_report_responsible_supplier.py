"""AC 5.7(d), 5.9: the DCC reports a listed GPF to its Responsible Supplier — the Gas Supplier — even when its CH
also serves an electricity meter of another Supplier whose MPAN sorts first (after a Change of Supplier, or a CH
replacement by the Gas Supplier, BAD 7.6.1). ``dccsim.post_commissioning_reports``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from dccflow.db import get_engine, session_scope
from dccsim.inventory import Registration
from dccsim.models import SmiDevice, SmiStatusChange
from dccsim.post_commissioning_reports import compile_day, listing
from dccsim.records import DccPcReport

MPAN, MPRN = "1000000000011", "7000000101"
IMPORT_SUPPLIER, GAS_SUPPLIER = "90-B3-D5-1F-30-04-00-00", "90-B3-D5-1F-30-01-00-01"
CHF, GPF, ESME, GSME = (f"00-DB-12-0{n}-80-00-00-01" for n in (1, 2, 3, 4))


def _premises(engine, commissioned: datetime, *, gsme: bool = True) -> None:
    with session_scope(engine) as s:
        s.add(SmiDevice(device_id=CHF, device_type="CHF", smi_status="commissioned"))
        s.add(SmiDevice(device_id=GPF, device_type="GPF", smi_status="commissioned", chf_id=CHF))
        # the MPAN sorts before the MPRN: a fuel-blind look-up would name the Import Supplier
        s.add(SmiDevice(device_id=ESME, device_type="ESME", smi_status="commissioned", chf_id=CHF, mpxn=MPAN))
        if gsme:
            s.add(SmiDevice(device_id=GSME, device_type="GSME", smi_status="commissioned", chf_id=CHF, mpxn=MPRN))
        s.add(SmiStatusChange(device_id=GPF, from_status="pending", to_status="commissioned", at=commissioned,
                              reason="joined"))
        reg, start = Registration(s), datetime(2020, 1, 1, tzinfo=UTC)
        reg.add(mpxn=MPAN, fuel="electricity", supplier_id=IMPORT_SUPPLIER,
                network_operator_id="90-B3-D5-1F-30-02-00-00", effective_from=start)
        reg.add(mpxn=MPRN, fuel="gas", supplier_id=GAS_SUPPLIER,
                network_operator_id="90-B3-D5-1F-30-03-00-00", effective_from=start)


def test_a_listed_gpf_is_reported_to_the_gas_supplier_not_the_import_supplier(tmp_path):
    engine = get_engine(f"sqlite:///{tmp_path / 'dcc.db'}")
    commissioned = datetime(2027, 3, 6, 12, tzinfo=UTC)
    _premises(engine, commissioned)
    day = (commissioned + timedelta(days=8)).date()
    compile_day(engine, day)  # no Post Commissioning steps for the GPF: listed (AC 5.6(a), (c)(i), (c)(ii))
    with session_scope(engine) as s:
        reports = s.exec(select(DccPcReport).where(DccPcReport.kind == "daily-supplier")).all()
        (gpf,) = [x for x in listing(s, datetime.combine(day, datetime.min.time(), tzinfo=UTC)) if x.device_id == GPF]
    assert gpf.responsible_supplier == GAS_SUPPLIER
    assert {r.recipient for r in reports} == {GAS_SUPPLIER}
    assert [d["device_id"] for d in reports[0].content["devices"]] == [GPF]


def test_a_gpf_whose_ch_serves_no_gas_meter_is_reported_to_no_supplier(tmp_path):
    engine = get_engine(f"sqlite:///{tmp_path / 'dcc.db'}")
    commissioned = datetime(2027, 3, 6, 12, tzinfo=UTC)
    _premises(engine, commissioned, gsme=False)
    compile_day(engine, (commissioned + timedelta(days=8)).date())
    with session_scope(engine) as s:
        info = s.exec(select(DccPcReport).where(DccPcReport.kind == "daily-information")).one()
        suppliers = s.exec(select(DccPcReport).where(DccPcReport.kind == "daily-supplier")).all()
    assert [d["device_id"] for d in info.content["devices"]] == [GPF]  # still listed (AC 5.5)
    assert info.content["devices"][0]["responsible_supplier"] is None and suppliers == []
