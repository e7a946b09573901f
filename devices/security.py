"""Device security: checking who signed a command against the trust anchor cells, replacing a cell's
certificate (CS02b), Issue Security Credentials (CS02c), Update Security Certificates on Device (CS02d) and
Provide Security Credentials Details (CS02e).
BAD 7.7.2.5.5-7.7.2.5.9, 7.7.3; SEC Appendix AC 3.2, Appendix L."""

from __future__ import annotations

import base64

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

from dccflow.domain.alerts import DeviceAlert
from dccflow.domain.devices import DeviceType
from dccflow.domain.roles import RemotePartyRole
from dccflow.security.certinfo import hardware_module_ids
from dccflow.security.identifiers import eui64_bytes
from dccflow.security.pki import CertificateError, KeyUsageKind, entity_id_of, key_usage_of
from devices import keys
from devices.anchors import RESOLVER, check_placeable, decode_cert, encode_cert
from devices.catalogue import CELLS, ENTITLED_TO_REPLACE
from devices.cos_effects import meter_change_of_supplier, refused_by_fault
from devices.effects import CommandCtx
from devices.signing import SignatureCheck, check_signature

_D = DeviceType


def cell_cert(ctx: CommandCtx, role: RemotePartyRole) -> x509.Certificate | None:
    return RESOLVER.cert(ctx.session, ctx.device.anchors.get(role.value))


def authenticate(ctx: CommandCtx, cells: list[RemotePartyRole]) -> RemotePartyRole | None:
    """GBCS 'Check Cryptographic Protection': the command must be signed by the certificate in one of
    ``cells``. On failure the device raises 0x8F3D 'Trusted Source Authentication Failure' (bad or missing
    signature) or 0x8F30 'Source Does not have Authority for Command' (signed by someone else) and returns
    None. DECISION: the BAD names no alert for this; these are the GBCS codes for the two cases."""
    present = [(role, cert) for role in cells if (cert := cell_cert(ctx, role)) is not None]
    outcome, index = check_signature(ctx.command, [cert for _, cert in present])
    if outcome is SignatureCheck.OK and "refuse-signature" in ctx.device.faults:
        outcome = SignatureCheck.INVALID
    if outcome is SignatureCheck.OK:
        return present[index][0]
    code = (DeviceAlert.SOURCE_DOES_NOT_HAVE_AUTHORITY_FOR_COMMAND if outcome is SignatureCheck.WRONG_SIGNER
            else DeviceAlert.TRUSTED_SOURCE_AUTHENTICATION_FAILURE)
    ctx.alert(code, use_case=ctx.command.use_case, check=outcome.value,
              entitled=[role.value for role in cells])
    return None


def refusal_reason(ctx: CommandCtx, cells: list[RemotePartyRole]) -> str:
    sig = ctx.command.signature
    who = f"{sig.signer_issuer} #{sig.signer_serial}" if sig else "nobody"
    return (f"signature check failed: {ctx.command.use_case} must be signed by the certificate in the "
            f"{' or '.join(c.value for c in cells)} cell; signed by {who}")


def _cell_named(name: str) -> RemotePartyRole | None:
    for parse in (RemotePartyRole, RemotePartyRole.from_duis):
        try:
            return parse(name)
        except ValueError:
            continue
    return None


def cs02b_update_security_credentials(ctx: CommandCtx):
    """CS02b 'Update Security Credentials' (SRV 6.15.1 KRP, 6.21 handover, 6.23 CoS; recovery): replace the
    certificate in one trust anchor cell, if the command is signed by a party entitled to replace that cell
    and the new certificate passes Certification Path Validation to the Root cell, is unexpired, has the
    cell's key usage and a role that may occupy it (BAD 7.7.2.5.5-6; AC 3.2; Table 4)."""
    dev = ctx.device
    cell = _cell_named(str(ctx.params.get("remote_party_role", "")))
    if cell is None or cell not in CELLS[DeviceType(dev.device_type)]:
        return ctx.fail(f"no {ctx.params.get('remote_party_role')!r} trust anchor cell on a {dev.device_type}")
    entitled = [c for c in CELLS[DeviceType(dev.device_type)] if c in ENTITLED_TO_REPLACE[cell]]
    if not entitled:
        return ctx.fail(f"the {cell.value} cell cannot be replaced by a Command (Contingency Key, App L 5.2.8)")
    signer = authenticate(ctx, entitled)
    if signer is None:
        return ctx.fail(refusal_reason(ctx, entitled))
    if cell == RemotePartyRole.ROOT:  # the Contingency key rollover (BAD 7.7.3.4.6): the existing Root signs the new
        from devices.root_rollover import replace_root

        return replace_root(ctx, signer)
    cos = signer == RemotePartyRole.TRANSITIONAL_COS  # SRV 6.23 (BAD 7.7.1.5.4)
    if cos and refused_by_fault(dev):
        ctx.save()
        return ctx.fail("the Device refused the Transitional CoS party's Command (fault reject-cos)")
    root = cell_cert(ctx, RemotePartyRole.ROOT)
    try:
        new = decode_cert(ctx.params["certificate"])
        path = [decode_cert(c) for c in ctx.params.get("certification_path") or []]
        if root is None:
            raise CertificateError("no root", "the Root cell is empty")
        check_placeable(cell, new, path, root, ctx.at)
    except (CertificateError, ValueError, KeyError) as exc:
        return ctx.fail(f"certificate refused for the {cell.value} cell: {exc}")
    old = cell_cert(ctx, cell)
    dev.anchors = {**dev.anchors, cell.value: encode_cert(new)}
    # a Change of Supplier's Meter effects (supplier name, Billing Data Log, Tariff Block Counter Matrix, future
    # activations never executed): only when the Transitional CoS party replaced the Supplier cell
    notes = meter_change_of_supplier(ctx, new) if cos and cell == RemotePartyRole.SUPPLIER else {}
    ctx.save()
    if ctx.params.get("key_agreement_certificate"):
        notes["ignored"] = "key agreement certificates (cells not modelled)"
    return ctx.ok(remote_party_role=cell.value, signed_by=signer.value, new_serial=str(new.serial_number),
                  replaced_serial=str(old.serial_number) if old else None, **notes)


