"""Recovery of the Contingency Private Key or Symmetric Key (BAD 7.7.3.4.6; SEC Appendix L 6.1;
``workflows.smki_recovery_rollover``): a replacement Root, signed by the new and the existing Root keys, put in every
Device's Root cell by the responsible organisation; a Device takes a new Root only if the Root in its cell signed it;
the stolen Contingency keys command no Device afterwards, the DCC's new ones do; the DCC validates paths to either
Root while Devices hold either."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path

from recovery_support import detail, engine, recovery, run, steps, supplier_cell_serial
from sqlmodel import select

from dccflow.db import session_scope

AT = datetime(2027, 6, 1, tzinfo=UTC)


def _root_cells(data: Path) -> dict[str, str]:
    from devices.anchors import RESOLVER
    from devices.models import DeviceState

    with session_scope(engine(data)) as s:
        return {d.device_type: str(RESOLVER.cert(s, d.anchors["Root"]).serial_number)
                for d in s.exec(select(DeviceState)) if "Root" in (d.anchors or {})}


def _root(data: Path):
    from dccflow.security.pki import Credential
    from dccsim.smki import SmkiAuthorityKey

    with session_scope(engine(data)) as s:
        row = s.get(SmkiAuthorityKey, "root")
        return Credential.from_pem(row.key_pem, row.cert_pem)


def _root_command(data: Path, device_id: str, new_root, link_key, n: int):
    """A CS02b replacing the Root cell, signed by the ESME's Supplier cell holder, with ``link_key``'s signature of the
    new Root."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from activities.store import UserCredentialRow
    from dccflow.messages import GbcsCommand
    from dccflow.security.pki import Credential
    from devices.anchors import encode_cert
    from devices.signing import sign_command

    with session_scope(engine(data)) as s:
        rows = [Credential.from_pem(r.key_pem, r.cert_pem) for r in s.exec(select(UserCredentialRow))]
    holder = next(c for c in rows if str(c.cert.serial_number) == supplier_cell_serial(data, device_id))
    link = link_key.sign(new_root.public_bytes(serialization.Encoding.DER), ec.ECDSA(hashes.SHA256()))
    return sign_command(GbcsCommand(
        use_case="CS02b", target=device_id, originator="test", counter=int(AT.timestamp() * 1000) * 100 + n,
        request_id=f"test:{device_id}:{n}", params={"remote_party_role": "Root", "certificate": encode_cert(new_root),
                                                    "root_link_signature": base64.b64encode(link).decode()}), holder)


def test_the_replacement_root_is_placed_on_every_device_and_the_stolen_contingency_keys_are_refused(
        tmp_path: Path) -> None:
    from dccflow.security.pki import create_root
    from dccsim.smki import PKI_EPOCH, SmkiRepository
    from devices.fleet import Fleet

    data = tmp_path / "data"
    report = run("recovery-contingency-key-rollover", data)
    assert report["differences"] == []
    rec = recovery(report)
    assert rec["end"] == "end_recovered" and rec["result"] == "completed"
    new_root = _root(data)
    roots = _root_cells(data)
    assert set(roots) == {"CHF", "GPF", "ESME"}
    assert set(roots.values()) == {str(new_root.cert.serial_number)}  # every Root cell: the replacement (L 6.1.2.7)
    before = next(e["detail"] for e in rec["events"] if e["bpmn_id"] == "key_generation_ceremony")
    assert str(new_root.cert.serial_number) in before
    # the attacker's Contingency Command: authenticated by every Device before, refused by every one after
    assert detail(rec, "attacker_probe_before") == "3 accepted"
    assert detail(rec, "attacker_probe_after") == "3 refused"
    assert "new_key_accepted" in steps(rec)  # the DCC's own, with the new Contingency keys
    verdicts = {(v["obligation"], v["verdict"]) for v in report["regulation"] if v["obligation"].startswith("RCV")}
    for row in ("RCV-19", "RCV-38", "RCV-39", "RCV-41"):
        assert (row, "met") in verdicts and (row, "breached") not in verdicts, row

    # two Roots: the Supplier's certificate under the replaced Root still passes the DCC's Confirm Validity, and
    # one the SMKI issues now (under the new Issuing OCA) too
    esme = next(d["device_id"] for d in report["devices"] if d["device_type"] == "ESME")
    smki = SmkiRepository(engine(data))
    from devices.anchors import RESOLVER
    from devices.models import DeviceState

    with session_scope(engine(data)) as s:
        supplier_cert = RESOLVER.cert(s, s.get(DeviceState, esme).anchors["Supplier"])
    assert supplier_cert.issuer != smki.certification_path()[0].subject  # issued under the replaced Root
    smki.confirm_validity(supplier_cert, AT)
    # the Device's rule: a new Root the Root in its cell did not sign is refused; one it signed is taken
    fleet = Fleet(engine(data))
    rogue = create_root("Rogue Root", not_before=PKI_EPOCH, valid_days=40 * 365)
    refused, _ = fleet.execute(_root_command(data, esme, rogue.cert, rogue.key, 1), AT)
    assert not refused.success and "not signed by the existing Root" in refused.reason
    successor = create_root("Next Root", not_before=PKI_EPOCH, valid_days=40 * 365)
    accepted, _ = fleet.execute(_root_command(data, esme, successor.cert, new_root.key, 2), AT)
    assert accepted.success, accepted.reason
    assert _root_cells(data)["ESME"] == str(successor.cert.serial_number)
