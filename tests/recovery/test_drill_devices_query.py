"""``dccflow drill start … --devices QUERY``: the Devices in scope of a drill selected from the Smart Metering Inventory
by a query (``dccsim.inventory_query``) — Device IDs, or model / type / supplier / chf / status terms; a query that
cannot be read, an unknown Device or an empty selection is refused with what is wrong (exit 2)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from dccflow.config import Settings
from dccflow.db import session_scope
from dccflow.parties import DCC_ID
from dccflow_app.cli import app
from dccsim.inventory_query import DeviceQueryError, parse_device_query, select_devices
from devices.premises import premises_ids

runner = CliRunner()


@pytest.fixture(scope="module")
def estate(tmp_path_factory):
    """Two dual-fuel SMS of Supplier A in service (CHF, GPF, ESME, GSME each)."""
    from activities.credentials import UserKeyStore
    from dccflow_app.campaigns import build_in_service_fleet
    from dccflow_app.database import open_database
    from dccsim.smki import SmkiRepository

    engine = open_database(Settings(data_dir=tmp_path_factory.mktemp("estate")).db_url)
    smki = SmkiRepository(engine)
    smki.ensure_authorities(DCC_ID)
    UserKeyStore(engine).ensure_parties(smki)
    report = build_in_service_fleet(engine, 2, datetime.now(UTC), dual_fuel=True)
    return engine, [premises_ids(n) for n in range(report.first_number, report.last_number + 1)]


def _select(engine, text: str) -> list[str]:
    with session_scope(engine) as s:
        return select_devices(s, parse_device_query(text), datetime.now(UTC))


def test_a_query_selects_by_type_supplier_chf_and_status(estate) -> None:
    engine, sms = estate
    esmes = sorted(p.esme_id for p in sms)
    assert _select(engine, "model=ESME") == esmes
    assert _select(engine, "type=esme,status=commissioned") == esmes
    # a repeated field is an alternative, different fields must all hold
    assert _select(engine, "model=ESME,model=GSME,status=commissioned") == sorted(
        [p.esme_id for p in sms] + [p.gsme_id for p in sms])
    # the Gas Supplier User ID: the Devices linked to the MPRNs it is registered for (GSME, GPF, and their CHF)
    gas = _select(engine, "supplier=90-B3-D5-1F-30-01-00-01")
    assert set(gas) == {d for p in sms for d in (p.chf_id, p.gpf_id, p.gsme_id)}
    assert _select(engine, "supplier=supplier-a,type=GPF") == sorted(p.gpf_id for p in sms)
    first = sms[0]
    assert set(_select(engine, f"chf={first.chf_id}")) == {first.chf_id, first.gpf_id, first.esme_id, first.gsme_id}
    assert _select(engine, f"{sms[1].esme_id}, {first.gsme_id.lower()}") == [sms[1].esme_id, first.gsme_id]


@pytest.mark.parametrize(("text", "said"), [
    ("status=recovery", "selects no Device"),
    ("supplier=supplier-b", "selects no Device"),
    ("00-DB-12-03-00-00-99-99", "not in the Smart Metering Inventory: 00-DB-12-03-00-00-99-99"),
])
def test_an_empty_selection_or_an_unknown_device_is_refused(estate, text: str, said: str) -> None:
    with pytest.raises(DeviceQueryError, match=said):
        _select(estate[0], text)


@pytest.mark.parametrize(("text", "said"), [
    ("colour=red", "unknown field 'colour'"),
    ("model=ESME,00-DB-12-03-00-00-00-01", "mixes Device IDs"),
    ("status=asleep", "is not an SMI status"),
    ("type=TOASTER", "is not a Device Type"),
    ("supplier=distributor-a", "is not a Supplier's User ID or Party key"),
    ("chf=hub-1", "is not a Device ID"),
    ("model=", "gives no value"),
    ("meter-7", "neither a Device ID"),
    (" , ", "is empty"),
])
def test_a_query_that_cannot_be_read_names_what_is_wrong(text: str, said: str) -> None:
    with pytest.raises(DeviceQueryError, match=said):
        parse_device_query(text)


def test_the_cli_exits_2_on_a_bad_query_before_anything_runs() -> None:
    result = runner.invoke(app, ["drill", "start", "root", "--party", "supplier-a", "--devices", "colour=red"])
    assert result.exit_code == 2, result.output
    assert "unknown field 'colour'" in result.output


def test_the_cli_refuses_an_empty_selection(tmp_path: Path) -> None:
    result = runner.invoke(app, ["drill", "start", "recovery-key", "--party", "supplier-a", "--fleet", "1",
                                 "--devices", "supplier=supplier-b", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert "selects no Device in the Smart Metering Inventory" in result.output


def test_a_drill_over_a_query_recovers_the_devices_it_selects_only(tmp_path: Path) -> None:
    result = runner.invoke(app, ["drill", "start", "recovery-key", "--party", "supplier-a", "--fleet", "2",
                                 "--devices", "model=ESME,status=commissioned", "--data-dir", str(tmp_path),
                                 "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    from dccflow.db import get_engine
    from dccsim.models import SmiDevice

    with session_scope(get_engine(Settings(data_dir=tmp_path).db_url)) as s:
        types = {d: s.get(SmiDevice, d).device_type for d in report["devices"]}
        esmes = sorted(d.device_id for d in s.exec(select(SmiDevice).where(SmiDevice.device_type == "ESME")))
    # the default would be every Device holding the Recovery Certificate (CHF, GPF, ESME): 6
    assert set(types.values()) == {"ESME"} and sorted(report["devices"]) == esmes and len(esmes) == 2
    assert sorted(report["recovered"]) == esmes and set(report["attacker"]["after"]) == set(esmes)
