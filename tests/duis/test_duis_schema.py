"""Schema location, loading (cached, local only), enumerations, SRV table and ServiceReference rule."""

from __future__ import annotations

import shutil

import pytest
from duis_support import sample_paths

from dccflow.duis import schema as duis_schema_module
from dccflow.duis.response_codes import NOT_SUPPORTED_CODE, RESPONSE_CODES, describe_response_code
from dccflow.duis.schema import (
    ENV_SCHEMA_DIR,
    ENV_SHARED_DIR,
    DuisConfigError,
    DuisError,
    duis_schema,
    schema_dir,
    schema_enumeration,
    shared_dir,
)
from dccflow.duis.srv import SRV_TABLE, allowed_command_variants, service_reference_for, srv_spec


def test_default_shared_dir_is_beside_the_repository(monkeypatch):
    monkeypatch.delenv(ENV_SHARED_DIR, raising=False)
    monkeypatch.delenv(ENV_SCHEMA_DIR, raising=False)
    repo = duis_schema_module.Path(duis_schema_module.__file__).resolve().parents[2]
    assert shared_dir() == repo.parent / "shared"
    assert schema_dir() == shared_dir() / "duis" / "schema"


def test_schema_is_loaded_once_and_cached():
    assert duis_schema() is duis_schema()


def test_shared_dir_env_override(monkeypatch, tmp_path):
    real = shared_dir()
    monkeypatch.setenv(ENV_SHARED_DIR, str(real))
    assert shared_dir() == real
    monkeypatch.setenv(ENV_SHARED_DIR, str(tmp_path / "nowhere"))
    with pytest.raises(DuisConfigError) as info:
        shared_dir()
    assert str(tmp_path / "nowhere") in str(info.value)
    assert ENV_SHARED_DIR in str(info.value)


def test_missing_schema_names_the_place_and_the_env_vars(monkeypatch, tmp_path):
    monkeypatch.setenv(ENV_SCHEMA_DIR, str(tmp_path))
    with pytest.raises(DuisConfigError) as info:
        duis_schema()
    message = str(info.value)
    assert str(tmp_path / "duis-5.4.xsd") in message
    assert ENV_SCHEMA_DIR in message and ENV_SHARED_DIR in message


def test_schema_dir_env_override_loads_a_copy(monkeypatch, tmp_path):
    for f in schema_dir().glob("*.xsd"):
        shutil.copy(f, tmp_path / f.name)
    monkeypatch.setenv(ENV_SCHEMA_DIR, str(tmp_path))
    assert schema_dir() == tmp_path
    schema = duis_schema()
    assert schema.validate(duis_schema_module.etree.parse(str(sample_paths()[0])))


def test_schema_loading_refuses_the_network(monkeypatch, tmp_path):
    for f in schema_dir().glob("*.xsd"):
        shutil.copy(f, tmp_path / f.name)
    main = tmp_path / "duis-5.4.xsd"
    text = main.read_text(encoding="utf-8")
    main.write_text(
        text.replace(
            'schemaLocation="xmldsig-core-schema.xsd"', 'schemaLocation="http://example.invalid/x.xsd"'
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv(ENV_SCHEMA_DIR, str(tmp_path))
    with pytest.raises(DuisConfigError) as info:
        duis_schema()
    assert "refused non-local resources: http://example.invalid/x.xsd" in str(info.value)


def test_enumerations_come_from_the_schema():
    assert "8.14.1" in schema_enumeration("ServiceReferenceVariant")
    assert "8.14" in schema_enumeration("ServiceReference")
    assert schema_enumeration("ResponseCode")[:2] == ("I0", "I99")


# ------------------------------------------------------------------ ServiceReference and SRV table


@pytest.mark.parametrize(
    ("srv", "reference"),
    [
        ("8.14.1", "8.14"),
        ("8.11", "8.11"),
        ("8.1.1", "8.1"),
        ("6.20.1", "6.20"),
        ("12.2", "12.2"),
        ("4.1.1", "4.1"),
    ],
)
def test_service_reference_derivation(srv, reference):
    assert service_reference_for(srv) == reference


def test_service_reference_rule_covers_both_enumerations():
    variants = schema_enumeration("ServiceReferenceVariant")
    references = set(schema_enumeration("ServiceReference"))
    derived = {service_reference_for(v) for v in variants}
    assert derived == references


def test_unknown_srv_is_rejected():
    with pytest.raises(DuisError):
        service_reference_for("8.99")
    with pytest.raises(DuisError):
        srv_spec("4.1.1")  # valid SRV, but no typed builder


@pytest.mark.parametrize("srv", sorted(SRV_TABLE))
def test_srv_table_defaults_are_allowed_by_the_schema(srv):
    spec = SRV_TABLE[srv]
    assert spec.srv == srv
    assert srv in schema_enumeration("ServiceReferenceVariant")
    allowed = allowed_command_variants(srv)
    assert allowed, f"schema gives no CommandVariants for {srv}"
    assert spec.default_command_variant == min(allowed)


def test_allowed_command_variants_examples():
    assert allowed_command_variants("8.11") == (1, 2, 3)
    assert allowed_command_variants("8.1.1") == (4, 5)
    assert allowed_command_variants("12.2") == (8,)


# --------------------------------------------------------------------------------- response codes


def test_response_code_table_matches_the_schema_enumeration():
    assert set(RESPONSE_CODES) == set(schema_enumeration("ResponseCode"))
    assert len(RESPONSE_CODES) == len(schema_enumeration("ResponseCode"))


def test_response_code_meanings():
    assert RESPONSE_CODES["I0"].category == "information"
    assert "Success" in RESPONSE_CODES["I0"].meaning
    assert "Acknowledgement" in RESPONSE_CODES["I99"].meaning
    assert RESPONSE_CODES["W050301"].category == "warning"
    assert RESPONSE_CODES["E050301"].service_reference == "5.3"
    assert all(c.category == "error" for k, c in RESPONSE_CODES.items() if k.startswith("E"))
    assert "5.3-specific" in describe_response_code("E050302")
    assert "not a DUIS" in describe_response_code("E9999")


def test_not_supported_code_is_a_real_error_code():
    assert NOT_SUPPORTED_CODE in schema_enumeration("ResponseCode")
    assert NOT_SUPPORTED_CODE.startswith("E")
    assert "not supported by this simulator" in RESPONSE_CODES[NOT_SUPPORTED_CODE].meaning
