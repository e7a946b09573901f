"""Security-credential Service Requests the simulated DCC carries to Smart Meters and GPFs (BAD 7.7.2.5.5-8;
post-commissioning, BAD 7.2.3):

* SRV 6.17 'Issue Security Credentials' (Critical) → CS02c; the Service Response carries the Device's Response,
  with the Device CSR, in ``ResponseMessage/GBCSPayload`` (``dccflow.gbcs.csr_from_service_response``);
* SRV 6.15.2 'Update Security Credentials (Device)' (Critical) → CS02d;
* SRV 6.15.1 'Update Security Credentials (KRP)' (Critical) and SRV 6.21 'Request Handover of DCC Controlled
  Device' (Non-Critical) → CS02b, replacing the certificate in the Supplier or Network Operator cell.

Who signs a CS02b (the Device accepts it only if signed by the current holder of the cell, or the DCC's Recovery
key: ``devices.catalogue.ENTITLED_TO_REPLACE``; BAD 7.7.2.5.5-6):

* 6.15.1 is Critical: the Command is the User's Signed Pre-Command. It works where the sender's own certificate
  is in the cell: a Supplier replacing its Supplier cell (even with the same certificate, BAD 7.2.3.1), a Supplier
  replacing its own certificate in the Network Operator cell with the Network Operator's (BAD 7.7.2.5.6, second
  case), a Network Operator replacing its own (first case). Where the registered Network Operator's certificate
  is already in the cell (an ESME procured with the Electricity Distributor's certificate, BAD Table 4 (a)) the
  Supplier cannot replace it (the Device answers 0x8F30): only that Network Operator can, by its own 6.15.1;
* 6.21 is Non-Critical (BAD 7.7.2.5.5): the cell holds the DCC's ACB certificate (a DCC-controlled Device such as
  the GPF, Table 4 (b), (d)), so the DCC signs the CS02b with its ACB key as the cell's holder.

Successful executions update the Post Commissioning Information (``dccsim.post_commissioning``).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import bindparam
from sqlmodel import select

from dccflow.domain.credentials import CELLS, CREDENTIAL_USAGE
from dccflow.domain.devices import DeviceType
from dccflow.domain.ids import eui64_key
from dccflow.domain.roles import RemotePartyRole, UserRole
from dccflow.messages import CommandSignature, GbcsCommand, GbcsResponse
from dccflow.moments import as_utc
from dccflow.parties import USERS
from dccflow.prepared import Prepared
from dccflow.security.pki import Credential
from dccsim import post_commissioning as pc
from dccsim.handlers.base import Ctx, Handler, Notice, Outcome, failed, gbcs_payload, reject
from dccsim.models import SmkiCertificate
from dccsim.rejections import Check
from dccsim.smki import SmkiAuthorityKey

_D = DeviceType
#: the DCC's ACB key (``devices.anchors.DCC_ANCHOR_KEYS``)
DCC_ACB_KEY = "dcc-acb"


class ByCredentialType(Handler):
    """A request naming a ``CredentialType`` (6.17, 6.24.2): the Command concerns the Device's key pair of that
    key usage (``dccflow.domain.credentials.CREDENTIAL_USAGE``)."""

    def key_usage(self, ctx: Ctx) -> str:
        return CREDENTIAL_USAGE[ctx.body["CredentialType"]].value

    def check(self, ctx: Ctx) -> None:
        if ctx.body.get("CredentialType") not in CREDENTIAL_USAGE:
            raise reject(Check.VERIFY, f"unknown CredentialType {ctx.body.get('CredentialType')!r}")

    def command_params(self, ctx: Ctx) -> dict:
        return {"key_usage": self.key_usage(ctx)}


class IssueSecurityCredentials(ByCredentialType):
    """SRV 6.17 → CS02c (BAD 7.7.2.5.7). CH credentials are the DCC's own duty (AC 5.1): not via this SRV."""

    srv = "6.17"
    use_cases = {_D.ESME: "CS02c", _D.GSME: "CS02c", _D.GPF: "CS02c"}

    def apply(self, ctx: Ctx, response: GbcsResponse | None) -> Outcome:
        if (failure := failed(response)) is not None:
            return failure
        assert response is not None
        pc.record_keys_regenerated(ctx, self.key_usage(ctx))
        return Outcome(payload=gbcs_payload(response), detail=f"{ctx.target} generated a new key pair")


