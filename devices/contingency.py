"""The Contingency-signed Command of SMKI Recovery (SEC Appendix L 5.2.8 as BAD 7.7.3.4.5 quotes it; digest 05 §D.5):
after a Root OCA compromise the DCC resets **every** trust anchor cell of a Device, by Device Type, to certificates
under the new Root — the new Root in the Root cell (a), a new Transitional CoS (b), Recovery (c), ACB (d) and WAN
Provider (e) certificate in those cells, and the new DCC ACB certificate in each Supplier and Network Operator cell
(f).

The Device accepts it only if the Command carries the Contingency Symmetric Key that unwraps the
wrappedApexContingencyKey of the Root certificate in its **Root cell** and the signature verifies with that
Contingency key (digest 05 §D.12; ``dccflow.security.contingency``); every new certificate must chain to the new Root
through the certification path given and fit its cell (``devices.anchors.check_placeable``). DECISION (digest 05
§D.11 item 11: no GBCS use case is given): the project use case ``ContingencyRecovery``, params
``contingency_symmetric_key`` (base64), ``certificates`` (cell → base64 DER; the Supplier and Network Operator cells
take the ``Access Control Broker`` one) and ``certification_path`` (the new Issuing OCA)."""

from __future__ import annotations

import base64

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from dccflow.domain.alerts import DeviceAlert
from dccflow.domain.devices import DeviceType
from dccflow.domain.roles import RemotePartyRole
from dccflow.security.contingency import unwrap_contingency_key
from dccflow.security.pki import CertificateError
from devices.anchors import check_placeable, decode_cert, encode_cert
from devices.catalogue import CELLS
from devices.effects import CommandCtx
from devices.security import cell_cert

_R = RemotePartyRole
USE_CASE = "ContingencyRecovery"
#: L 5.2.8(f): the Supplier and Network Operator cells take the new DCC ACB certificate
TAKES_ACB = frozenset({_R.SUPPLIER, _R.NETWORK_OPERATOR})


def _refuse(ctx: CommandCtx, why: str):
    ctx.alert(DeviceAlert.TRUSTED_SOURCE_AUTHENTICATION_FAILURE, use_case=USE_CASE, check=why)
    return ctx.fail(f"Contingency Command refused: {why}")


#: certificates found placeable (``check_placeable``), by everything the check depends on: the cell, the
#: certificate, the certification path and the Root (their base64 DER as the Command carries them) and the time. A
#: fleet's Contingency Commands carry the same certificates: each is validated once, not once per cell and Device.
#: Bounded; a pure function of its key (a new Root or path is another key; the Device consults no revocation list).
_PLACEABLE: dict[tuple, bool] = {}
_PLACEABLE_MAX = 256
_ROOTS: dict[str, object] = {}


def _placeable(cell, cert_b64: str, path_b64: tuple, root_b64: str, at, cert, path, root) -> None:
    key = (cell, cert_b64, path_b64, root_b64, at)
    if key in _PLACEABLE:
        return
    check_placeable(cell, cert, path, root, at)  # raises: nothing cached
    if len(_PLACEABLE) >= _PLACEABLE_MAX:
        _PLACEABLE.clear()
    _PLACEABLE[key] = True


def _checked_root(root_b64: str):
    """The new Root, checked self-signed (once per Root: a verified signature stays verified)."""
    root = decode_cert(root_b64)
    if root_b64 not in _ROOTS:
        root.verify_directly_issued_by(root)  # a self-signed Root
        if len(_ROOTS) >= _PLACEABLE_MAX:
            _ROOTS.clear()
        _ROOTS[root_b64] = True
    return root


def contingency_recovery(ctx: CommandCtx):
    dev = ctx.device
    root = cell_cert(ctx, _R.ROOT)
    sig = ctx.command.signature
    if root is None or sig is None:
        return _refuse(ctx, "no Root cell or no signature")
    try:
        key = unwrap_contingency_key(root, str(ctx.params.get("contingency_symmetric_key", "")))
    except CertificateError as exc:
        return _refuse(ctx, str(exc))
    try:
        key.verify(base64.b64decode(sig.value_b64), ctx.command.signed_payload(), ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return _refuse(ctx, "the signature does not verify with the Contingency key the Root cell wraps")
    certificates = ctx.params.get("certificates") or {}
    path_b64 = tuple(ctx.params.get("certification_path") or [])
    cells: dict[str, str] = {}
    try:
        root_b64 = certificates[_R.ROOT.value]
        new_root = _checked_root(root_b64)
        path = [decode_cert(c) for c in path_b64]
        for cell in CELLS[DeviceType(dev.device_type)]:
            if cell == _R.ROOT:
                cells[cell.value] = encode_cert(new_root)
                continue
            cert_b64 = certificates[(_R.ACCESS_CONTROL_BROKER if cell in TAKES_ACB else cell).value]
            cert = decode_cert(cert_b64)
            _placeable(cell, cert_b64, path_b64, root_b64, ctx.at, cert, path, new_root)
            cells[cell.value] = encode_cert(cert)
    except (CertificateError, KeyError, ValueError, TypeError, InvalidSignature) as exc:
        return ctx.fail(f"certificates refused: {exc}")
    dev.anchors = {**dev.anchors, **cells}
    ctx.save()
    return ctx.ok(cells_reset=sorted(cells), new_root_serial=str(new_root.serial_number))


_CREDENTIALED = frozenset(d for d, cells in CELLS.items() if cells)
HANDLERS = {USE_CASE: (_CREDENTIALED, contingency_recovery)}
TIMERS: dict = {}

