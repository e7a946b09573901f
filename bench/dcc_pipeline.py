"""How many Service Requests per second the simulated DCC's pipeline takes, beside the raw crypto it must do.

    python bench/dcc_pipeline.py [--n 500] [--profile] [--no-http]

Each request is a signed SRV 8.14.1 'Communications Hub Status Update - Install Success' (Non-Device), signed
beforehand by the Supplier (the User's cost is not measured). A Non-Device request is processed at once and
answered synchronously (AB 16.1), so one ``DccService.submit`` is the whole pipeline, as in production minus
Temporal and the network: hardened parse, DUIS 5.4 schema validation, XML signature verification (exclusive
c14n, SHA-256, ECDSA P-256), Confirm Validity (certificate path, verified once per certificate, then validity
window and a revocation look-up in the repository on every request), role and SR-specific checks against the
SMI, anti-replay, processing, then the Service Response built (a template proved schema-valid by the tests),
signed with the DCC's P-256 key, and the request log entry (with the reply), the CH asset record, the logged
response and the service-level record written to SQLite in one transaction committed before ``submit`` returns
(WAL, synchronous=NORMAL).

Requests are submitted one after another: the pipeline figure is single-request latency (mean and median), and
requests/s is its inverse. No throughput with many requests in flight is claimed: ``submit`` is CPU-bound in one
thread, so overlapping requests would share the same CPU, and grouping their commits could save at most the
commit time printed below. The baseline is the crypto that cannot be avoided per request, on the same machine in
the same run: one ECDSA P-256 verify (the User's signature) plus one ECDSA P-256 sign (the DCC's response), over
a real SignedInfo. The judged ratio is mean pipeline latency / mean baseline; target: within 4x. Nothing here is
asserted; speed is measured, never tested.

Also printed: ``submit`` through the DCC's HTTP interface on a loopback socket (what the HTTP transport adds),
the main stages timed one by one, and where the pipeline's time goes: the stages' XML work beside the ECDSA
itself, the SQLite driver's own time for the statements and the commit (timed in a run of the same pipeline),
and what is left, which is SQLAlchemy (session, Core and ORM) and the Python of the checks.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402

from activities.credentials import UserKeyStore  # noqa: E402
from dccflow.db import get_engine, session_scope  # noqa: E402
from dccflow.domain.devices import DeviceType  # noqa: E402
from dccflow.domain.roles import UserRole  # noqa: E402
from dccflow.domain.smi import SmiStatus  # noqa: E402
from dccflow.duis import requests as duis  # noqa: E402
from dccflow.duis.messages import request_from_element, to_bytes  # noqa: E402
from dccflow.duis.responses import build_service_response  # noqa: E402
from dccflow.duis.schema import secure_parse, validate  # noqa: E402
from dccflow.parties import DCC_ID, SUPPLIER  # noqa: E402
from dccflow.security.xmldsig import DS_NS, sign, verify_with_digest  # noqa: E402
from dccsim.inventory import Inventory  # noqa: E402
from dccsim.outbound import Outbound  # noqa: E402
from dccsim.service import DccService  # noqa: E402
from dccsim.smki import SmkiRepository  # noqa: E402

SUPPLIER_ID = SUPPLIER.user_ids[UserRole.IMPORT_SUPPLIER]
CHF = "00-DB-12-34-56-78-90-C1"
AT = datetime(2025, 3, 4, 10, 30, tzinfo=UTC)
WARM_UP = 20


class _NoTemporal:
    """Stands in for the Temporal client: accepting a request starts no workflow in the benchmark."""

    async def start_workflow(self, *args, **kwargs) -> None:
        return None


async def _no_delivery(recipient: str, xml: bytes) -> None:
    return None


class Bench:
    def __init__(self, folder: Path):
        self.engine = get_engine(f"sqlite:///{folder / 'bench.db'}")
        self.smki = SmkiRepository(self.engine)
        self.smki.ensure_authorities(DCC_ID)
        self.keys = UserKeyStore(self.engine)
        self.keys.ensure_parties(self.smki)
        outbound = Outbound(self.engine, self.smki)
        outbound.connect(_no_delivery)
        self.dcc = DccService(self.engine, self.smki, outbound)
        self.dcc.connect(client=_NoTemporal(), wan=None)  # type: ignore[arg-type]
        with session_scope(self.engine) as s:
            Inventory(s).add(CHF, DeviceType.CHF, SmiStatus.PENDING, AT, reason="benchmark set-up")
        self._counter = 0

    def requests(self, n: int) -> list[tuple[str, bytes]]:
        cred = self.keys.get(SUPPLIER_ID)
        out = []
        for _ in range(n):
            self._counter += 1
            rid = f"{SUPPLIER_ID}:{DCC_ID}:{self._counter}"
            el = duis.communications_hub_status_update_install_success(request_id=rid, chf_id=CHF, mpxn="1234567890123")
            out.append((rid, to_bytes(sign(el, cred.key, cred.cert))))
        return out

    async def pipeline(self, batch: list[tuple[str, bytes]], offset: timedelta = timedelta()) -> list[float]:
        times = []
        for i, (rid, xml) in enumerate(batch):
            start = time.perf_counter()
            reply = await self.dcc.submit(xml, AT + offset + timedelta(seconds=i))
            times.append(time.perf_counter() - start)
            _accepted(rid, reply)
        return times

    async def over_http(self, batch: list[tuple[str, bytes]]) -> list[float]:
        """``submit`` through the DCC's HTTP interface on a loopback socket (uvicorn + httpx, one connection)."""
        from activities.http_transport import HttpTransport
        from dccflow_app.http_stack import LoopbackServer
        from dccsim.http_api import SimClock, create_dcc_app

        clock = SimClock()  # the stack's own sender tells the DCC the time, as in dccflow_app.http_stack
        server = LoopbackServer(create_dcc_app(self.dcc, sim_clock=clock))
        await server.start()
        times = []
        try:
            async with HttpTransport(server.url, sim_clock=clock) as transport:
                for i, (rid, xml) in enumerate(batch):
                    start = time.perf_counter()
                    reply = await transport.submit(xml, AT + timedelta(seconds=i))
                    times.append(time.perf_counter() - start)
                    _accepted(rid, reply)
        finally:
            await server.stop()
        return times