class UpdateDeviceCertificate(Handler):
    """SRV 6.15.2 → CS02d (BAD 7.7.2.5.8)."""

    srv = "6.15.2"
    use_cases = {_D.ESME: "CS02d", _D.GSME: "CS02d", _D.GPF: "CS02d"}

    def command_params(self, ctx: Ctx) -> dict:
        return {"certificate": ctx.body["DeviceCertificate"]}

    def apply(self, ctx: Ctx, response: GbcsResponse | None) -> Outcome:
        if (failure := failed(response)) is not None:
            return failure
        pc.record_device_certificate(ctx)
        return Outcome(detail=f"Device Certificate stored on {ctx.target}")


class UpdateCellCertificate(Handler):
    """SRV 6.15.1 (KRP, Critical) / 6.21 (Request Handover, Non-Critical) → CS02b (BAD 7.7.2.5.5-6)."""

    use_cases = {_D.ESME: "CS02b", _D.GSME: "CS02b", _D.GPF: "CS02b"}

    def __init__(self, srv: str):
        self.srv = srv

    def _cell(self, ctx: Ctx) -> RemotePartyRole:
        return CELLS[ctx.body["RemotePartyRole"]]

    def _certificates(self, ctx: Ctx) -> dict:
        replacement = ctx.body.get("ReplacementCertificates") or {}
        return replacement.get("SupplierOrNetworkOperatorCertificates", replacement) if self.srv == "6.15.1" \
            else replacement

    def check(self, ctx: Ctx) -> None:
        role = ctx.body.get("RemotePartyRole")
        if role not in CELLS:
            raise reject(Check.VERIFY, f"SRV {self.srv} replaces the Supplier or Network Operator cell, not {role!r}")
        if ctx.role in (UserRole.ELECTRICITY_DISTRIBUTOR, UserRole.GAS_TRANSPORTER) and \
                self._cell(ctx) != RemotePartyRole.NETWORK_OPERATOR:
            raise reject(Check.ELIGIBLE_USER_ROLE, f"a {ctx.role.value} may replace only the Network Operator cell "
                                                   "(BAD 7.7.2.5.6)")
        dev = ctx.device(ctx.target)
        if self._cell(ctx) == RemotePartyRole.NETWORK_OPERATOR and DeviceType(dev.device_type) == _D.GSME:
            raise reject(Check.DEVICE_TYPE, f"GSME {dev.device_id} has no Network Operator cell (BAD Table 4)")
        if not self._certificates(ctx).get("DigitalSigningCertificate"):
            raise reject(Check.NOT_SUPPORTED, "only Digital Signing certificates are simulated in trust anchor cells")
        check_carried_certificates(ctx, self._certificates(ctx).values())


    def command_params(self, ctx: Ctx) -> dict:
        certs = self._certificates(ctx)
        params = {"remote_party_role": self._cell(ctx).value, "certificate": certs["DigitalSigningCertificate"],
                  "certification_path": list((ctx.body.get("CertificationPathCertificates") or {})
                                             .get("Certificate") or [])}
        if certs.get("KeyAgreementCertificate"):
            params["key_agreement_certificate"] = certs["KeyAgreementCertificate"]
        return params

    def command(self, ctx: Ctx) -> GbcsCommand:
        command = super().command(ctx)
        if self.srv != "6.21":
            return command  # 6.15.1: the User's Signed Pre-Command is what is sent
        row = ctx.session.get(SmkiAuthorityKey, DCC_ACB_KEY)
        if row is None:
            raise RuntimeError("the DCC has no ACB key (devices.anchors.ensure_dcc_anchor_credentials not run)")
        return _signed(command, Credential.from_pem(row.key_pem, row.cert_pem))

    def apply(self, ctx: Ctx, response: GbcsResponse | None) -> Outcome:
        if (failure := failed(response)) is not None:
            return failure
        placed = self._certificates(ctx)["DigitalSigningCertificate"]
        owner = pc.record_cell_replaced(ctx, self._cell(ctx), placed)
        return Outcome(notices=credentials_updated_notices(ctx, self._cell(ctx), owner, placed),
                       detail=f"{self._cell(ctx).value} cell of {ctx.target} holds {owner}'s certificate")


