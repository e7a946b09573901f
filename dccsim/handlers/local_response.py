"""SRV 8.13 'Return Local Command Response' (Non-Device; BAD 7.2.2.6.4; SEC Appendix AC 2.11).

In Install and Leave the Supplier obtains Commands for Local Delivery (CommandVariant 2, or 6 for a Signed
Pre-Command; ``dccsim.intake``), the installer's HHT carries them to the Devices, and the Supplier returns each
Response to 8.7.1, 8.7.2, 8.8.1, 8.8.2 and 8.11, and each 'Device Addition To / Removal From HAN Whitelist'
(0x8F12, CS14) and 'Backup GPF Device Log' (GCS62) Alert, in one 8.13 each. The DCC then updates the SMI as it
would have had the Command gone over the SM WAN: for Smart Meters it Associates the Meter with its MPxN, for all
Devices it Associates each Device with the CHF and as their joins say (BAD 7.2.2.6.4).

What a returned item does, by kind:

* a Response: the original request's own handler applies it (``Handler.apply``: 8.11 Associates the Device with
  the CHF and a Meter with its MPxN, 'whitelisted' per AC 4.3(c), N16 to the Network Operator; 8.7.x Associates
  the joined Devices, AC 4.7). The original must be this User's, returned for local delivery, and not yet
  answered; a Response returned twice changes nothing the second time.
* a CS14 Alert: kept as the CHF's latest CS14 (the DCC's Device Log record); each Meter or Type 1 Device the CHF
  Device Log shows joined, and that is 'whitelisted', becomes 'installed not commissioned' (AC 4.4, as on the N24
  path of AD 3.8.109.4(a)).
* a GCS62 Alert: stored per GPF for Replace Communications Hub (``dccsim.gpf_device_log``).
"""

from __future__ import annotations

from collections.abc import Mapping

from dccflow.domain.alerts import DeviceAlert
from dccflow.domain.devices import DeviceType
from dccflow.domain.service_requests import lookup_srv
from dccflow.domain.smi import SmiStatus
from dccflow.duis.messages import request_from_element
from dccflow.duis.schema import secure_parse
from dccflow.duis.tree import parse_datetime
from dccflow.gbcs import GbcsError, parse_returned
from dccflow.messages import GbcsResponse
from dccsim.chf_device_log import keep_cs14
from dccsim.handlers.base import Ctx, Handler, Outcome, reject, status_of
from dccsim.handlers.nondevice import NonDeviceHandler
from dccsim.models import RequestLogEntry
from dccsim.rejections import Check

#: request-log stages: the Command went back to the User for local delivery; its Response came back by 8.13
LOCAL_COMMAND_RETURNED = "local_command_returned"
LOCAL_RESPONSE_RETURNED = "local_response_returned"
#: the SRVs whose Responses are returned, and the Device Alerts (BAD 7.2.2.6.4)
RETURNED_RESPONSES = frozenset({"8.7.1", "8.7.2", "8.8.1", "8.8.2", "8.11"})
RETURNED_ALERTS = frozenset({DeviceAlert.CHF_DEVICE_LOG_CHANGED, DeviceAlert.GPF_DEVICE_LOG_CHANGED})


