"""A Service Response without payload is built from a fixed template and not schema-validated at run time
(``dccflow.duis.responses.build_service_response``): these tests are what proves that template valid, for every
ServiceReferenceVariant, every ResponseCode and the extreme values of its other fields."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from duis_support import DCC, USER

from dccflow.duis.messages import make_request_id
from dccflow.duis.responses import RESPONSE_CODES, build_service_response, make_response_id
from dccflow.duis.schema import DuisError, schema_enumeration, validate

SRVS = schema_enumeration("ServiceReferenceVariant")
MAX_COUNTER = 2**64 - 1


def test_every_srv_with_every_response_code_is_schema_valid():
    rid = make_request_id(USER, DCC, 7)
    at = datetime(2025, 3, 4, 10, 30, tzinfo=UTC)
    checked = 0
    for srv in SRVS:
        for code in sorted(RESPONSE_CODES):
            validate(build_service_response(request_id=rid, response_code=code, at=at, service_reference_variant=srv))
            checked += 1
    assert checked == len(SRVS) * len(RESPONSE_CODES) > 100


@pytest.mark.parametrize("counter", [0, 1, 10**18, MAX_COUNTER])
@pytest.mark.parametrize("at", [datetime(2025, 3, 4, 10, 30, tzinfo=UTC),
                                datetime(2025, 3, 4, 10, 30, 0, 123456, tzinfo=timezone(timedelta(hours=1))),
                                datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)])
def test_extreme_ids_and_times_are_schema_valid(counter, at):
    for request_id, response_id in ((make_request_id(USER, DCC, counter), None),
                                    (None, make_response_id(DCC, USER, counter)),
                                    (make_request_id(USER, DCC, counter), make_response_id(DCC, USER, counter))):
        validate(build_service_response(request_id=request_id, response_id=response_id, response_code="I0", at=at,
                                        service_reference_variant="8.14.1"))


def test_a_counter_beyond_the_schema_range_is_still_refused():
    rid = f"{make_request_id(USER, DCC, 1).rsplit(':', 1)[0]}:{MAX_COUNTER + 1}"
    with pytest.raises(DuisError, match="exceeds"):
        build_service_response(request_id=rid, response_code="I0", at=datetime(2025, 3, 4, tzinfo=UTC),
                               service_reference_variant="8.14.1")


def test_unknown_code_or_srv_is_refused_without_the_schema():
    at = datetime(2025, 3, 4, tzinfo=UTC)
    with pytest.raises(DuisError):
        build_service_response(request_id=make_request_id(USER, DCC, 1), response_code="I1", at=at,
                               service_reference_variant="8.14.1")
    with pytest.raises(DuisError):
        build_service_response(request_id=make_request_id(USER, DCC, 1), response_code="I0", at=at,
                               service_reference_variant="99.9")
