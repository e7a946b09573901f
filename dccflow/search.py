"""Search attributes set on every process workflow so the Temporal Web UI can find a device's processes:
e.g. ``DeviceIds = '00-DB-12-03-00-00-00-01'`` or ``Mpxns = '1300000000019'``."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

DEVICE_IDS = SearchAttributeKey.for_keyword_list("DeviceIds")
MPXNS = SearchAttributeKey.for_keyword_list("Mpxns")
BAD_PROCESS = SearchAttributeKey.for_keyword("BadProcess")

SEARCH_ATTRIBUTES = ((DEVICE_IDS, "KEYWORD_LIST"), (MPXNS, "KEYWORD_LIST"), (BAD_PROCESS, "KEYWORD"))


def process_search_attributes(process: str, device_ids: list[str], mpxns: list[str]) -> TypedSearchAttributes:
    return TypedSearchAttributes([
        SearchAttributePair(BAD_PROCESS, process),
        SearchAttributePair(DEVICE_IDS, device_ids),
        SearchAttributePair(MPXNS, mpxns),
    ])
