"""Fuzzing the DCC User Interface with mutated DUIS reference samples (issue 11).

Each example takes a request from the shared DUIS samples, gives it one of this project's Users as sender and a
Device of a premises (or the DCC) as target, mutates leaves, attributes and structure, signs it with the User's
test credential (or leaves it unsigned when it cannot be signed) and submits it to a ``DccService``. Whatever
comes in:

* no exception escapes ``submit``;
* every answer is silence (SEC AB 6.3), a transport-level refusal with no DUIS body (check A), or a DUIS
  response that is valid against the schema and signed by the DCC;
* a rejected request changes nothing the DCC holds (SMI, request log, deliveries, devices …).

``DCCFLOW_FUZZ_EXAMPLES`` sets the number of examples (default 1000, derandomised: the same examples in every CI
run, well within a minute); set, the examples are random. E.g.
``DCCFLOW_FUZZ_EXAMPLES=5000 pytest -q tests/dcc/test_dcc_fuzz.py`` for a longer run.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections import Counter
from pathlib import Path

import pytest
from dcc_support import (
    CHF,
    DISTRIBUTOR,
    ESME,
    GAS_SUPPLIER_A,
    GPF,
    MPAN,
    NEW_ESME,
    SUPPLIER_A,
    SUPPLIER_B,
    dcc_state,
    now,
    premises,
    valid_and_signed_by_dcc,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from dccflow.config import Settings
from dccflow.duis.messages import to_bytes
from dccflow.duis.schema import NS_DS, shared_dir
from dccflow.parties import DCC_ID
from dccflow.security.xmldsig import SignatureError, sign
from dccflow_app.embedded import start_time_skipping
from dccflow_app.runtime import Runtime, register_search_attributes
from dccsim.rejections import PROCESSING_CODES

EXAMPLES = int(os.environ.get("DCCFLOW_FUZZ_EXAMPLES", "1000"))
SR = "{http://www.dccinterface.co.uk/ServiceUserGateway}"
_EUI = re.compile(r"[0-9A-Fa-f]{2}(-[0-9A-Fa-f]{2}){7}")
XSI = "http://www.w3.org/2001/XMLSchema-instance"
USERS = (SUPPLIER_A, SUPPLIER_A, SUPPLIER_B, GAS_SUPPLIER_A, DISTRIBUTOR)
TARGETS = (DCC_ID, DCC_ID, CHF, GPF, ESME, ESME, NEW_ESME, DCC_ID.lower(), ESME.lower())
#: leaf values worth trying: blank, padded or re-cased IDs, extremes of the DUIS types, junk
LEAF_VALUES = ("", "   ", "0", "-1", "18446744073709551615", "9223372036854775808", "true", "x" * 300,
               "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "2026-02-30T00:00:00Z",
               ESME.lower(), f"  {ESME}  ", DCC_ID, CHF, "1300000009011", "ÿ\u202e\u00a0", "AA==", "00" * 64)


def _samples() -> list[Path]:
    try:
        folder = shared_dir() / "duis" / "samples"
    except Exception:  # noqa: BLE001 - no shared folder: the fixture below skips
        return []
    return sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []


SAMPLES = _samples()


@pytest.fixture
async def dcc_only(tmp_path: Path):
    """The DCC and its data, on a time-skipping server with no workers: an accepted Device request starts its
    DCC workflow, which does not run, so nothing changes behind the fuzzer's back between two examples."""
    if not SAMPLES:
        pytest.skip("the DUIS samples are not in the shared folder")
    env = await start_time_skipping()
    try:
        await register_search_attributes(env.client)
        runtime = Runtime(Settings(data_dir=tmp_path), env.client)
        premises(runtime)
        yield runtime
    finally:
        await env.shutdown()


def _leaves(root: etree._Element) -> list[etree._Element]:
    body = root.find(f"{SR}Body")
    return [el for el in body.iter() if isinstance(el.tag, str) and len(el) == 0] if body is not None else []


def _elements(root: etree._Element) -> list[etree._Element]:
    body = root.find(f"{SR}Body")
    return [el for el in body.iter() if isinstance(el.tag, str)][1:] if body is not None else []


@st.composite
def mutation(draw):
    kind = draw(st.sampled_from(("leaf", "leaf-text", "attribute", "xsi", "remove", "duplicate", "counter",
                                 "relative-ns")))
    return kind, draw(st.integers(min_value=0, max_value=10_000)), draw(
        st.one_of(st.sampled_from(LEAF_VALUES), st.text(max_size=40)))


