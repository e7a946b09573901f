"""Where the DCC pipeline's time goes, for ``bench/dcc_pipeline.py``: the ECDSA alone, the pipeline's main stages
timed one by one, and the SQLite driver's own time for the statements and the commit in a run of the pipeline."""

from __future__ import annotations

import statistics
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import dcc_floor as floor
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from dccflow.db import session_scope
from dccflow.duis.messages import request_from_element
from dccflow.duis.responses import build_service_response
from dccflow.duis.schema import secure_parse, validate
from dccflow.security.xmldsig import DS_NS, sign, verify_with_digest

if TYPE_CHECKING:
    from dcc_pipeline import Bench


def raw_crypto(n: int, bench: Bench, sample_xml: bytes, user_id: str) -> list[float]:
    """ECDSA P-256 verify of a User's SignedInfo + ECDSA P-256 sign of a DCC SignedInfo, per request."""
    from lxml import etree

    user = bench.keys.get(user_id)
    dcc = bench.smki.dcc_credential()
    root = secure_parse(sample_xml)
    signed_info = etree.tostring(root.find(f"{{{DS_NS}}}Signature/{{{DS_NS}}}SignedInfo"), method="c14n",
                                 exclusive=True)
    signature = user.key.sign(signed_info, ec.ECDSA(hashes.SHA256()))
    public = user.cert.public_key()
    times = []
    for _ in range(n):
        start = time.perf_counter()
        public.verify(signature, signed_info, ec.ECDSA(hashes.SHA256()))
        dcc.key.sign(signed_info, ec.ECDSA(hashes.SHA256()))
        times.append(time.perf_counter() - start)
    return times


def stages(bench: Bench, batch: list[tuple[str, bytes]], user_id: str, at: datetime) -> dict[str, float]:
    """Mean microseconds of the pipeline's main stages, each timed on its own over the same requests."""
    dcc = bench.smki.dcc_credential()
    cert = bench.keys.get(user_id).cert
    roots = [secure_parse(xml) for _, xml in batch]
    timers: dict[str, float] = {}

    def timed(name: str, fn) -> None:
        start = time.perf_counter()
        for item in zip(batch, roots, strict=True):
            fn(*item)
        timers[name] = (time.perf_counter() - start) / len(batch) * 1e6

    timed("secure_parse", lambda req, root: secure_parse(req[1]))
    timed("schema validate (request)", lambda req, root: validate(root))
    timed("request_from_element", lambda req, root: request_from_element(root))
    timed("xmldsig verify (digest + ECDSA)", lambda req, root: verify_with_digest(root, bench.smki.find))
    with session_scope(bench.engine) as s:  # as in the pipeline: inside the request's transaction
        timed("SMKI confirm_validity (cached path + revocation look-up)",
              lambda req, root: bench.smki.confirm_validity(cert, at, session=s))
    timed("build_service_response (template)", lambda req, root: build_service_response(
        request_id=req[0], response_code="I0", at=at, service_reference_variant="8.14.1"))
    unsigned = {req[0]: build_service_response(request_id=req[0], response_code="I0", at=at,
                                               service_reference_variant="8.14.1") for req in batch}
    timed("xmldsig sign (digest + ECDSA)", lambda req, root: sign(unsigned[req[0]], dcc.key, dcc.cert))
    return timers


async def database_time(bench: Bench, batch: list[tuple[str, bytes]]) -> tuple[float, float, float, float]:
    """(mean us/request of the run, statements per request, us/request in the SQLite driver executing them,
    us/request committing) over a second run of the same pipeline, timed at the dialect's calls into the driver."""
    spent = {"execute": 0.0, "commit": 0.0, "statements": 0}

    def timing(name, original):
        if name == "do_commit":
            def timed_commit(dbapi_connection):
                start = time.perf_counter()
                try:
                    return original(dbapi_connection)
                finally:
                    spent["commit"] += time.perf_counter() - start
            return timed_commit

        def timed_execute(*args):
            start = time.perf_counter()
            try:
                return original(*args)
            finally:
                spent["execute"] += time.perf_counter() - start
                spent["statements"] += 1
        return timed_execute

    # the serializable transactions (the intake's) run on a twin engine with a dialect of its own (dccflow.db)
    with floor.driver_calls(bench.engine, timing):
        times = await bench.pipeline(batch, offset=timedelta(hours=1))
    n = len(batch)
    return (statistics.mean(times) * 1e6, spent["statements"] / n, spent["execute"] / n * 1e6,
            spent["commit"] / n * 1e6)
