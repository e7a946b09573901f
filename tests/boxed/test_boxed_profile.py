"""``dccflow up --pki zaz1``'s options and DCC Boxed's service routing, without a running stack."""

from __future__ import annotations

from pathlib import Path

import pytest
from boxed_support import SAMPLES
from interop_tools import dcc_tool_jar
from typer.testing import CliRunner

from dccflow.config import ConfigurationError
from dccflow.parties import DCC_ID
from dccflow.security.pki import entity_id_of
from dccflow_app.boxed import parse_response_urls, pki_profile
from dccflow_app.cli import app
from dccsim.boxed_api import command_variant_of, service_for
from dccsim.boxed_pki import Zaz1Material


def test_response_urls_are_user_id_equals_url():
    assert parse_response_urls(["90-b3-d5-1f-30-01-00-00=http://127.0.0.1:9000/r"]) == {
        "90-B3-D5-1F-30-01-00-00": "http://127.0.0.1:9000/r"}
    for bad in ("90-B3-D5-1F-30-01-00-00", "supplier=http://x", "90-B3-D5-1F-30-01-00-00=ftp://x"):
        with pytest.raises(ConfigurationError, match="USER_ID=URL"):
            parse_response_urls([bad])


def test_the_generated_pki_stays_the_default_and_zaz1_options_need_zaz1():
    assert pki_profile("generated", [], None) is None
    with pytest.raises(ConfigurationError, match="go with --pki zaz1"):
        pki_profile("generated", ["90-B3-D5-1F-30-01-00-00=http://x/"], None)
    with pytest.raises(ConfigurationError, match="expected one of generated, zaz1"):
        pki_profile("zaz2", [], None)


def test_up_without_dccs_tool_says_how_to_get_it(tmp_path: Path):
    result = CliRunner().invoke(app, ["up", "--pki", "zaz1", "--tool-jar", str(tmp_path / "tool.jar"),
                                      "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "npm pack @smartdcc/duis-sign-wrap@0.1.2" in " ".join(result.output.split())


def test_the_zaz1_material_is_read_from_dccs_tool():
    material = Zaz1Material.from_jar(dcc_tool_jar())
    assert entity_id_of(material.dsp.cert) == DCC_ID  # the DSP signs as the DCC
    assert entity_id_of(material.certificates["xml-sign-90B3D51F30010000-ds"]) == "90-B3-D5-1F-30-01-00-00"
    assert {"Z1-supplier-ds", "Z1-networkOperator-ds"} <= set(material.certificates)


def test_each_template_goes_to_the_service_of_its_command_variant():
    routes = {p.name: service_for(command_variant_of(p.read_bytes())) for p in SAMPLES.glob("*.XML")}
    assert routes["8.2_READ_INVENTORY_REQUEST_DUIS.XML"] == "/api/v1/serviceD"
    assert routes["CS03A1_8.7.1_SUCCESS_REQUEST_DUIS.XML"] == "/api/v1/serviceT"
    assert routes["ECS52_11.2_SUCCESS_REQUEST_DUIS.XML"] == "/api/v1/serviceS"
    assert command_variant_of(b"<not xml") is None
    assert service_for(9) is None

