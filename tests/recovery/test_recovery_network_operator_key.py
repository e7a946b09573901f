"""A Network Operator's own Organisation Certificate key compromised (BAD 7.7.3.4.2-4; SEC Appendix L 4.1-4.3;
``workflows.smki_recovery_no_key``) as drill scenarios and drills: the Electricity Distributor's certificate in the
ESME's Network Operator cell is replaced — by its own SRV 6.15.1 (Method 1), by the DCC's ACB certificate then the
Responsible Supplier's SRV 6.21 (Method 2), by the DCC installing its new certificate (Method 3). What a user sees:
the attacker's Command signed with the compromised key accepted before and refused after, a Command signed with the
Distributor's new key accepted, the SMI statuses, the DCC Alerts, the Supplier cell untouched."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from recovery_support import copy, detail, device, engine, recovery, run, status_history, steps
from sqlmodel import select
from typer.testing import CliRunner

from dccflow.db import session_scope
from dccflow.domain.roles import UserRole
from dccflow.parties import PARTIES, SUPPLIER

INCIDENT = "P00000001-smki-recovery"
AT = datetime(2027, 6, 1, tzinfo=UTC)
DISTRIBUTOR = PARTIES["distributor-a"].user_ids[UserRole.ELECTRICITY_DISTRIBUTOR]
TRANSPORTER = PARTIES["transporter-a"].user_ids[UserRole.GAS_TRANSPORTER]
IMPORT = SUPPLIER.user_ids[UserRole.IMPORT_SUPPLIER]
SCENARIOS = {"method-1": "recovery-network-operator-method1", "method-2": "recovery-network-operator",
             "method-3": "recovery-network-operator-method3"}


def _no_cell_serial(data: Path, device_id: str) -> str:
    from devices.anchors import RESOLVER
    from devices.models import DeviceState

    with session_scope(engine(data)) as s:
        return str(RESOLVER.cert(s, s.get(DeviceState, device_id).anchors["Network Operator"]).serial_number)


def _revoked(data: Path, serial: str) -> bool:
    from dccsim.models import SmkiCertificate

    with session_scope(engine(data)) as s:
        return s.exec(select(SmkiCertificate).where(SmkiCertificate.serial == serial)).one().revoked_at is not None


def _cs02b_accepted(data: Path, device_id: str, signer, n: int) -> bool:
    """A CS02b on the ESME's Network Operator cell, signed by ``signer``, straight to the Device: accepted?"""
    from dccflow.messages import GbcsCommand
    from dccsim.smki import SmkiRepository
    from devices.anchors import encode_cert
    from devices.fleet import Fleet
    from devices.signing import sign_command

    ca, _root = SmkiRepository(engine(data)).certification_path()
    command = sign_command(GbcsCommand(
        use_case="CS02b", target=device_id, originator=f"test-{n}", counter=int(AT.timestamp() * 1000) * 100 + n,
        request_id=f"test:{device_id}:{n}", params={"remote_party_role": "Network Operator",
                                                    "certificate": encode_cert(signer.cert),
                                                    "certification_path": [encode_cert(ca)]}), signer)
    response, _ = Fleet(engine(data)).execute(command, AT)
    return response.success


@pytest.mark.parametrize("method", sorted(SCENARIOS))
def test_the_network_operator_cell_is_recovered_and_only_the_new_key_commands_it(tmp_path: Path, method: str) -> None:
    from activities.org_cert_rollover import OrgCertRolloverCredential
    from activities.smki_recovery_network import credential_id
    from dccflow.security.pki import Credential

    data = tmp_path / "data"
    report = run(SCENARIOS[method], data)  # exit 0: the file's expectations met
    assert report["differences"] == []
    rec = recovery(report)
    assert (rec["result"], rec["end"]) == ("completed", "end_recovered")
    assert detail(rec, "method_chosen").startswith(method)
    esme = device(report, "ESME")["device_id"]
    # the OCNF: the ESME's Network Operator cell, the Distributor's certificate (not the Supplier cell)
    assert detail(rec, "ocnf_submitted").startswith("1 certificate slot(s) on 1 Device(s)")
    compromised = detail(rec, "ocnf_submitted").rsplit("serial(s) ", 1)[1]
    # the attacker's CS02b signed with the compromised key: accepted before, refused after (GBCS 0x8F30)
    assert detail(rec, "attacker_probe_before") == "1 accepted"
    assert detail(rec, "attacker_probe_after") == "1 refused"
    # the cell holds the Distributor's replacement; the compromised certificate is revoked
    with session_scope(engine(data)) as s:
        kept = s.get(OrgCertRolloverCredential, credential_id(INCIDENT, DISTRIBUTOR))
    assert kept is not None and kept.previous_serial == compromised
    assert _no_cell_serial(data, esme) == kept.serial != compromised
    assert kept.serial in detail(rec, "replacement_certificates_obtained")
    assert _revoked(data, compromised)
    assert device(report, "ESME")["cells"]["Network Operator"] == DISTRIBUTOR
    assert device(report, "ESME")["cells"]["Supplier"] == IMPORT  # the Supplier cell is not part of it
    # the Distributor's own 6.15.1 with its new key accepted; on the Device, the new key commands the cell, the
    # compromised one does not
    assert "legitimate_command_accepted" in steps(rec)
    assert _cs02b_accepted(data, esme, Credential.from_pem(kept.key_pem, kept.cert_pem), 1)
    assert not _cs02b_accepted(data, esme, Credential.from_pem(kept.previous_key_pem, kept.previous_cert_pem), 2)
    # the SMI statuses and the DCC Alerts of each method
    history = status_history(data, esme)
    alerts = {(a["code"], a["recipient"]) for a in report["dcc_alerts"] if a["device_id"] == esme
              and a["code"] in ("N44", "N45")}
    assert history[-1] == "commissioned"
    if method == "method-1":  # L 4.1: no status change, no DCC Alert; the Distributor's own 6.15.1
        assert "recovery" not in history and alerts == set()
        assert DISTRIBUTOR in detail(rec, "subscriber_replaced_certificates")
        assert steps(rec).index("subscriber_replaced_certificates") < steps(rec).index("subscriber_certificate_revoked")
    elif method == "method-2":  # L 4.2: recovery → recovered (N44) → the Import Supplier's 6.21 → commissioned
        assert history[-3:] == ["recovery", "recovered", "commissioned"]
        assert alerts == {("N44", IMPORT), ("N44", DISTRIBUTOR)}
        assert detail(rec, "handover_requested").startswith(f"by {IMPORT}: end_handover_done")
        assert DISTRIBUTOR in detail(rec, "handover_requested")
    else:  # L 4.3: no 'recovery' for Network Operator certificates (L 4.3.1.3); N45 to the Supplier and the NO
        assert "recovery" not in history and "devices_to_recovery" not in steps(rec)
        assert alerts == {("N45", IMPORT), ("N45", DISTRIBUTOR)}
        rows = [v for v in report["regulation"] if v["obligation"] == "RCV-16"]
        assert [v["verdict"] for v in rows] == ["not applicable"]


