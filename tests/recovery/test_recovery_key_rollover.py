"""Recovery of the DCC's Recovery Private Key (BAD 7.7.3.4.7; SEC Appendix L 6.2; ``workflows.smki_recovery_dcc_keys``):
the DCC's Commands, signed with the replaced key, put the new Recovery Certificate in every Device's Recovery cell;
the attacker holding the stolen key is refused afterwards; Devices off the SM WAN are caught up on their return before
the deadline, else reported — and the stolen key still commands them."""

from __future__ import annotations

from pathlib import Path

from recovery_support import copy, detail, engine, recovery, run, steps
from sqlmodel import select

from dccflow.db import session_scope

SCENARIO = "recovery-recovery-key-stragglers"


def _recovery_cells(data: Path) -> dict[str, str]:
    from devices.anchors import RESOLVER
    from devices.models import DeviceState

    with session_scope(engine(data)) as s:
        return {d.device_id: str(RESOLVER.cert(s, d.anchors["Recovery"]).serial_number)
                for d in s.exec(select(DeviceState)) if "Recovery" in (d.anchors or {})}


def _dcc_recovery_serial(data: Path) -> str:
    from dccflow.domain.roles import RemotePartyRole
    from devices.anchors import dcc_anchor_credential

    return str(dcc_anchor_credential(engine(data), RemotePartyRole.RECOVERY).cert.serial_number)


def _revoked(data: Path, serial: str) -> bool:
    from dccsim.models import SmkiCertificate

    with session_scope(engine(data)) as s:
        return s.exec(select(SmkiCertificate).where(SmkiCertificate.serial == serial)).one().revoked_at is not None


def test_devices_off_the_sm_wan_past_the_deadline_are_reported_and_the_stolen_key_still_holds_them(
        tmp_path: Path) -> None:
    data = tmp_path / "data"
    report = run(SCENARIO, data)
    assert report["differences"] == []
    rec = recovery(report)
    assert rec["end"] == "end_recovered_partly"
    cells = _recovery_cells(data)
    assert len(cells) == 3  # CHF, GPF, ESME
    old = next(iter(set(cells.values())))
    assert set(cells.values()) == {old}  # none rolled over
    assert _dcc_recovery_serial(data) != old  # the DCC moved on: the replaced key destroyed
    assert _revoked(data, old)
    assert all(d in detail(rec, "devices_not_recovered_reported") for d in cells)
    assert detail(rec, "attacker_probe_before") == "3 accepted"
    assert "new_key_accepted" not in steps(rec)


def test_stragglers_back_before_the_deadline_are_caught_up_and_the_stolen_key_is_refused(tmp_path: Path) -> None:
    path = copy(tmp_path, SCENARIO, ("  - at: 10 days\n    event: ch_on_wan", "  - at: 4 days\n    event: ch_on_wan"),
                ("      end: end_recovered_partly\n      result: failed",
                 "      end: end_recovered\n      result: completed"),
                ("replaced_key_destroyed, devices_not_recovered_reported, attacker_probe_after",
                 "device_recovered, replaced_key_destroyed, new_key_accepted, attacker_probe_after"))
    data = tmp_path / "data"
    report = run(path, data)
    assert report["differences"] == []
    rec = recovery(report)
    ids = steps(rec)
    assert ids.index("device_unreachable") < ids.index("device_recovered")
    new = _dcc_recovery_serial(data)
    assert new in detail(rec, "key_generation_ceremony")
    assert set(_recovery_cells(data).values()) == {new}  # every Recovery cell holds the new certificate
    assert detail(rec, "attacker_probe_before") == "3 accepted"
    assert detail(rec, "attacker_probe_after") == "3 refused"  # signed by a certificate no cell holds: 0x8F30
    assert rec["result"] == "completed"
    assert "new_key_accepted" in ids  # the DCC's Command signed with its new key: accepted
