"""What a handler is: the SR-specific part of processing one Service Reference Variant.

The generic checks (schema, signature, certificate, role, registration, SMI status, replay, anomaly detection)
live in ``dccsim.pipeline`` and ``dccsim.eligibility``; a handler adds the checks only its SRV has (AB 6.1(g)–(k),
AD rules), names the Device the generic checks look at, builds the GBCS Command (Device requests) and applies
the Device's Response, or carries out a Non-Device request (AB 16.1(d)).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from dccflow.domain.devices import DeviceType
from dccflow.domain.roles import UserRole
from dccflow.domain.service_requests import ServiceRequestDef
from dccflow.domain.smi import SmiStatus
from dccflow.duis.messages import DuisRequest
from dccflow.duis.tree import parse_datetime
from dccflow.firmware_image import cancels_activation
from dccflow.gbcs import REQUEST_BODY, response_payload
from dccflow.messages import GbcsCommand, GbcsResponse
from dccsim.inventory import Inventory, Registration
from dccsim.models import SmiDevice
from dccsim.rejections import PROCESSING_CODES, Check, ServiceRequestRejected

#: CommandVariants whose Command is returned to the User for local delivery only (DUIS CommandVariant table)
LOCAL_DELIVERY_VARIANTS = frozenset({2, 6})


@dataclass
class Notice:
    """A DCC Alert the DCC must send once the request's effects are committed."""

    alert_code: str
    recipient: str
    device_id: str
    data: dict = field(default_factory=dict)
    #: ``False``: the alert names no RequestID (N27, N17 go to the Losing Supplier, who did not send the request
    #: being processed; a RequestID routes a message to its sender's process)
    names_request: bool = True
    #: tells apart notices of one request with the same code and Device (N1 to the ED and the ES; one N33 per
    #: cancelled request): part of the delivery key, which is otherwise that of the first such notice
    tag: str = ""

    def key(self, request_id: str) -> str:
        """The delivery key: a retried step never sends the notice twice (``dccsim.outbound``)."""
        return f"{request_id}:{self.alert_code}:{self.device_id}" + (f":{self.tag}" if self.tag else "")


@dataclass
class Outcome:
    response_code: str = PROCESSING_CODES["success"]
    notices: list[Notice] = field(default_factory=list)
    #: for 8.11 adds: wait this many seconds for the CHF's confirming CS14 (SEC AD 3.8.109.4)
    join_watch: tuple[str, str, int] | None = None
    #: the ResponseMessage payload, e.g. ("DSPInventory", {...}) (AB 16.1(d)(ii))
    payload: tuple[str, dict] | None = None
    detail: str = ""


@dataclass
class Ctx:
    session: Session
    request: DuisRequest
    at: datetime
    definition: ServiceRequestDef | None = None
    role: UserRole | None = None

    @property
    def inventory(self) -> Inventory:
        return Inventory(self.session)

    @property
    def registration(self) -> Registration:
        return Registration(self.session)

    @property
    def body(self) -> dict:
        return self.request.body

    @property
    def target(self) -> str:
        return self.request.header.target

    @property
    def originator(self) -> str:
        return self.request.header.originator

    @property
    def request_id(self) -> str:
        return self.request.header.request_id

    @property
    def local_delivery(self) -> bool:
        """The Command is for local delivery (CommandVariant 2 or 6, BAD 7.2.2.6.2): it never crosses the SM WAN."""
        return self.request.header.command_variant in LOCAL_DELIVERY_VARIANTS

    @property
    def execution_at(self) -> datetime | None:
        """The ExecutionDateTime of a future-dated request (DUIS FutureDatedAbstractType)."""
        text = self.body.get("ExecutionDateTime")
        if not isinstance(text, str) or not text:
            return None
        try:
            moment = parse_datetime(text)
        except ValueError as exc:  # schema-valid but beyond what any clock represents (S3 would refuse it anyway)
            raise ServiceRequestRejected(Check.FUTURE_DATED, f"ExecutionDateTime: {exc} (SEC H3.12)") from None
        # DUIS 11.3 at 3000-12-31 cancels the activation the meter stores: executed now (dccflow.firmware_image)
        return None if cancels_activation(self.definition.srv if self.definition else None, moment) else moment

    @property
    def relevant_time(self) -> datetime:
        """The time eligibility is judged at: execution time if specified, else now (AB 6.1(f)(ii), (iii))."""
        return self.execution_at or self.at

    def device(self, device_id: str) -> SmiDevice:
        dev = self.inventory.find(device_id)
        if dev is None:
            raise ServiceRequestRejected(Check.UNKNOWN_DEVICE, f"device {device_id} is not on the SMI")
        # held for the transaction: the session's identity map is weak, and the checks and the processing of
        # one request read the same Devices (a second read is then no SELECT)
        self.session.info.setdefault("held", {})[device_id] = dev
        return dev