def _accepted(rid: str, reply) -> None:
    if reply.outcome != "accepted" or (reply.code or "I0") != "I0":
        raise SystemExit(f"benchmark request {rid} was {reply.outcome}: {reply.reason}")


def raw_crypto(n: int, bench: Bench, sample_xml: bytes) -> list[float]:
    """ECDSA P-256 verify of a User's SignedInfo + ECDSA P-256 sign of a DCC SignedInfo, per request."""
    from lxml import etree

    user = bench.keys.get(SUPPLIER_ID)
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


def stages(bench: Bench, batch: list[tuple[str, bytes]]) -> dict[str, float]:
    """Mean microseconds of the pipeline's main stages, each timed on its own over the same requests."""
    dcc = bench.smki.dcc_credential()
    cert = bench.keys.get(SUPPLIER_ID).cert
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
              lambda req, root: bench.smki.confirm_validity(cert, AT, session=s))
    timed("build_service_response (template)", lambda req, root: build_service_response(
        request_id=req[0], response_code="I0", at=AT, service_reference_variant="8.14.1"))
    unsigned = {req[0]: build_service_response(request_id=req[0], response_code="I0", at=AT,
                                               service_reference_variant="8.14.1") for req in batch}
    timed("xmldsig sign (digest + ECDSA)", lambda req, root: sign(unsigned[req[0]], dcc.key, dcc.cert))
    return timers


#: the stages whose sum, less the ECDSA baseline, is the pipeline's XML work
XML_STAGES = ("secure_parse", "schema validate (request)", "request_from_element", "xmldsig verify (digest + ECDSA)",
              "build_service_response (template)", "xmldsig sign (digest + ECDSA)")


