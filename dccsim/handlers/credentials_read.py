"""Reading a Device's security credentials (BAD 7.7.2.5.10; the process in BAD 7.4.1.6.2, Table 8):

* SRV 6.24.1 'Retrieve Device Security Credentials (KRP)' (Non-Critical; IS, GS, ED, GT) → CS02a: the Device
  answers with the Organisation Certificates in the trust anchor cells the request names;
* SRV 6.24.2 'Retrieve Device Security Credentials (Device)' (Critical; IS, GS) → CS02e: the Device answers
  with its own current Device Certificate for the CredentialType's key usage.

The Device's Response goes back in ``ResponseMessage/GBCSPayload`` (``dccflow.gbcs.parse_response_payload``).
Either one is also the Supplier's own interrogation of SEC Appendix AC 5.13(b) (``dccflow.audit_post_commissioning``
reads it from the request log). Nothing changes on the Device or in the DCC's records.
"""

from __future__ import annotations

from dccflow.domain.devices import DeviceType
from dccflow.domain.roles import RemotePartyRole
from dccflow.messages import GbcsResponse
from dccsim.handlers.base import Ctx, ReadHandler, reject
from dccsim.handlers.credentials import ByCredentialType
from dccsim.rejections import Check

_D = DeviceType


def _listed(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


class RetrieveKrpCredentials(ReadHandler):
    """SRV 6.24.1 → CS02a."""

    srv = "6.24.1"
    use_cases = {_D.ESME: "CS02a", _D.GSME: "CS02a", _D.GPF: "CS02a", _D.HCALCS: "CS02a"}

    def _roles(self, ctx: Ctx) -> list[str]:
        return [RemotePartyRole.from_duis(r).value for r in _listed(ctx.body.get("RemotePartyRole"))]

    def check(self, ctx: Ctx) -> None:
        try:
            self._roles(ctx)
        except ValueError as exc:
            raise reject(Check.VERIFY, f"RemotePartyRole: {exc}") from None

    def command_params(self, ctx: Ctx) -> dict:
        return {"remote_party_roles": self._roles(ctx)}

    def read_detail(self, ctx: Ctx, response: GbcsResponse) -> str:
        return f"{ctx.target}'s trust anchor cells read"


class RetrieveDeviceCredentials(ByCredentialType, ReadHandler):
    """SRV 6.24.2 → CS02e."""

    srv = "6.24.2"
    use_cases = {_D.ESME: "CS02e", _D.GSME: "CS02e", _D.GPF: "CS02e"}

    def read_detail(self, ctx: Ctx, response: GbcsResponse) -> str:
        return f"{ctx.target}'s Device Certificate read"
