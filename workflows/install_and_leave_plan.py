"""What Install and Leave (BAD 7.2.2) asks of the DCC and the HHT for a premises, as pure functions of the
premises and the Suppliers' User IDs (``workflows.install_and_leave``): the Devices fitted, the CHF Device Log
additions, the CS02b Commands for the Supplier cells, the joins of BAD Table 5, and which Devices the CHF's last
CS14 shows joined; and the premises itself (:class:`InstallLeavePremises`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from dccflow.domain.alerts import DeviceAlert
from dccflow.gbcs import parse_returned
from workflows.han_device_join import HanDevice, JoinRequest, join_plan

if TYPE_CHECKING:
    from activities.hht import CollectedAlert


class InstallLeavePremises(BaseModel):
    """The premises of a reactive Install and Leave: the CH, the ESME, for dual fuel the GSME, optionally a PPMID,
    and the HHT the installer brings (a Type 2 Device on the SMI, added to the CHF Device Log first, BAD
    7.2.2.6.2)."""

    premises_id: str
    chf_id: str
    gpf_id: str
    esme_id: str
    esme_install_code: str
    mpan: str
    ppmid_id: str | None = None
    ppmid_install_code: str | None = None
    hht_id: str
    hht_install_code: str
    #: dual fuel (the Gas Supplier's, ``InstallAndLeaveInput.gas_supplier_id``)
    gsme_id: str | None = None
    gsme_install_code: str | None = None
    mprn: str | None = None
    #: meter Device ID -> whose certificate its Supplier cell holds when not the Supplier's own: the DCC's
    #: (``DCC_ID``) or another MPID's User ID (as ``workflows.install_commission.ElectricityPremises``)
    supplier_cell_holders: dict[str, str] = Field(default_factory=dict)


def fitted(p: InstallLeavePremises) -> list[str]:
    """The Meters and Type 1 Devices the installer fits."""
    return [d for d in (p.esme_id, p.ppmid_id, p.gsme_id) if d]


def whitelist(p: InstallLeavePremises, supplier: str, gas: str) -> list[tuple[str, str, str | None, str]]:
    """The CHF Device Log additions (Device, Install Code, MPxN, sender): the HHT first (BAD 7.2.2.6.3), then the
    ESME, the PPMID and (the Gas Supplier's) the GSME."""
    rows = [(p.hht_id, p.hht_install_code, None, supplier), (p.esme_id, p.esme_install_code, p.mpan, supplier)]
    if p.ppmid_id:
        rows.append((p.ppmid_id, p.ppmid_install_code or "", None, supplier))
    if p.gsme_id:
        rows.append((p.gsme_id, p.gsme_install_code or "", p.mprn, gas))
    return rows


def foreign_supplier_cells(p: InstallLeavePremises, supplier: str, gas: str) -> list[tuple[str, str, str]]:
    """(Meter, its Supplier, the holder) for each Meter whose Supplier cell holds another's certificate (BAD
    7.2.2.6.2; the Supplier's procurement records, ``supplier_cell_holders``)."""
    meters = [(p.esme_id, supplier), *([(p.gsme_id, gas)] if p.gsme_id else [])]
    return [(meter, user, holder) for meter, user in meters
            if (holder := p.supplier_cell_holders.get(meter)) is not None and holder != user]


def local_joins(p: InstallLeavePremises, supplier: str, gas: str) -> list[JoinRequest]:
    """BAD Table 5 as this project's DCC has it (``dccsim.handlers.join``): a PPMID's joins with the ESME as
    Install and Commission makes them (``han_device_join.join_plan``: CS03A2 8.7.2, then CS03A1 8.7.1); for gas the
    GSME joins the GPF (CS03B, 8.7.2; Table 5: 8.7.1 CS03C).

    DECISION: the PPMID's gas joins (GPF -> PPMID, PPMID <-> GSME) are not obtained for local delivery: until the
    GSME-GPF join is returned the DCC links the 'pending' GPF only to the MPAN, so it refuses the Gas Supplier's
    requests for it (AB 6.1(f)); they can be made over the SM WAN once the GPF is commissioned."""
    joins = join_plan(HanDevice(device_id=p.ppmid_id, device_type="PPMID", install_code=p.ppmid_install_code or ""),
                      esme_id=p.esme_id, gsme_id=None, gpf_id=None, import_supplier_id=supplier,
                      gas_supplier_id=None) if p.ppmid_id else []
    if p.gsme_id and p.gpf_id:
        joins.append(JoinRequest(srv="8.7.2", target=p.gsme_id, other=p.gpf_id, user_id=gas))
    return joins


def joined(alerts: list[CollectedAlert], chf_id: str) -> set[str]:
    """The Devices the last CS14 from the CHF shows joined."""
    cs14 = [a for a in alerts if a.alert_code == DeviceAlert.CHF_DEVICE_LOG_CHANGED and a.device_id == chf_id]
    if not cs14:
        return set()
    _kind, data = parse_returned(cs14[-1].gbcs_payload)
    return {e["device_id"] for e in data.get("device_log") or [] if e.get("joined")}
