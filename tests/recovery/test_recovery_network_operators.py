"""The Network Operators' certificates after a Root OCA recovery (BAD 7.7.3.4.5; SEC Appendix L 5.3.1-5.3.2(b)) and an
Issuing OCA recovery (BAD 7.7.3.4.8; L 6.3.2.7-6.3.2.8; ``workflows.smki_recovery_network``): the ESME's Network
Operator cell ends up holding the Electricity Distributor's new certificate, which chains to the new Root / Issuing
OCA; a Command signed with the Distributor's previous key is refused by the ESME, one signed with its new key
accepted."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from recovery_support import detail, engine, recovery, run, steps
from sqlmodel import select

from dccflow.db import session_scope
from dccflow.domain.roles import UserRole
from dccflow.parties import PARTIES

INCIDENT = "P00000001-smki-recovery"
AT = datetime(2027, 6, 1, tzinfo=UTC)
DISTRIBUTOR = PARTIES["distributor-a"].user_ids[UserRole.ELECTRICITY_DISTRIBUTOR]


def _cs02b(data: Path, device_id: str, signer, cert, path, n: int):
    """A CS02b for the Network Operator cell carrying ``cert``, signed by ``signer``."""
    from dccflow.messages import GbcsCommand
    from devices.anchors import encode_cert
    from devices.signing import sign_command

    return sign_command(GbcsCommand(
        use_case="CS02b", target=device_id, originator=f"test-{n}", counter=int(AT.timestamp() * 1000) * 100 + n,
        request_id=f"test:{device_id}:{n}", params={"remote_party_role": "Network Operator",
                                                    "certificate": encode_cert(cert),
                                                    "certification_path": [encode_cert(c) for c in path]}), signer)


@pytest.mark.parametrize("scenario", ["recovery-root-contingency", "recovery-issuing-oca"])
def test_the_network_operator_cell_holds_a_certificate_under_the_new_hierarchy(tmp_path: Path, scenario: str) -> None:
    from activities.org_cert_rollover import OrgCertRolloverCredential
    from activities.smki_recovery_network import credential_id
    from activities.store import UserCredentialRow
    from dccflow.security.pki import Credential, entity_id_of, verify_path
    from dccsim.smki import SmkiRepository
    from devices.anchors import RESOLVER
    from devices.fleet import Fleet
    from devices.models import DeviceState

    data = tmp_path / "data"
    report = run(scenario, data)
    assert report["differences"] == []
    rec = recovery(report)
    assert rec["end"] == "end_recovered"
    smki = SmkiRepository(engine(data))
    new_ca, new_root = smki.certification_path()
    with session_scope(engine(data)) as s:
        esme = next(d for d in s.exec(select(DeviceState)) if d.device_type == "ESME")
        placed = RESOLVER.cert(s, esme.anchors["Network Operator"])
        kept = s.get(OrgCertRolloverCredential, credential_id(INCIDENT, DISTRIBUTOR))
        signing = s.exec(select(UserCredentialRow).where(UserCredentialRow.user_id == DISTRIBUTOR)).first()
    assert entity_id_of(placed) == DISTRIBUTOR and placed.issuer == new_ca.subject
    verify_path(placed, [new_ca], new_root, at=AT)  # chains to the new Issuing OCA (and Root)
    assert str(placed.serial_number) == kept.serial and signing.cert_pem == kept.cert_pem  # it signs with it now
    previous = Credential.from_pem(kept.previous_key_pem, kept.previous_cert_pem)
    assert previous.cert.issuer != new_ca.subject or previous.cert.serial_number != placed.serial_number
    if scenario == "recovery-root-contingency":
        assert "handover_requested" in steps(rec) and "network_operators_handed_back" in steps(rec)
        assert detail(rec, "network_operators_handed_back").startswith("1 Network Operator cell(s) replaced")
        # RCV-29 (L 5.3.2(b)): the Network Operator cell's handback judged met, besides the Supplier cell's
        rows = [v for v in report["regulation"] if v["obligation"] == "RCV-29"]
        assert [v["verdict"] for v in rows if (v.get("detail") or "").startswith("Network Operator cell")] == ["met"]
    else:
        assert any(e["bpmn_id"] == "subscriber_replaced_certificates" and DISTRIBUTOR in e["detail"]
                   and "1 replaced, 0 not" in e["detail"] for e in rec["events"])
    # the ESME: the Distributor's previous key no longer commands the cell, its new one does
    fleet = Fleet(engine(data))
    new = Credential.from_pem(kept.key_pem, kept.cert_pem)
    refused, _ = fleet.execute(_cs02b(data, esme.device_id, previous, placed, [new_ca], 1), AT)
    assert not refused.success
    accepted, _ = fleet.execute(_cs02b(data, esme.device_id, new, placed, [new_ca], 2), AT)
    assert accepted.success, accepted.reason