class ReturnLocalCommandResponse(NonDeviceHandler):
    """SRV 8.13. A returned Response is applied by the handler of the original request's SRV, looked up in the
    registry it is given (``dccsim.handler_registry.HANDLERS``, which holds this handler too)."""

    srv = "8.13"

    def __init__(self, handlers: Mapping[str, Handler]):
        self.handlers = handlers

    @staticmethod
    def _returned(ctx: Ctx) -> tuple[str, dict]:
        try:
            return parse_returned(ctx.body["DeviceGBCSResponse"])
        except GbcsError as exc:
            # schema-valid and signed, but not a GBCS Payload the simulation encodes (e.g. a real Device's bytes,
            # as in DCC's public request templates): not supported, and the User is told so (E13)
            raise reject(Check.NOT_SUPPORTED, f"DeviceGBCSResponse: {exc}") from None

    @staticmethod
    def _original(ctx: Ctx) -> RequestLogEntry:
        rid = ctx.body.get("OriginalRequestID")
        if not rid:
            raise reject(Check.VERIFY, "a returned Response must name its OriginalRequestID")
        entry = ctx.session.get(RequestLogEntry, rid)
        if entry is None or entry.originator != ctx.originator:
            raise reject(Check.ELIGIBLE_USER, f"{ctx.originator} sent no request {rid}")
        if entry.stage not in (LOCAL_COMMAND_RETURNED, LOCAL_RESPONSE_RETURNED):
            raise reject(Check.NOT_SUPPORTED, f"the Command of {rid} was not returned for local delivery")
        if entry.srv not in RETURNED_RESPONSES:
            raise reject(Check.NOT_SUPPORTED, f"Responses to SRV {entry.srv} are not returned by SRV 8.13")
        return entry

    def check(self, ctx: Ctx) -> None:
        kind, data = self._returned(ctx)
        if kind == "response":
            entry = self._original(ctx)
            if data["device_id"] != entry.target:
                raise reject(Check.VERIFY, f"the Response is from {data['device_id']}, the Command of "
                                           f"{entry.request_id} was for {entry.target}")
            return
        if data["alert_code"] not in RETURNED_ALERTS:
            raise reject(Check.NOT_SUPPORTED, f"Device Alert {data['alert_code']:04X} is not returned by SRV 8.13 "
                                              "(BAD 7.2.2.6.4)")
        ctx.device(data["device_id"])

    def execute(self, ctx: Ctx) -> Outcome:
        kind, data = self._returned(ctx)
        return self._response(ctx, data) if kind == "response" else self._alert(ctx, data)

    def _response(self, ctx: Ctx, data: dict) -> Outcome:
        entry = ReturnLocalCommandResponse._original(ctx)
        if entry.stage == LOCAL_RESPONSE_RETURNED:
            return Outcome(detail=f"the Response to {entry.request_id} was already returned")
        original = Ctx(session=ctx.session, request=request_from_element(secure_parse(entry.xml)), at=ctx.at,
                       definition=lookup_srv(entry.srv), role=ctx.role)
        response = GbcsResponse(use_case=data["use_case"], device_id=data["device_id"], success=data["success"],
                                params=data["params"])
        applied = self.handlers[entry.srv].apply(original, response)
        entry.stage = LOCAL_RESPONSE_RETURNED
        entry.device_response = {"response": response.model_dump(mode="json"), "delivered": False, "local": True,
                                 "returned_by": ctx.request_id}
        ctx.session.add(entry)
        return Outcome(notices=applied.notices, detail=f"{entry.request_id}: {applied.detail or applied.response_code}")

    @staticmethod
    def _alert(ctx: Ctx, data: dict) -> Outcome:
        if data["alert_code"] == DeviceAlert.GPF_DEVICE_LOG_CHANGED:
            from dccsim.gpf_device_log import keep_gcs62

            stored = keep_gcs62(ctx.session, data["device_id"], parse_datetime(data["at"]),
                                list(data.get("device_log") or []), received_via=ctx.request_id or "SRV 8.13")
            return Outcome(detail=f"GCS62 from {data['device_id']} " + ("stored for Replace Communications Hub"
                                                                          if stored else "older than the one held"))
        if data["alert_code"] != DeviceAlert.CHF_DEVICE_LOG_CHANGED:
            return Outcome(detail=f"Device Alert {data['alert_code']:04X} from {data['device_id']} recorded")
        inv = ctx.inventory
        chf_id = data["device_id"]
        raised_at = parse_datetime(data["at"])
        keep_cs14(ctx.session, chf_id, raised_at, list(data.get("device_log") or []))
        moved = []
        for logged in data.get("device_log") or []:
            dev = inv.find(logged["device_id"])
            if dev is None or not logged.get("joined"):
                continue
            dtype = DeviceType(dev.device_type)
            if dev.chf_id != chf_id:
                dev.chf_id = chf_id  # Associate with the CHF (BAD 7.2.2.6.4)
                ctx.session.add(dev)
            if (dtype.is_meter or dtype.is_type1) and status_of(dev) == SmiStatus.WHITELISTED:
                inv.set_status(dev.device_id, SmiStatus.INSTALLED_NOT_COMMISSIONED, ctx.at,
                               f"CS14 returned by SRV 8.13 {ctx.request_id} confirms the HAN join (AC 4.4)")
                moved.append(dev.device_id)
        return Outcome(detail=f"CS14 of {chf_id}: {', '.join(moved) or 'no status change'}")