async def database_time(bench: Bench, batch: list[tuple[str, bytes]]) -> tuple[float, float, float, float]:
    """(mean us/request of the run, statements per request, us/request in the SQLite driver executing them,
    us/request committing) over a second run of the same pipeline, timed at the dialect's calls into the driver."""
    dialect = bench.engine.dialect
    spent = {"execute": 0.0, "commit": 0.0, "statements": 0}
    do_execute, do_commit = dialect.do_execute, dialect.do_commit

    def timed_execute(cursor, statement, parameters, context=None):
        start = time.perf_counter()
        try:
            return do_execute(cursor, statement, parameters, context)
        finally:
            spent["execute"] += time.perf_counter() - start
            spent["statements"] += 1

    def timed_commit(dbapi_connection):
        start = time.perf_counter()
        try:
            return do_commit(dbapi_connection)
        finally:
            spent["commit"] += time.perf_counter() - start

    dialect.do_execute, dialect.do_commit = timed_execute, timed_commit
    try:
        times = await bench.pipeline(batch, offset=timedelta(hours=1))
    finally:
        del dialect.do_execute, dialect.do_commit  # back to the class's methods
    n = len(batch)
    return (statistics.mean(times) * 1e6, spent["statements"] / n, spent["execute"] / n * 1e6,
            spent["commit"] / n * 1e6)


def _us(values: list[float]) -> tuple[float, float]:
    return statistics.mean(values) * 1e6, statistics.median(values) * 1e6


async def main(n: int, profile: bool, with_http: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="dccflow-bench-") as folder:
        bench = Bench(Path(folder))
        await bench.pipeline(bench.requests(WARM_UP))  # schema compiled, caches and SQLite pages warm
        batch = bench.requests(n)
        profiler = cProfile.Profile() if profile else None
        if profiler:
            profiler.enable()
        pipeline = await bench.pipeline(batch)
        if profiler:
            profiler.disable()
        crypto = raw_crypto(n, bench, batch[0][1])
        http = await bench.over_http(bench.requests(min(n, 200))) if with_http else []
        parts = stages(bench, bench.requests(min(n, 200)))
        run_us, statements, sql_us, commit_us = await database_time(bench, bench.requests(n))
    p_mean, p_median = _us(pipeline)
    c_mean, c_median = _us(crypto)
    print(f"DCC pipeline, SRV 8.14.1 Non-Device, N={n} one at a time (after {WARM_UP} warm-up), "
          f"Python {sys.version.split()[0]}")
    print(f"  pipeline (DccService.submit, single-request latency): {p_mean:6.0f} us/request mean, {p_median:6.0f} "
          f"median -> {1e6 / p_mean:6.0f} requests/s")
    print(f"  raw ECDSA P-256 verify + sign (baseline):             {c_mean:6.0f} us/request mean, {c_median:6.0f} "
          f"median -> {1e6 / c_mean:6.0f} /s")
    ratio = p_mean / c_mean
    verdict = "within" if ratio <= 4 else "ABOVE"
    print(f"  judged ratio, mean pipeline latency / mean baseline: {ratio:.1f}x ({verdict} the 4x target; "
          f"medians: {p_median / c_median:.1f}x)")
    if http:
        h_mean, h_median = _us(http)
        print(f"  same, over HTTP (loopback, uvicorn + httpx): {h_mean:6.0f} us/request mean, {h_median:6.0f} median "
              f"(+{h_mean - p_mean:.0f} us for HTTP)")
    print("  stages, timed separately (us/request):")
    for name, us in sorted(parts.items(), key=lambda kv: -kv[1]):
        print(f"    {us:8.0f}  {name}")
    xml_us = sum(parts[name] for name in XML_STAGES) - c_mean
    rest = run_us - c_mean - xml_us - sql_us - commit_us
    print(f"  where the time goes, in a second run of {n} with the SQLite driver timed ({run_us:.0f} us/request mean):")
    print(f"    {c_mean:8.0f}  ECDSA verify + sign (the baseline)")
    print(f"    {xml_us:8.0f}  XML: parse, schema, read, c14n + digests, response template, signature elements")
    print(f"    {sql_us:8.0f}  SQLite driver executing {statements:.0f} statements")
    print(f"    {commit_us:8.0f}  SQLite commit (WAL, synchronous=NORMAL; includes the periodic checkpoints)")
    print(f"    {rest:8.0f}  the rest: SQLAlchemy (session, Core, ORM) and the checks' Python")
    if profiler:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(20)
        print(text.getvalue())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=500, help="measured requests (default 500)")
    parser.add_argument("--profile", action="store_true", help="cProfile the pipeline run and print the top")
    parser.add_argument("--no-http", action="store_true", help="skip the submit-over-HTTP measurement")
    args = parser.parse_args()
    asyncio.run(main(args.n, args.profile, not args.no_http))
