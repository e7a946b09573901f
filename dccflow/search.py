"""Search attributes: every workflow that concerns a device carries the devices' ids (and MPxNs when known), so
the Temporal Web UI shows a device's whole story with one query — the process, its child workflows, the DCC's
Service Request workflows and the fleet's device workflows: e.g. ``DeviceIds = '00-DB-12-03-00-00-00-01'``,
``Mpxns = '1300000000019'`` or ``BadProcess = 'install_commission'``.

Device ids are in the DUIS form (``normalise_eui64``: eight upper-case hex pairs joined by hyphens), the same
form everywhere, so a query typed with the id as a Device Log or a DUIS sample shows it finds every workflow.
The values are set when a workflow is started (``search_attributes=``), not upserted later, so they add no
command to a workflow's history."""

from __future__ import annotations

from collections.abc import Iterable

from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

from dccflow.domain.ids import InvalidEui64, normalise_eui64

DEVICE_IDS = SearchAttributeKey.for_keyword_list("DeviceIds")
MPXNS = SearchAttributeKey.for_keyword_list("Mpxns")
BAD_PROCESS = SearchAttributeKey.for_keyword("BadProcess")

SEARCH_ATTRIBUTES = ((DEVICE_IDS, "KEYWORD_LIST"), (MPXNS, "KEYWORD_LIST"), (BAD_PROCESS, "KEYWORD"))

#: ``BadProcess`` of the workflows that are not a User's BAD process but concern a device
DCC_SERVICE_REQUEST = "dcc_service_request"      # the DCC's processing of one Device request (BAD 7.8)
DCC_POWER_OUTAGE = "dcc_power_outage"            # the DCC's 3-minute watch on a CH's mains (BAD 7.5.6.5.2)
DCC_POST_COMMISSIONING = "dcc_post_commissioning"  # the DCC's own duties after Commissioning (SEC AC 5)
DEVICE_TIMER = "device_timer"                    # the fleet: timed device behaviour (a HAN join completing…)
WAN_DELIVERY = "wan_delivery"                    # the fleet: a Command crossing a slow SM WAN

def normalised_device_ids(values: Iterable[str | None]) -> list[str]:
    """``values`` in the DUIS EUI-64 form, without blanks, non-EUI-64 values or repeats, in order."""
    out: dict[str, None] = {}
    for value in values:
        if not value:
            continue
        try:
            out[normalise_eui64(value)] = None
        except InvalidEui64:
            continue
    return list(out)


def device_id_elements() -> frozenset[str]:
    """The body elements of a DUIS request that name a Device: every element of type ``sr:EUI`` in the DUIS schema in
    use (``dccflow.duis.leaves.element_kinds``): 8.11's DeviceID, 8.7.x's OtherDeviceID, the old and new CH of a
    replacement, the Device to suspend…"""
    from dccflow.duis.leaves import element_kinds

    return element_kinds().eui


def devices_named(body: object) -> list[str]:
    """The Device ids a parsed DUIS request body names in :func:`device_id_elements`, at any depth."""
    return _named(body, device_id_elements())


def _named(body: object, names: frozenset[str]) -> list[str]:
    found: list[str] = []
    if isinstance(body, dict):
        for key, value in body.items():
            if key in names and isinstance(value, str):
                found.append(value)
            else:
                found += _named(value, names)
    elif isinstance(body, list):
        for item in body:
            found += _named(item, names)
    return found


def device_search_attributes(process: str, devices: Iterable[str | None],
                             mpxns: Iterable[str | None] = ()) -> TypedSearchAttributes:
    """The search attributes of a workflow that concerns ``devices`` (ids normalised) and ``mpxns``."""
    pairs = [SearchAttributePair(BAD_PROCESS, process), SearchAttributePair(DEVICE_IDS, normalised_device_ids(devices))]
    mpxn_list = list(dict.fromkeys(m.strip() for m in mpxns if m and m.strip()))
    if mpxn_list:
        pairs.append(SearchAttributePair(MPXNS, mpxn_list))
    return TypedSearchAttributes(pairs)


def process_search_attributes(process: str, device_ids: list[str], mpxns: list[str]) -> TypedSearchAttributes:
    """The search attributes of a User's process workflow (BAD 7.2.x)."""
    return TypedSearchAttributes([
        SearchAttributePair(BAD_PROCESS, process),
        SearchAttributePair(DEVICE_IDS, normalised_device_ids(device_ids)),
        SearchAttributePair(MPXNS, mpxns),
    ])


def devices_named_in(xml: bytes) -> list[str]:
    """:func:`devices_named` read from a request's XML (parsed securely), once each, in order: for a request kept
    as bytes (the DCC's request log)."""
    from lxml import etree

    from dccflow.duis.schema import secure_parse

    names = device_id_elements()
    return list(dict.fromkeys(el.text.strip() for el in secure_parse(xml).iter()
                              if isinstance(el.tag, str) and etree.QName(el).localname in names
                              and el.text and el.text.strip()))

