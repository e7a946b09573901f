"""Scenario premises from the fleet builder (``build_premises``): gas only (no ESME, no MPAN), PPMID / IHD /
HCALCS / CAD with the Type 2 Devices pre-notified without an SMI Status (AC 2.9), and Supplier cells holding a
DCC certificate (BAD Table 4 (b)) or another MPID's (BAD 7.2.1.6.9)."""

from __future__ import annotations

from fleet_support import DCC, GS, IS, T0
from sqlmodel import select

from dccflow.db import get_engine, session_scope
from dccflow.domain.roles import SmkiRoleCode
from dccflow.parties import SUPPLIER
from dccflow.security.pki import entity_id_of, role_code_of
from dccsim.models import RegistrationData, SmiDevice
from devices.anchors import RESOLVER
from devices.builder import build_premises
from devices.cli import prepare_market
from devices.models import DeviceState


def _engine(tmp_path):
    engine = get_engine(f"sqlite:///{tmp_path / 'fleet.db'}")
    prepare_market(engine)
    return engine


def test_gas_only_premises_has_no_esme_and_no_mpan(tmp_path):
    engine = _engine(tmp_path)
    ids = build_premises(engine, 3, T0, supplier=SUPPLIER, gas_only=True)
    with session_scope(engine) as s:
        types = sorted(d.device_type for d in s.exec(select(DeviceState)))
        fuels = [(r.mpxn, r.fuel, r.supplier_id) for r in s.exec(select(RegistrationData))]
    assert types == ["CHF", "GPF", "GSME"]
    assert fuels == [(ids.mprn, "gas", GS)]


def test_han_devices_and_type2_prenotified(tmp_path):
    engine = _engine(tmp_path)
    ids = build_premises(engine, 4, T0, supplier=SUPPLIER, ppmid=True, ihd=True, hcalcs=True, cad=True)
    with session_scope(engine) as s:
        smi = {d.device_type: (d.smi_status, d.chf_id) for d in s.exec(select(SmiDevice))}
    assert smi["PPMID"] == ("pending", ids.chf_id) and smi["HCALCS"] == ("pending", ids.chf_id)
    assert smi["IHD"] == (None, ids.chf_id) and smi["CAD"] == (None, ids.chf_id)


def test_supplier_cells_hold_what_the_procurer_put_there(tmp_path):
    engine = _engine(tmp_path)
    ids = build_premises(engine, 5, T0, supplier=SUPPLIER, dual_fuel=True,
                         supplier_cells={"ESME": "DCC", "GSME": IS})
    with session_scope(engine) as s:
        def holder(device_id):
            cert = RESOLVER.cert(s, s.get(DeviceState, device_id).anchors["Supplier"])
            return entity_id_of(cert), role_code_of(cert)

        assert holder(ids.esme_id) == (DCC, SmkiRoleCode.ACCESS_CONTROL_BROKER.ou)
        assert holder(ids.gsme_id) == (IS, SmkiRoleCode.SUPPLIER.ou)
    # by default each meter holds its own fuel's Supplier certificate
    other = build_premises(engine, 6, T0, supplier=SUPPLIER, dual_fuel=True)
    with session_scope(engine) as s:
        cell = s.get(DeviceState, other.gsme_id).anchors["Supplier"]
        assert entity_id_of(RESOLVER.cert(s, cell)) == GS