def _signed(command: GbcsCommand, cred: Credential) -> GbcsCommand:
    """The Command with the DCC's signature over its payload (``dccflow.messages.CommandSignature``)."""
    value = cred.key.sign(command.signed_payload(), ec.ECDSA(hashes.SHA256()))
    return command.model_copy(update={"signature": CommandSignature(
        signer_issuer=cred.cert.issuer.rfc4514_string(), signer_serial=str(cred.cert.serial_number),
        value_b64=base64.b64encode(value).decode())})


def check_carried_certificates(ctx: Ctx, certificates) -> None:
    """AB 6.1(j): Confirm Validity of each certificate a Service Request carries — a certificate the OCA has revoked
    by now (BAD 7.7.2.5.4) is refused as check E (E1), before anything is sent to the Device. Path and expiry are
    the Device's own Certification Path Validation (BAD 7.7.2.5.5-6)."""
    for text in certificates:
        if not isinstance(text, str) or not text:
            continue
        identity = _issuer_and_serial(text)
        if identity is None:
            raise reject(Check.CERTIFICATE_VALIDITY, "a certificate in the request is not a DER X.509 certificate "
                                                     "(AB 6.1(j))")
        ctx.session.flush()  # a revocation of this transaction counts (Prepared does not autoflush)
        found = _REVOKED_AT.first(ctx.session.connection(), {"issuer": identity[0], "serial": identity[1]})
        revoked = found[0] if found is not None else None
        if revoked is not None and as_utc(revoked) <= ctx.at:
            raise reject(Check.CERTIFICATE_VALIDITY, f"the certificate #{identity[1]} the request places was "
                                                     "revoked (AB 6.1(j); BAD 7.7.2.5.4)")


#: when the OCA revoked a certificate, by issuer and serial (``check_carried_certificates``)
_REVOKED_AT = Prepared(select(SmkiCertificate.revoked_at).where(
    SmkiCertificate.issuer == bindparam("issuer"), SmkiCertificate.serial == bindparam("serial")).limit(1))


@functools.lru_cache(maxsize=1024)
def _issuer_and_serial(text: str) -> tuple[str, str] | None:
    """The issuer (RFC 4514) and serial of a base64 DER certificate; None if it is not one. Cached: a campaign
    places the same few certificates on every Device."""
    try:
        cert = x509.load_der_x509_certificate(base64.b64decode(text, validate=True))
    except (ValueError, binascii.Error):
        return None
    return cert.issuer.rfc4514_string(), str(cert.serial_number)


def credentials_updated_notices(ctx: Ctx, cell: RemotePartyRole, owner: str | None, placed_b64: str) -> list[Notice]:
    """N42 'Security Credentials updated on the Device' to the User whose certificate a successful 6.21 / 6.15.1
    placed, when that User is not the sender (BAD 7.7.2.5.5-6 step 5; AD v2.0 3.8.66.4, 3.8.73.4; AB 15.3). A
    placed Root certificate has no User to tell (AD "(or Root)"); only Digital Signing cells are simulated, so the
    success is for all the certificates of the request."""
    if owner is None or owner == ctx.originator or owner not in USERS:
        return []
    digest = hashlib.sha1(base64.b64decode(placed_b64)).digest()  # noqa: S324 - DUIS sr:SHA1 certificate hash
    return [Notice("N42", owner, eui64_key(ctx.target), {
        "remote_party_role": cell.duis_name, "certificate_type": "DigitalSigning",
        "certificate_hash": base64.b64encode(digest).decode()})]