def _usage(ctx: CommandCtx) -> KeyUsageKind | None:
    try:
        return KeyUsageKind(ctx.params.get("key_usage", KeyUsageKind.KEY_AGREEMENT.value))
    except ValueError:
        return None


def cs02c_issue_security_credentials(ctx: CommandCtx):
    """CS02c 'Issue Security Credentials' (SRV 6.17; BAD 7.7.2.5.7): generate a new key pair for the key
    usage into the pending cell and return a Device CSR signed with the new key."""
    usage = _usage(ctx)
    if usage is None:
        return ctx.fail(f"unknown key usage {ctx.params.get('key_usage')!r}")
    csr = keys.generate_pending_key(ctx.session, ctx.device.device_id, usage, ctx.at)
    return ctx.ok(key_usage=usage.value, csr=base64.b64encode(csr).decode())


def cs02d_update_device_certificate(ctx: CommandCtx):
    """CS02d 'Update Security Certificates on Device' (SRV 6.15.2; BAD 7.7.2.5.8): validate the Device
    Certificate against the pending key for its key usage, the device's serial number and the permitted
    key usages; store it and make the pending key current."""
    dev = ctx.device
    try:
        cert = decode_cert(ctx.params["certificate"])
    except (KeyError, ValueError) as exc:
        return ctx.fail(f"no readable Device Certificate: {exc}")
    usage = key_usage_of(cert)
    if usage is None:
        return ctx.fail("the certificate's key usage is not permitted on a Device Certificate")
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        ids = hardware_module_ids(san)
    except (x509.ExtensionNotFound, ValueError):
        ids = []
    if eui64_bytes(dev.device_id) not in ids:
        return ctx.fail("the certificate does not carry this Device's serial number")
    pending = keys.pending_public_key(ctx.session, dev.device_id, usage)
    public = cert.public_key()
    if pending is None or not isinstance(public, ec.EllipticCurvePublicKey) or \
            public.public_numbers() != pending.public_numbers():
        return ctx.fail(f"the certificate's public key is not this Device's pending {usage.value} key")
    keys.install_pending(ctx.session, dev.device_id, usage, cert)
    return ctx.ok(key_usage=usage.value, serial=str(cert.serial_number))


def cs02e_provide_security_credentials(ctx: CommandCtx):
    """CS02e 'Provide Security Credentials Details': what each trust anchor cell holds (subject entity id, issuer,
    serial; None for an empty cell). The DCC's interrogation of the Recovery cell (SEC Appendix AC 5.3). Asked for
    a key usage (SRV 6.24.2 'Retrieve Device Security Credentials (Device)', BAD 7.7.2.5.10), also the Device's
    own current Device Certificate for it (``device_certificate``, base64 DER). CS02a (SRV 6.24.1) answers with
    the cells named (``remote_party_roles``; all if none)."""
    named = {str(r) for r in ctx.params.get("remote_party_roles") or ()}
    cells = {}
    for role in CELLS[DeviceType(ctx.device.device_type)]:
        if named and role.value not in named:
            continue
        cert = cell_cert(ctx, role)
        cells[role.value] = None if cert is None else {
            "subject_entity_id": entity_id_of(cert), "issuer": cert.issuer.rfc4514_string(),
            "serial": str(cert.serial_number)}
    usage = ctx.params.get("key_usage")
    if usage is None:
        return ctx.ok(cells=cells)
    own = keys.device_certificate(ctx.session, ctx.device.device_id, KeyUsageKind(usage), ctx.at)
    return ctx.ok(cells=cells, key_usage=usage, serial=str(own.serial_number),
                  device_certificate=base64.b64encode(own.public_bytes(Encoding.DER)).decode())


_CREDENTIALED = frozenset(d for d, cells in CELLS.items() if cells)
HANDLERS = {
    "CS02e": (_CREDENTIALED, cs02e_provide_security_credentials),
    "CS02a": (frozenset({_D.ESME, _D.GSME, _D.GPF, _D.HCALCS}), cs02e_provide_security_credentials),
    "CS02b": (_CREDENTIALED, cs02b_update_security_credentials),
    "CS02c": (frozenset({_D.ESME, _D.GSME, _D.GPF, _D.CHF}), cs02c_issue_security_credentials),
    "CS02d": (frozenset({_D.ESME, _D.GSME, _D.GPF, _D.CHF}), cs02d_update_device_certificate),
}
TIMERS: dict = {}