def reject(check: Check, reason: str) -> ServiceRequestRejected:
    return ServiceRequestRejected(check, reason)


def status_of(dev: SmiDevice) -> SmiStatus | None:
    return SmiStatus(dev.smi_status) if dev.smi_status else None


class Handler:
    srv: str
    #: GBCS use case per target Device Type; empty for Non-Device requests
    use_cases: dict[DeviceType, str] = {}
    #: the Command is signed by the CoS Party after its checks (SEC Appendix AB 8; ``dccsim.handlers.cos``)
    signed_by_cos_party: bool = False
    #: the ExecutionDateTime is the Device's (it stores the Command, e.g. CS06 for 11.3, BAD 7.5.3.6.3): the DCC
    #: sends the Command at once instead of holding the request (the DSP pattern)
    device_future_dated: bool = False

    # -- which Device the generic checks look at ------------------------------------------------------
    def status_device(self, ctx: Ctx) -> str | None:
        """The Device whose SMI status check C / S4 judges (AB 6.1(c); SEC H3.9): the target by default."""
        return ctx.target

    def eligibility_device(self, ctx: Ctx) -> str | None:
        """The Device whose SMS check F judges (AB 6.1(f)); ``None``: this handler does its own (or none)."""
        return ctx.target

    def eligibility_mpxns(self, ctx: Ctx) -> set[str] | None:
        """The MPxNs check F judges instead of those the SMI links to the Device (``None``: the SMI's)."""
        return None

    # -- SR-specific checks (raise ServiceRequestRejected; write nothing) --------------------------------
    def check(self, ctx: Ctx) -> None:
        pass

    # -- Device requests ---------------------------------------------------------------------------------
    def use_case(self, ctx: Ctx) -> str:
        """The GBCS use case of the Command: by the target's Device Type unless the request says more."""
        return self.use_cases[DeviceType(ctx.inventory.get(ctx.target).device_type)]

    def command(self, ctx: Ctx) -> GbcsCommand:
        params = {**self.command_params(ctx), REQUEST_BODY: ctx.body}
        return GbcsCommand(use_case=self.use_case(ctx), target=ctx.target, originator=ctx.originator,
                           request_id=ctx.request_id, counter=ctx.request.header.counter, params=params)

    def command_params(self, ctx: Ctx) -> dict:
        return {}

    def distributor(self, ctx: Ctx):
        """Requests the DCC carries out as several Commands (11.1 'Update Firmware'): what to send, with an
        async ``send(dcc, request_id, at) -> GbcsResponse`` (``dccsim.handlers.firmware``); ``None``: one Command."""
        return None

    def apply(self, ctx: Ctx, response: GbcsResponse | None) -> Outcome:
        return Outcome()

    # -- Non-Device requests (AB 16.1(d)) ----------------------------------------------------------------
    def execute(self, ctx: Ctx) -> Outcome:
        return Outcome()


def failed(response: GbcsResponse | None) -> Outcome | None:
    """The Outcome for a Device that answered with a failure Response (``None`` if it succeeded)."""
    if response is not None and response.success:
        return None
    return Outcome(response_code=PROCESSING_CODES["device_failure"],
                   detail=response.reason if response else "no response")


def gbcs_payload(response: GbcsResponse) -> tuple[str, str]:
    """The Device's Response, returned to the User in ``ResponseMessage/GBCSPayload``
    (``dccflow.gbcs.parse_response_payload``)."""
    return "GBCSPayload", response_payload(response.use_case, response.device_id, response.success, response.params)


class ReadHandler(Handler):
    """A request that only reads the Device: nothing changes on it or in the DCC's records; the Device's Response
    goes back to the User in ``ResponseMessage/GBCSPayload``."""

    def apply(self, ctx: Ctx, response: GbcsResponse | None) -> Outcome:
        if (failure := failed(response)) is not None:
            return failure
        assert response is not None
        return Outcome(payload=gbcs_payload(response), detail=self.read_detail(ctx, response))

    def read_detail(self, ctx: Ctx, response: GbcsResponse) -> str:
        """What the Service Response's log says was read."""
        raise NotImplementedError
