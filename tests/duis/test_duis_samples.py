"""Every reference DUIS request in shared/duis/samples parses, validates and yields its SRV."""

from __future__ import annotations

import pytest
from duis_support import sample_paths, srv_from_filename

from dccflow.duis.messages import parse_request
from dccflow.duis.srv import service_reference_for

SAMPLES = sample_paths()


def test_samples_are_present():
    assert len(SAMPLES) >= 30


@pytest.mark.parametrize("path", SAMPLES, ids=[p.name for p in SAMPLES])
def test_sample_parses_and_yields_its_srv(path):
    request = parse_request(path.read_bytes())  # secure parse + schema validation
    expected = srv_from_filename(path.name)
    header = request.header
    assert header.service_reference_variant == expected
    assert header.service_reference == service_reference_for(expected)
    assert header.request_id == f"{header.originator}:{header.target}:{header.counter}"
    assert 1 <= header.command_variant <= 8
    assert request.signed is True
    assert request.body_element
    assert isinstance(request.body, dict)


def test_srv_from_filename_rule():
    assert srv_from_filename("8.14.1_COMMUNICATIONS_HUB.XML") == "8.14.1"
    assert srv_from_filename("CCS01_8.11_SUCCESS_REQUEST_DUIS.XML") == "8.11"
    assert srv_from_filename("12.2_DEVICE_PRE_NOTIFICATION.XML") == "12.2"
