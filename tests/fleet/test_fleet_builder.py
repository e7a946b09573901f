"""``dccflow fleet create``: premises, devices, MPxNs, Registration Data, SMI pre-notification and trust anchor
cells; the same seed gives the same fleet."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from sqlalchemy import select
from typer.testing import CliRunner

from dccflow.config import Settings
from dccflow.db import get_engine
from dccflow.domain.mpxn import validate_mpan, validate_mprn
from dccflow_app.cli import app
from dccsim.models import RegistrationData, SmiDevice, SmiStatusChange, SmkiCertificate
from devices.faults import parse_fault_option, selected
from devices.models import DeviceState
from devices.premises import BLOCK_SIZE, seed_block_start

runner = CliRunner()


def _create(data_dir: Path, *extra: str):
    return runner.invoke(app, ["fleet", "create", "--sms", "12", "--dual-fuel", "--seed", "3", "--data-dir",
                               str(data_dir), "--ppmid", "--ihd", "--dual-band", "0.5",
                               "--fault", "join-timeout=0.3", "--fault", "slow-wan:15=0.5", *extra])


def _snapshot(data_dir: Path) -> dict:
    engine = get_engine(Settings(data_dir=data_dir).db_url)
    with engine.connect() as conn:
        certs = {r.id: x509.load_pem_x509_certificate(r.pem).subject.rfc4514_string()
                 for r in conn.execute(select(SmkiCertificate.__table__))}
        devices = [dict(r._mapping) for r in conn.execute(select(DeviceState.__table__)
                                                          .order_by(DeviceState.device_id))]
        smi = [(r.device_id, r.device_type, r.smi_status, r.chf_id)
               for r in conn.execute(select(SmiDevice.__table__).order_by(SmiDevice.device_id))]
        history = [(r.device_id, r.from_status, r.to_status)
                   for r in conn.execute(select(SmiStatusChange.__table__).order_by(SmiStatusChange.id))]
        registrations = [(r.mpxn, r.fuel, r.supplier_id, r.network_operator_id)
                         for r in conn.execute(select(RegistrationData.__table__).order_by(RegistrationData.id))]
    for d in devices:  # cells compared by the certificates' subjects, not by row ids
        d["anchors"] = {role: certs[ref] for role, ref in d["anchors"].items()}
    return {"devices": devices, "smi": smi, "history": history, "registrations": registrations}


def test_create_is_deterministic_for_a_seed(tmp_path):
    first, second, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    result = _create(first)
    assert result.exit_code == 0, result.output
    assert "created 12 premises (72 devices)" in result.output
    assert _create(second).exit_code == 0
    a, b = _snapshot(first), _snapshot(second)
    assert a == b
    assert runner.invoke(app, ["fleet", "create", "--sms", "12", "--dual-fuel", "--seed", "4", "--data-dir",
                               str(other)]).exit_code == 0
    c = _snapshot(other)
    assert not {d["device_id"] for d in a["devices"]} & {d["device_id"] for d in c["devices"]}


def test_fleet_contents(tmp_path):
    assert _create(tmp_path).exit_code == 0
    snap = _snapshot(tmp_path)
    devices = snap["devices"]
    by_type: dict[str, list] = {}
    for d in devices:
        by_type.setdefault(d["device_type"], []).append(d)
    assert {t: len(v) for t, v in by_type.items()} == {"CHF": 12, "GPF": 12, "ESME": 12, "GSME": 12, "PPMID": 12,
                                                       "IHD": 12}
    start = seed_block_start(3)
    assert sorted({d["premises_id"] for d in devices}) == [f"P{n:08d}" for n in range(start, start + 12)]
    assert all(d["install_code"] and len(d["install_code"]) == 32 for d in devices)
    assert all(d["chf_id"] for d in devices if d["device_type"] != "CHF")
    # SMI: pre-notified 'pending', Type 2 Devices not listed (AC 2.9)
    assert len(snap["smi"]) == 60 and {s[2] for s in snap["smi"]} == {"pending"}
    assert "IHD" not in {s[1] for s in snap["smi"]}
    assert [h[1:] for h in snap["history"]] == [(None, "pending")] * 60
    # Registration Data for both fuels, with valid MPAN/MPRN check digits
    assert len(snap["registrations"]) == 24
    for mpxn, fuel, supplier, operator in snap["registrations"]:
        (validate_mpan if fuel == "electricity" else validate_mprn)(mpxn)
        assert supplier.startswith("90-B3-D5-1F-30-01") and operator
    # trust anchor cells (BAD Table 4): meters by the Supplier, the hub by the DCC
    esme = by_type["ESME"][0]["anchors"]
    assert "OU=02" in esme["Supplier"] and "OU=03" in esme["Network Operator"] and "OU=01" in esme["Recovery"]
    assert "OU=04" in by_type["GPF"][0]["anchors"]["Supplier"] and "OU=06" in by_type["CHF"][0]["anchors"][
        "WAN Provider"]
    assert by_type["PPMID"][0]["anchors"] == {}
    # fleet-wide fault rates, chosen from the seed
    slow = [d["device_id"] for d in by_type["CHF"] if "slow-wan" in d["faults"]]
    assert slow == [d["device_id"] for d in by_type["CHF"] if selected(3, "slow-wan", d["device_id"], 0.5)]
    assert all(d["faults"]["slow-wan"] == 15 for d in by_type["CHF"] if d["device_id"] in slow)
    assert not any("join-timeout" in d["faults"] for d in by_type["CHF"])
    assert any(d["dual_band"] for d in by_type["CHF"])


def test_create_twice_in_the_same_database_is_refused(tmp_path):
    assert _create(tmp_path).exit_code == 0
    result = _create(tmp_path)
    assert result.exit_code == 1 and "already exists" in result.output


def test_bad_options(tmp_path):
    result = runner.invoke(app, ["fleet", "create", "--sms", "1", "--data-dir", str(tmp_path), "--fault", "nope"])
    assert result.exit_code == 2 and "unknown fault" in result.output
    assert parse_fault_option("firmware-corrupt:storage=0.25") == ("firmware-corrupt", "storage", 0.25)
    assert seed_block_start(0) == BLOCK_SIZE and seed_block_start(4095) == BLOCK_SIZE


def test_fault_rates_on_an_existing_fleet_are_deterministic(tmp_path):
    from devices.fleet import Fleet

    result = runner.invoke(app, ["fleet", "create", "--sms", "40", "--seed", "9", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0
    fleet = Fleet(get_engine(Settings(data_dir=tmp_path).db_url))
    chosen = fleet.apply_fault_rate("join-delay", 0.25, seed=9, param=12)
    assert 0 < len(chosen) < 40 and all(fleet.get(d).faults == {"join-delay": 12} for d in chosen)
    assert chosen == [d for d in chosen if selected(9, "join-delay", d, 0.25)]
    assert fleet.apply_fault_rate("join-delay", 0.25, seed=9, param=12) == chosen
    listing = runner.invoke(app, ["fleet", "faults"])
    assert listing.exit_code == 0 and "slow-wan [minutes, default 10]" in listing.output
