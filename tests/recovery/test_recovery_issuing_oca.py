"""Recovery of the Issuing OCA Private Key (BAD 7.7.3.4.8; SEC Appendix L 6.3; ``workflows.smki_recovery_oca``): the DCC
moves to a new Issuing OCA and rolls every Recovery cell over to a Recovery Certificate it signed; the Subscriber
replaces its own certificate by 6.15.1; then the old Issuing OCA is revoked and a certificate minted with the stolen
key is refused by the DCC's Confirm Validity."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from recovery_support import engine, recovery, run
from sqlmodel import select

from dccflow.db import session_scope

INCIDENT = "P00000001-smki-recovery"
AT = datetime(2027, 6, 1, tzinfo=UTC)


def test_the_recovery_cells_and_the_suppliers_certificate_move_to_the_new_issuing_oca(tmp_path: Path) -> None:
    from activities.smki_recovery import RecoveryAttackerKey
    from dccflow.domain.roles import UserRole
    from dccflow.parties import PARTIES
    from dccflow.security.pki import (
        CertificateError,
        Credential,
        KeyUsageKind,
        entity_id_of,
        issue_organisation_certificate,
    )
    from dccsim.smki import PKI_EPOCH, SmkiRepository
    from devices.anchors import RESOLVER, dcc_anchor_credential
    from devices.models import DeviceState

    data = tmp_path / "data"
    report = run("recovery-issuing-oca", data)
    assert report["differences"] == []
    assert recovery(report)["end"] == "end_recovered"
    smki = SmkiRepository(engine(data))
    new_ca = smki.certification_path()[0]
    supplier = PARTIES["supplier-a"].user_ids[UserRole.IMPORT_SUPPLIER]
    from dccflow.domain.roles import RemotePartyRole

    recovery_cert = dcc_anchor_credential(engine(data), RemotePartyRole.RECOVERY).cert
    assert recovery_cert.issuer == new_ca.subject  # L 6.3.2.4: signed by the new Issuing OCA
    with session_scope(engine(data)) as s:
        devices = {d.device_type: d for d in s.exec(select(DeviceState))}
        for dev in devices.values():
            assert RESOLVER.cert(s, dev.anchors["Recovery"]).serial_number == recovery_cert.serial_number
        placed = RESOLVER.cert(s, devices["ESME"].anchors["Supplier"])
        stolen = s.get(RecoveryAttackerKey, INCIDENT)
        stolen = Credential.from_pem(stolen.key_pem, stolen.cert_pem)
    assert entity_id_of(placed) == supplier and placed.issuer == new_ca.subject
    assert stolen.cert.subject != new_ca.subject
    smki.confirm_validity(placed, AT)  # the Supplier's new certificate is valid
    minted = issue_organisation_certificate(stolen, entity_id=supplier, role_code="01",
                                            usage=KeyUsageKind.DIGITAL_SIGNING, organisation="Rogue",
                                            not_before=PKI_EPOCH, valid_days=30 * 365).cert
    with pytest.raises(CertificateError, match="revoked"):  # the old Issuing OCA is on the ARL
        smki.confirm_validity(minted, AT)