def _apply(root: etree._Element, kind: str, pick: int, value: str) -> bytes | None:
    """Mutate ``root`` in place; a mutation that lxml cannot express on a tree returns the bytes to send."""
    leaves, elements = _leaves(root), _elements(root)
    clean = "".join(c for c in value if c.isprintable() or c in "\t\n")  # XML 1.0 characters only
    if kind == "leaf" and leaves:
        leaves[pick % len(leaves)].text = clean
    elif kind == "leaf-text" and leaves:
        el = leaves[pick % len(leaves)]
        el.text = (el.text or "").upper() if pick % 2 else f" {(el.text or '').lower()} "
    elif kind == "attribute" and elements:
        elements[pick % len(elements)].set("attr", clean)
    elif kind == "xsi" and elements:
        name, text = (("nil", "false"), ("nil", "true"), ("type", "sr:EUI"), ("type", "xs:string"))[pick % 4]
        elements[pick % len(elements)].set(f"{{{XSI}}}{name}", text)
    elif kind == "remove" and elements:
        el = elements[pick % len(elements)]
        el.getparent().remove(el)
    elif kind == "duplicate" and elements:
        el = elements[pick % len(elements)]
        el.addnext(etree.fromstring(etree.tostring(el)))
    elif kind == "counter":
        rid = root.find(f"{SR}Header/{SR}RequestID")
        head, _, _ = rid.text.rpartition(":")
        rid.text = f"{head}:{(2**63, 2**64 - 1, 0, pick)[pick % 4]}"
    elif kind == "relative-ns":
        return to_bytes(root).replace(b"<sr:Body>", b'<sr:Body xmlns:x="foo">', 1)
    return None


def _request(sample: Path, user: str, target: str, counter: int, devices: list[str],
             mutations) -> tuple[etree._Element, bytes | None]:
    root = etree.fromstring(sample.read_bytes())
    for signature in root.findall(f"{{{NS_DS}}}Signature"):
        root.remove(signature)
    root.find(f"{SR}Header/{SR}RequestID").text = f"{user}:{target}:{counter}"
    # the premises' Devices and MPAN instead of the samples' (so that requests get past the SMI checks)
    euis = [el for el in _leaves(root) if el.text and _EUI.fullmatch(el.text.strip())]
    for i, el in enumerate(euis):
        el.text = devices[i % len(devices)]
    for el in _leaves(root):
        if etree.QName(el).localname.endswith(("MPxN", "MPAN")) and el.text and el.text.strip().isdigit():
            el.text = MPAN
    raw = None
    for kind, pick, value in mutations:
        raw = _apply(root, kind, pick, value) or raw
    return root, raw


async def test_mutated_signed_samples_get_a_defined_answer_and_rejections_change_nothing(dcc_only):
    rt = dcc_only
    loop = asyncio.get_running_loop()
    counters = iter(range(1, 10**9))
    seen: Counter[tuple[str, str | None]] = Counter()

    @settings(max_examples=EXAMPLES, deadline=None, derandomize="DCCFLOW_FUZZ_EXAMPLES" not in os.environ,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(sample=st.sampled_from(SAMPLES), user=st.sampled_from(USERS), target=st.sampled_from(TARGETS),
           devices=st.lists(st.sampled_from((CHF, GPF, ESME, NEW_ESME)), min_size=1, max_size=3),
           mutations=st.one_of(st.just([]), st.lists(mutation(), max_size=3)),
           signed=st.sampled_from((True, True, True, False)))
    def example(sample, user, target, devices, mutations, signed):
        root, raw = _request(sample, user, target, next(counters), devices, mutations)
        xml = raw if raw is not None else to_bytes(root)
        if signed and raw is None:
            cred = rt.keys.get(user)
            try:
                xml = to_bytes(sign(root, cred.key, cred.cert))
            except (SignatureError, ValueError):
                pass  # what cannot be signed goes unsigned
        before = dcc_state(rt)
        reply = asyncio.run_coroutine_threadsafe(rt.dcc.submit(xml, now()), loop).result(timeout=60)
        seen[reply.outcome, reply.code] += 1
        if reply.outcome == "silent":
            assert reply.xml is None and reply.code is None
        elif reply.xml is not None:
            answer = valid_and_signed_by_dcc(reply.xml)
            assert answer.response_code == reply.code
        else:
            assert reply.outcome == "rejected" and reply.code == "E1", reply  # check A: no DUIS Response
        if reply.outcome != "accepted" and reply.code not in PROCESSING_CODES.values():  # refused by a check
            assert dcc_state(rt) == before, reply  # (a processing error code answers a request the DCC took)
        assert reply.code != "E1000", reply.reason  # no DCC failure: every input has a defined answer

    await asyncio.to_thread(example)
    assert {outcome for outcome, _ in seen} == {"accepted", "rejected", "silent"}, seen  # the fuzzer goes deep
