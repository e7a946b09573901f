"""The end-of-life processes (BAD 7.6.1 Replace Communications Hub, ``workflows.replace_communications_hub``; BAD 7.6.2
Remove and Decommission Device, ``workflows.decommission``) as follow-on steps of a scenario: each step's input from
the premises, the file's Parties and its ``with:`` parameters (``spec.ReplaceCommunicationsHubParams``,
``spec.DecommissionParams``). Registered in ``dccflow_app.scenarios.processes.REGISTRY``. Workflow code (the Scenario
workflow calls them): deterministic.

The replacement CH's Device IDs (source silent — decision): the old CHF's and GPF's premises number with its top bit
set (``devices.premises.device_id``), so no premises the harness numbers later can take them.
"""

from __future__ import annotations

from dccflow_app.scenarios.credential_processes import _device, _instance, _params, _user
from dccflow_app.scenarios.scenario import FollowOn
from devices.premises import device_id as numbered_device_id
from devices.premises import install_code
from workflows.decommission import DecommissionInput, Unjoin
from workflows.device_reuse import DeviceReuseInput
from workflows.firmware_upgrade import FirmwareUpgradeInput
from workflows.han_device_join import HanDevice
from workflows.meter_exchange import MeterExchangeInput
from workflows.replace_communications_hub import ReplaceChInput

#: the Device IDs' premises number of a replacement CH: the old one's with this bit set
REPLACEMENT_BIT = 1 << 31
#: the HAN Devices besides the meters the replacing Supplier checks against the restore (digest 04 §B.7 item 5)
OTHER_HAN_TYPES = ("PPMID", "IHD", "HCALCS", "CAD")


def _replacement_number(device_id: str) -> int:
    return int("".join(device_id.split("-")[-4:]), 16) | REPLACEMENT_BIT


def replacement_ids(old_chf_id: str) -> tuple[str, str]:
    """(new CHF, new GPF) for the CH replacing ``old_chf_id``."""
    number = _replacement_number(old_chf_id)
    return numbered_device_id("CHF", number), numbered_device_id("GPF", number)


def replace_ch_input(ctx, step: FollowOn) -> ReplaceChInput:
    p = _params(step)
    devices = ctx.premises.devices
    old_chf, old_gpf = _device(ctx, step, "CHF"), _device(ctx, step, "GPF")
    new_chf, new_gpf = replacement_ids(old_chf)
    gsme = devices.get("GSME")
    return ReplaceChInput(premises_id=ctx.premises.premises_id, old_chf_id=old_chf, old_gpf_id=old_gpf,
                          new_chf_id=new_chf, new_gpf_id=new_gpf, supplier_id=_user(ctx, step.actor),
                          gas_supplier_id=_user(ctx, "gas_supplier") if gsme else None,
                          gas_transporter_id=_user(ctx, "gas_transporter") if gsme else None,
                          esme_id=devices.get("ESME"), gsme_id=gsme, new_ch_faults=list(p.new_ch_faults),
                          han_devices=[HanDevice(device_id=devices[t], device_type=t,
                                                 install_code=install_code(devices[t]))
                                       for t in OTHER_HAN_TYPES if t in devices],
                          ch_return=p.ch_return)


def decommission_input(ctx, step: FollowOn) -> DecommissionInput:
    p = _params(step)
    unjoins = [Unjoin(srv=u.srv, target=_device(ctx, step, u.target), other=_device(ctx, step, u.other),
                      sender_id=_user(ctx, u.by) if u.by else None) for u in p.unjoins]
    watch = p.watch_orphans.after(ctx.start) - ctx.start if p.watch_orphans is not None else None
    return DecommissionInput(device_id=_device(ctx, step, p.device), device_type=p.device,
                             supplier_id=_user(ctx, step.actor), chf_id=ctx.premises.devices.get("CHF"),
                             gpf_id=ctx.premises.devices.get("GPF") if p.device == "CHF" else None,
                             unjoins=unjoins, remove_from_chf=p.remove_from_chf, h6_6_period=watch,
                             instance=_instance(step))


def firmware_upgrade_input(ctx, step: FollowOn) -> FirmwareUpgradeInput:
    p = _params(step)
    after = p.activate_after.after(ctx.start) - ctx.start if p.activate_after is not None else None
    cancel = p.cancel_after.after(ctx.start) - ctx.start if p.cancel_after is not None else None
    return FirmwareUpgradeInput(supplier_id=_user(ctx, step.actor), device_id=_device(ctx, step, p.device),
                                to_version=p.to_version, image_size=p.image_size, list_on_cpl=p.on_cpl,
                                activate_after=after, cancel_after=cancel, instance=_instance(step))


def meter_exchange_input(ctx, step: FollowOn) -> MeterExchangeInput:
    p = _params(step)
    old = _device(ctx, step, p.device)
    if ctx.premises.mpan is None:
        raise ValueError(f"{step.step_id}: the premises has no electricity supply")
    operator = _user(ctx, "electricity_distributor")
    return MeterExchangeInput(premises_id=ctx.premises.premises_id, chf_id=_device(ctx, step, "CHF"),
                              device_type=p.device, old_meter_id=old,
                              new_meter_id=numbered_device_id(p.device, _replacement_number(old)),
                              mpxn=ctx.premises.mpan, supplier_id=_user(ctx, step.actor),
                              network_operator_id=operator)


def device_reuse_input(ctx, step: FollowOn) -> DeviceReuseInput:
    p = _params(step)
    if ctx.premises.mpan is None:
        raise ValueError(f"{step.step_id}: the premises has no electricity supply")
    return DeviceReuseInput(device_id=_device(ctx, step, p.device), device_type=p.device,
                            chf_id=_device(ctx, step, "CHF"), mpxn=ctx.premises.mpan,
                            supplier_id=_user(ctx, step.actor), instance=_instance(step))
