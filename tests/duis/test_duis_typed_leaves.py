"""A Service Request's body is read as typed values (issue 11): a leaf is text, never a structure; an empty
container stays empty; EUI-64s are in the one form they are compared and stored in."""

from __future__ import annotations

import pytest

from dccflow.duis import requests as duis
from dccflow.duis.messages import parse_request, to_bytes
from dccflow.duis.requests_lifecycle import read_device_log
from dccflow.duis.tree import parse_datetime

SR = "{http://www.dccinterface.co.uk/ServiceUserGateway}"
USER, DCC, DEVICE = "90-B3-D5-1F-30-01-00-00", "90-B3-D5-1F-30-00-00-02", "00-DB-12-03-00-00-09-0A"


def _pre_notification(mutate) -> bytes:
    root = duis.device_pre_notification(request_id=f"{USER}:{DCC}:1", device_id=DEVICE, device_manufacturer="AB01",
                                        device_model="010A030B", device_type="ESME", esme_variant="A")
    mutate(root)
    return to_bytes(root)


def test_blank_leaves_are_blank_text_and_empty_containers_stay_structures():
    def blanks(root):
        root.find(f".//{SR}DeviceManufacturer").text = None
        root.find(f".//{SR}DeviceModel").text = "  \n "

    body = parse_request(_pre_notification(blanks)).body
    assert (body["DeviceManufacturer"], body["DeviceModel"], body["ESMEVariant"]) == ("", "", "A")
    # while an empty container (complex content in the schema) stays an empty structure
    device_log = read_device_log(request_id=f"{USER}:{DEVICE}:1", read_security_details=True)
    assert parse_request(to_bytes(device_log)).body == {"ReadSecurityDetails": {}}


def test_euis_and_the_request_id_are_read_in_one_form():
    def recased(root):
        root.find(f".//{SR}RequestID").text = f"{USER.lower()}:{DCC.lower()}:1"
        root.find(f".//{SR}DeviceID").text = f"  {DEVICE.lower()}  "

    request = parse_request(_pre_notification(recased))
    assert (request.header.originator, request.header.target) == (USER, DCC)
    assert request.header.request_id == f"{USER}:{DCC}:1"
    assert request.body["DeviceID"] == DEVICE


@pytest.mark.parametrize("text", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"])
def test_a_date_time_beyond_the_representable_years_is_a_value_error(text):
    with pytest.raises(ValueError, match="outside the years 1 to 9999"):
        parse_datetime(text)
