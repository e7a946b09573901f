"""Recovery using the Contingency Private Key after a Root OCA compromise (BAD 7.7.3.4.5; SEC Appendix L 5;
``devices.contingency``): the DCC's Contingency-signed Command resets every cell of every Device, by Device Type, to
certificates under a new Root; a Device accepts it only with the Contingency Symmetric Key that unwraps the key its
Root cell wraps and a signature by that key — so the old Contingency keys command no Device afterwards."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from recovery_support import engine, recovery, run
from sqlmodel import select

from dccflow.db import session_scope
from dccflow.messages import CommandSignature, GbcsCommand
from dccflow.parties import DCC_ID

INCIDENT = "P00000001-smki-recovery"
AT = datetime(2027, 6, 1, tzinfo=UTC)


def _cells(data: Path) -> dict[str, dict[str, str]]:
    from devices.anchors import RESOLVER
    from devices.models import DeviceState

    with session_scope(engine(data)) as s:
        return {d.device_type: {c: str(RESOLVER.cert(s, v).serial_number) for c, v in (d.anchors or {}).items()}
                for d in s.exec(select(DeviceState))}


def _authority_serial(data: Path, name: str) -> str:
    from dccflow.security.pki import Credential
    from dccsim.smki import SmkiAuthorityKey

    with session_scope(engine(data)) as s:
        row = s.get(SmkiAuthorityKey, name)
        return str(Credential.from_pem(row.key_pem, row.cert_pem).cert.serial_number)


def _command(data: Path, device_id: str, *, symmetric: str | None = None, n: int = 1):
    """A Contingency Command (fresh certificates under the SMKI's current Root), signed with its Contingency key."""
    from dccsim.smki_recovery_keys import current_contingency_key, generate_hierarchy

    new = generate_hierarchy(engine(data), "TEST")
    key, right = current_contingency_key(engine(data))
    command = GbcsCommand(use_case="ContingencyRecovery", target=device_id, originator=DCC_ID,
                          counter=int(AT.timestamp() * 1000) * 100 + n, request_id=f"test:{device_id}:{n}",
                          params={"contingency_symmetric_key": symmetric or right, "certificates": new.certificates,
                                  "certification_path": new.certification_path})
    value = key.sign(command.signed_payload(), ec.ECDSA(hashes.SHA256()))
    return command.model_copy(update={"signature": CommandSignature(signer_issuer="CN=SMKI Contingency Key (dccflow)",
                                                                    signer_serial="0",
                                                                    value_b64=base64.b64encode(value).decode())})


def _attacker_certificate(data: Path, supplier_id: str):
    """What the stolen Root key lets an attacker make: an Issuing CA and a Supplier's certificate under the old Root."""
    from activities.smki_recovery import RecoveryAttackerKey
    from dccflow.security.pki import (
        Credential,
        KeyUsageKind,
        create_issuing_ca,
        issue_organisation_certificate,
        verify_path,
    )
    from dccsim.smki import PKI_EPOCH

    with session_scope(engine(data)) as s:
        kept = s.get(RecoveryAttackerKey, INCIDENT)
        old_root = Credential.from_pem(kept.key_pem, kept.cert_pem)
    ca = create_issuing_ca(old_root, "Rogue Issuing OCA", not_before=PKI_EPOCH, valid_days=40 * 365)
    fake = issue_organisation_certificate(ca, entity_id=supplier_id, role_code="01",
                                          usage=KeyUsageKind.DIGITAL_SIGNING, organisation="Rogue",
                                          not_before=PKI_EPOCH, valid_days=30 * 365)
    verify_path(fake.cert, [ca.cert], old_root.cert, at=AT)  # good enough for a Device still trusting the old Root
    return fake.cert, ca.cert


def _cs02b(data: Path, device_id: str, signer_id: str, cert, path, n: int):
    """A CS02b for the Supplier cell signed by its holder (the Responsible Supplier's current key)."""
    from activities.store import UserCredentialRow
    from dccflow.security.pki import Credential
    from devices.anchors import encode_cert
    from devices.signing import sign_command

    with session_scope(engine(data)) as s:
        row = s.exec(select(UserCredentialRow).where(UserCredentialRow.user_id == signer_id)).first()
        cred = Credential.from_pem(row.key_pem, row.cert_pem)
    return sign_command(GbcsCommand(
        use_case="CS02b", target=device_id, originator=signer_id, counter=int(AT.timestamp() * 1000) * 100 + n,
        request_id=f"test:{device_id}:{n}", params={"remote_party_role": "Supplier", "certificate": encode_cert(cert),
                                                    "certification_path": [encode_cert(c) for c in path]}), cred)


def test_the_contingency_command_resets_every_cell_under_a_new_root_and_the_stolen_root_is_closed(
        tmp_path: Path) -> None:
    from dccflow.domain.roles import UserRole
    from dccflow.parties import PARTIES
    from dccsim.models import SmkiCertificate
    from devices.fleet import Fleet

    data = tmp_path / "data"
    report = run("recovery-root-contingency", data)
    assert report["differences"] == []
    rec = recovery(report)
    assert rec["end"] == "end_recovered"
    cells = _cells(data)
    now = {name: _authority_serial(data, name)
           for name in ("root", "dcc-recovery", "dcc-acb", "dcc-transcos", "dcc-wan-provider")}
    assert now["root"] in next(e["detail"] for e in rec["events"] if e["bpmn_id"] == "key_generation_ceremony")
    for device_type in ("CHF", "GPF", "ESME"):  # every cell, by Device Type (L 5.2.8)
        assert cells[device_type]["Root"] == now["root"]
        assert cells[device_type]["Recovery"] == now["dcc-recovery"]
        assert cells[device_type]["Access Control Broker"] == now["dcc-acb"]
    assert cells["CHF"]["WAN Provider"] == now["dcc-wan-provider"]
    assert cells["ESME"]["Transitional CoS"] == now["dcc-transcos"]
    # L 5.2.8(f) put the DCC's ACB certificate there; L 5.3.2(b) the Network Operator's new one (its 6.21:
    # tests/recovery/test_recovery_network_operators.py)
    assert cells["ESME"]["Network Operator"] not in (now["dcc-acb"], cells["ESME"]["Supplier"])
    supplier = PARTIES["supplier-a"].user_ids[UserRole.IMPORT_SUPPLIER]
    with session_scope(engine(data)) as s:  # the old Root and Issuing OCA revoked (the ARL)
        revoked = {r.serial for r in s.exec(select(SmkiCertificate).where(SmkiCertificate.is_ca == True,  # noqa: E712
                                                                          SmkiCertificate.revoked_at != None))}  # noqa: E711
    assert len(revoked) == 2 and now["root"] not in revoked
    verdicts = {(v["obligation"], v["verdict"]) for v in report["regulation"] if v["obligation"].startswith("RCV")}
    for row in ("RCV-16", "RCV-27", "RCV-28", "RCV-29", "RCV-30", "RCV-34", "RCV-35", "RCV-36", "RCV-37"):
        assert (row, "met") in verdicts and (row, "breached") not in verdicts, row

    fleet = Fleet(engine(data))
    esme = next(d["device_id"] for d in report["devices"] if d["device_type"] == "ESME")
    # a certificate minted with the stolen Root key no longer passes the ESME's path validation, even in a Command
    # its Supplier cell's holder signs; the Supplier's own certificate under the new Issuing OCA does
    fake, fake_ca = _attacker_certificate(data, supplier)
    refused, _ = fleet.execute(_cs02b(data, esme, supplier, fake, [fake_ca], 1), AT)
    assert not refused.success and "certificate refused" in refused.reason
    from dccsim.smki import SmkiRepository

    smki = SmkiRepository(engine(data))
    own = smki.organisation_certificate(supplier)
    accepted, _ = fleet.execute(_cs02b(data, esme, supplier, own, smki.certification_path()[:1], 2), AT)
    assert accepted.success, accepted.reason
    # the Contingency rule: the key the new Root wraps, with the right Contingency Symmetric Key only
    wrong, _ = fleet.execute(_command(data, esme, symmetric=base64.b64encode(b"\0" * 32).decode(), n=3), AT)
    assert not wrong.success and "does not unwrap" in wrong.reason
    right, _ = fleet.execute(_command(data, esme, n=4), AT)
    assert right.success, right.reason