def test_the_gas_transporters_key_on_a_gpf_is_handed_back_by_the_gas_supplier(tmp_path: Path) -> None:
    """Method 2 for the Gas Transporter: its certificate sits in the GPF's Network Operator cell once Post
    Commissioning has handed the cell over (6.21); the GPF's Gas Supplier sends the 6.21 placing its new one."""
    gas = SUPPLIER.user_ids[UserRole.GAS_SUPPLIER]
    path = copy(tmp_path, "recovery-network-operator",
                ("    esme: {type: ESME}                                        # electricity meter: the Distributor's "
                 "certificate\n", "    esme: {type: ESME}\n    gsme: {type: GSME}\n"),
                ("  - at: 2 days\n    process: smki_recovery", "  - at: 2 days\n    process: post_commissioning\n"
                                                              "  - at: 4 days\n    process: smki_recovery"),
                ("actor: electricity_distributor", "actor: gas_transporter"),
                ("    install_commission: {end: end_sms_enrolled, result: completed}\n",
                 "    install_commission: {end: end_sms_enrolled, result: completed}\n    post_commissioning: "
                 "{outcome: met}\n"),
                ("  statuses:\n    esme: commissioned\n",
                 "  statuses:\n    esme: commissioned\n    gpf: commissioned\n"),
                ("    - {device: esme, cell: Network Operator, holder: electricity_distributor}\n",
                 "    - {device: gpf, cell: Network Operator, holder: gas_transporter}\n"),
                ("    - {code: N44, device: esme, to: import_supplier}\n    - {code: N44, device: esme, to: "
                 "electricity_distributor}\n", "    - {code: N44, device: gpf, to: gas_supplier}\n"
                                               "    - {code: N44, device: gpf, to: gas_transporter}\n"))
    data = tmp_path / "data"
    report = run(path, data)
    assert report["differences"] == []
    rec = recovery(report)
    assert (rec["result"], rec["end"]) == ("completed", "end_recovered")
    gpf = device(report, "GPF")["device_id"]
    assert (detail(rec, "attacker_probe_before"), detail(rec, "attacker_probe_after")) == ("1 accepted", "1 refused")
    assert detail(rec, "handover_requested").startswith(f"by {gas}: end_handover_done")
    assert device(report, "GPF")["cells"]["Network Operator"] == TRANSPORTER
    assert device(report, "ESME")["cells"]["Network Operator"] == DISTRIBUTOR  # not the Transporter's: untouched
    assert status_history(data, gpf)[-3:] == ["recovery", "recovered", "commissioned"]


@pytest.mark.parametrize("args, method", [
    ([], "method-1"), (["--key-lost"], "method-2"), (["--key-lost", "--replacements"], "method-3")])
def test_a_network_operator_drill_over_a_fleet_checks_both_keys_on_every_cell(tmp_path: Path, args: list[str],
                                                                               method: str) -> None:
    from dccflow_app.cli import app

    result = CliRunner().invoke(app, ["drill", "start", "organisation", "--party", "distributor-a", *args,
                                      "--fleet", "2", "--data-dir", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["method"], report["end"]) == (method, "end_recovered")
    assert len(report["devices"]) == 2 and sorted(report["recovered"]) == sorted(report["devices"])  # the ESMEs
    assert set(report["attacker"]["before"].values()) == {"accepted"}
    assert set(report["attacker"]["after"].values()) == {"refused"}
    operators = report["network_operators"]
    assert operators["done"] == {d: DISTRIBUTOR for d in report["devices"]} and operators["not_done"] == {}
    assert list(operators["certificates"]) == [DISTRIBUTOR]
    assert operators["probes"] == {"previous": {d: "refused" for d in report["devices"]},
                                   "current": {d: "accepted" for d in report["devices"]}}
    assert not [v for v in report["audit"] if v["verdict"] == "breached"]


def test_party_takes_a_network_operators_user_id_or_party_key() -> None:
    from dccflow_app.cli_drill import subscriber_of

    assert subscriber_of("distributor-a") == subscriber_of(DISTRIBUTOR) == DISTRIBUTOR
    assert subscriber_of("transporter-a") == TRANSPORTER
    assert subscriber_of("supplier-a") == IMPORT
    with pytest.raises(ValueError, match="Network Operators: .*" + DISTRIBUTOR):
        subscriber_of("90-B3-D5-1F-30-00-00-02")  # the DCC: not a Subscriber to an Organisation Certificate drill
