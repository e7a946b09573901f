"""What a Device does when the Transitional CoS party replaces its Supplier cell (CS02b for SRV 6.23; BAD
7.7.1.5.4, 004 l.3878-3889), beyond the cell itself (``devices.security.cs02b_update_security_credentials``):

Smart Meters (ESME, GSME) only:

* the Supplier name held on the Meter becomes that of the Supplier in the replacing Organisation Certificate (read as
  the new certificate, digest 05 §B.9.5): the Party of its subject's User ID (``dccflow.parties``), else the
  certificate's organisation name;
* an entry in the Billing Data Log records the Meter's readings at the CoS event (``registers``, and the Tariff Block
  Counter Matrix as it stood);
* the Tariff Block Counter Matrix is reset;
* future-dated firmware activations are re-timed never to execute (``devices.firmware.cancel_scheduled``). DECISION:
  the simulated Devices hold no future-dated 'Update Security Credentials' Commands (the DCC holds future-dated
  requests until their execution time, BAD 7.8.5.4.1), so there is none on the Device to re-time; the DCC cancels the
  Losing Supplier's held ones (N38, ``dccsim.handlers.cos``).

The ``reject-cos[:N]`` fault (``devices.faults``) makes the Device refuse the next N such Commands (all if no N).
"""

from __future__ import annotations

from cryptography import x509
from cryptography.x509.oid import NameOID

from dccflow.domain.devices import DeviceType
from dccflow.parties import party_of
from dccflow.security.pki import entity_id_of
from devices.effects import CommandCtx
from devices.faults import use_counted
from devices.firmware import cancel_scheduled
from devices.models import DeviceState

REJECT_COS = "reject-cos"
#: the Tariff Block Counter Matrix's shape per Meter type: tariffs x blocks (GBCS: ESME 8 tariffs of 4 blocks; the
#: GSME's single tariff of 4 blocks)
TBCM_SHAPE = {DeviceType.ESME.value: (8, 4), DeviceType.GSME.value: (1, 4)}


def refused_by_fault(dev: DeviceState) -> bool:
    """The ``reject-cos`` fault refuses this Command; a counted fault is used up by it."""
    dev.faults, refused = use_counted(dev.faults, REJECT_COS)
    return refused


def supplier_name(cert: x509.Certificate) -> str | None:
    party = party_of(entity_id_of(cert) or "")
    if party is not None:
        return party.name
    names = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    return str(names[0].value) if names else None


def zeroed(matrix: list, device_type: str) -> list:
    tariffs, blocks = TBCM_SHAPE[device_type]
    return [[0] * len(row) for row in matrix] if matrix else [[0] * blocks for _ in range(tariffs)]


def meter_change_of_supplier(ctx: CommandCtx, new: x509.Certificate) -> dict:
    """The Smart Meter's CoS effects (see the module docstring); what changed, for the Response."""
    dev = ctx.device
    if not DeviceType(dev.device_type).is_meter:
        return {}
    before = dev.supplier_name
    dev.supplier_name = supplier_name(new)
    dev.billing_data_log = [*dev.billing_data_log, {
        "at": ctx.at.isoformat(), "event": "change of supplier", "registers": dict(dev.registers),
        "tariff_block_counters": [list(row) for row in dev.tariff_block_counters],
        "supplier_before": before, "supplier_after": dev.supplier_name}]
    dev.tariff_block_counters = zeroed(dev.tariff_block_counters, dev.device_type)
    cancel_scheduled(dev, "Supplier changed by the Transitional CoS party (BAD 7.7.1.5.4)")
    return {"supplier_name": dev.supplier_name, "billing_data_log_entries": len(dev.billing_data_log)}
