"""The physical side of replacing a Communications Hub (BAD 7.6.1.6.4) or a meter (BAD 7.6.2, 7.2.1.6.5): out-of-band
acts reported to the Supplier, not DUIS traffic.

Before the installer's visit the replacement CH has been ordered and delivered (BAD 7.9.1, not simulated): the DCC
put its CHF and GPF on the SMI as 'pending' (AC 2.4; BAD 7.6.1.5 precondition 3) and the fleet holds the box. Then
the installer removes the old CH (it stays off the SM WAN from now on) and fits and powers the new one; the new CHF
is commissioned by the DCC when it reaches the SM WAN (AC 4.1). Idempotent: a retry finds the rows it made.
"""

from __future__ import annotations

from pydantic import BaseModel, Field
from temporalio import activity

from activities.installer import ChInstallReport
from dccflow.clock import activity_now
from dccflow.db import session_scope
from dccflow.domain.devices import DeviceType
from dccflow.domain.smi import SmiStatus


class ChReplacement(BaseModel):
    premises_id: str
    old_chf_id: str
    new_chf_id: str
    new_gpf_id: str
    #: faults the replacement CH arrives with (``dccflow fleet faults``, e.g. ``no-wan``)
    new_ch_faults: list[str] = Field(default_factory=list)


class MeterExchange(BaseModel):
    premises_id: str
    chf_id: str
    device_type: str
    old_meter_id: str
    new_meter_id: str
    supplier_id: str
    network_operator_id: str | None = None


class ChReplacementActivities:
    def __init__(self, runtime):
        self.rt = runtime

    @activity.defn
    async def installer_replace_communications_hub(self, job: ChReplacement) -> ChInstallReport:
        """The new CH delivered ('pending' on the SMI), the old one removed, the new one fitted and powered; returns
        the new CH's SM WAN indicator."""
        from dccsim.inventory import Inventory
        from dccsim.models import SmiDevice
        from devices.faults import parse_fault
        from devices.fleet import DeviceSpec
        from devices.models import DeviceState
        from devices.premises import install_code

        rt, at = self.rt, activity_now()
        with session_scope(rt.engine) as s:
            delivered = s.get(DeviceState, job.new_chf_id) is not None
            listed = s.get(SmiDevice, job.new_chf_id) is not None
            if not listed:  # AC 2.4: the DCC lists a CH it delivers as 'pending'
                inv = Inventory(s)
                inv.add(job.new_chf_id, DeviceType.CHF, SmiStatus.PENDING, at, reason="replacement CH delivered "
                                                                                     "(AC 2.4)")
                inv.add(job.new_gpf_id, DeviceType.GPF, SmiStatus.PENDING, at, chf_id=job.new_chf_id,
                        reason="replacement CH delivered (AC 2.4)")
        if not delivered:
            rt.fleet.provision([
                DeviceSpec(device_id=job.new_chf_id, device_type="CHF", premises_id=job.premises_id,
                           install_code=install_code(job.new_chf_id)),
                DeviceSpec(device_id=job.new_gpf_id, device_type="GPF", premises_id=job.premises_id,
                           chf_id=job.new_chf_id, install_code=install_code(job.new_gpf_id))])
            _dcc_populated_cells(rt.engine, job.new_chf_id, job.new_gpf_id)
            for text in job.new_ch_faults:
                spec, param = parse_fault(text)
                rt.fleet.set_fault(job.new_chf_id, spec.name, param)
        await rt.wan.set_fault(job.old_chf_id, "ch-fault", at=at)  # removed: off the SM WAN for good
        connected = await rt.wan.power_up_ch(job.new_chf_id, at)
        return ChInstallReport(chf_id=job.new_chf_id, sm_wan_connected=connected)


    @activity.defn
    async def installer_exchange_meter(self, job: MeterExchange) -> None:
        """A meter exchange at the premises (BAD 7.6.2.5.5 with 7.2.1.6.5): the new meter, procured with the
        Supplier's own certificate in its Supplier cell (BAD 7.2.1.5 Table 4 (a)), pre-notified 'pending' on the SMI;
        the installer takes the old meter out and fits and powers the new one."""
        from dccsim.inventory import Inventory
        from dccsim.models import SmiDevice
        from devices.anchors import AnchorIds
        from devices.models import DeviceState, default_row
        from devices.premises import install_code

        rt, at = self.rt, activity_now()
        dtype = DeviceType(job.device_type)
        with session_scope(rt.engine) as s:
            if s.get(SmiDevice, job.new_meter_id) is None:
                Inventory(s).add(job.new_meter_id, dtype, SmiStatus.PENDING, at, chf_id=job.chf_id,
                                 reason="pre-notified for a meter exchange (BAD 7.1.1.6.2)")
            old = s.get(DeviceState, job.old_meter_id)
            if old is not None and old.installed:
                old.installed, old.han_joined = False, False
                s.add(old)
            fitted = s.get(DeviceState, job.new_meter_id) is not None
        if not fitted:
            cells = AnchorIds(rt.engine).manufacture(dtype, supplier_id=job.supplier_id,
                                                     network_operator_id=job.network_operator_id)
            with session_scope(rt.engine) as s:
                s.add(DeviceState(**default_row(device_id=job.new_meter_id, device_type=dtype.value,
                                                premises_id=job.premises_id, chf_id=job.chf_id,
                                                install_code=install_code(job.new_meter_id), anchors=cells)))
        await rt.wan.install_device(job.new_meter_id, at)


def _dcc_populated_cells(engine, *device_ids: str) -> None:
    """The replacement CH's trust anchor cells as the DCC populates them before delivery (BAD 7.2.1.5 Table 4; AC
    3.2), as for a CH the fleet builder makes: the DCC's post-commissioning duties for the new CHF (AC 8.3 → AC 5.1,
    5.3) need its Access Control Broker and Recovery cells."""
    from devices.anchors import AnchorIds
    from devices.models import DeviceState

    anchors = AnchorIds(engine)
    with session_scope(engine) as s:
        for device_id in device_ids:
            dev = s.get(DeviceState, device_id)
            if dev is not None and not dev.anchors:
                dev.anchors = anchors.manufacture(DeviceType(dev.device_type), supplier_id=None,
                                                  network_operator_id=None)
                s.add(dev)


def ch_replacement_activities(runtime) -> list:
    """For the User worker (``dccflow_app.runtime``)."""
    acts = ChReplacementActivities(runtime)
    return [acts.installer_replace_communications_hub, acts.installer_exchange_meter]
