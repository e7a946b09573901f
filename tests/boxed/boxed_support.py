"""Helpers for the DCC Boxed drop-in tests (issue #19): DCC's own signing tool run as DCC Boxed's users run it,
a User's response endpoint, and DUIS reading done with lxml alone (not with dccflow's DUIS code)."""

from __future__ import annotations

import asyncio
import base64
import shutil
import tempfile
import zipfile
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from fastapi import FastAPI, Request, Response
from interop_tools import ToolResult, dcc_tool_jar, run_tool_batch
from lxml import etree

from dccflow.duis.schema import shared_dir

SR = "http://www.dccinterface.co.uk/ServiceUserGateway"
NS = {"sr": SR}
SAMPLES = shared_dir() / "duis" / "samples"
SUPPLIER = "90-B3-D5-1F-30-01-00-00"
NETWORK_OPERATOR = "90-B3-D5-1F-30-02-00-00"
XML = {"Content-Type": "application/xml"}


def _run(jobs: list[list[str]]) -> list[ToolResult]:
    java = shutil.which("java")
    assert java, "DCC's signing tool runs on Java 11 or newer (apt-get install default-jre-headless)"
    return run_tool_batch(java, dcc_tool_jar(), jobs)


def tool_sign_sync(messages: list[bytes], *, preserve_counter: bool = False, with_files: tuple[Path, Path] | None = None
                   ) -> list[bytes]:
    """DCC's tool signs each message as DCC Boxed's users do (``Sign message.xml``: the certificate and key of
    the RequestID's originator from its ZAZ1 library, and a new RequestID counter unless ``--preserveCounter``);
    ``with_files``: a certificate and key (PEM) the tool signs with instead."""
    with tempfile.TemporaryDirectory() as tmp:
        jobs, outs = [], []
        for i, xml in enumerate(messages):
            src, out = Path(tmp) / f"in{i}.xml", Path(tmp) / f"out{i}.xml"
            src.write_bytes(xml)
            jobs.append(["sign", str(out), str(src), *(["--preserveCounter"] if preserve_counter else []),
                         *(map(str, with_files) if with_files else [])])
            outs.append(out)
        results = _run(jobs)
        for result, xml in zip(results, messages, strict=True):
            assert result.code == "SUCCESS", (result, xml[:300])
        return [out.read_bytes() for out in outs]


def tool_validate_sync(messages: list[bytes]) -> list[ToolResult]:
    """DCC's tool validates each message (``Validate message.xml``: DUIS schema, then the signature with the
    certificate its library holds for the KeyInfo's serial: the DSP's for what the DCC signs)."""
    with tempfile.TemporaryDirectory() as tmp:
        jobs = []
        for i, xml in enumerate(messages):
            path = Path(tmp) / f"m{i}.xml"
            path.write_bytes(xml)
            jobs.append(["validate", str(path)])
        return _run(jobs)


async def tool_sign(messages: list[bytes], **kw) -> list[bytes]:
    return await asyncio.to_thread(tool_sign_sync, messages, **kw)


async def tool_validate(messages: list[bytes]) -> list[ToolResult]:
    return await asyncio.to_thread(tool_validate_sync, messages)


def zaz1_key(name: str) -> ec.EllipticCurvePrivateKey:
    """A ZAZ1 private key from the tool's jar (PKCS#8 DER), e.g. ``xml-sign-90B3D51F30010000-ds``."""
    with zipfile.ZipFile(dcc_tool_jar()) as jar:
        return serialization.load_der_private_key(jar.read(f"{name}.key"), password=None)


def zaz1_files(name: str, folder: Path) -> tuple[Path, Path]:
    """A ZAZ1 certificate and its key from the tool's jar, as PEM files the tool's Sign takes."""
    cert, key = folder / f"{name}.pem", folder / f"{name}.key.pem"
    with zipfile.ZipFile(dcc_tool_jar()) as jar:
        cert.write_bytes(jar.read(f"{name}.pem"))
    key.write_bytes(zaz1_key(name).private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()))
    return cert, key


def gbcs_sign(payload: bytes, key: ec.EllipticCurvePrivateKey) -> bytes:
    """A Signed Pre-Command's GBCS Payload as GBCS 4.3.2 forms it: the payload, the signature length (64) and
    the ECDSA P-256 / SHA-256 signature as r || s."""
    r, s = decode_dss_signature(key.sign(payload, ec.ECDSA(hashes.SHA256())))
    return payload + bytes([64]) + r.to_bytes(32, "big") + s.to_bytes(32, "big")


def response_code(xml: bytes) -> str:
    return etree.fromstring(xml).findtext("sr:Header/sr:ResponseCode", namespaces=NS)


def request_id(xml: bytes) -> str:
    return etree.fromstring(xml).findtext("sr:Header/sr:RequestID", namespaces=NS)


def signed_pre_command_request(request: bytes, pre_command: bytes, key: ec.EllipticCurvePrivateKey,
                               command_variant: int = 5) -> bytes:
    """The unsigned Signed Pre-Command answering ``pre_command`` (DUIS: the request's header with CommandVariant
    5, a ``SignedPreCommand`` body carrying the GBCS Payload signed by the User)."""
    payload = base64.b64decode(etree.fromstring(pre_command).findtext(".//sr:PreCommand/sr:GBCSPayload",
                                                                         namespaces=NS))
    root = etree.fromstring(request)
    for signature in root.findall("{http://www.w3.org/2000/09/xmldsig#}Signature"):
        root.remove(signature)
    header = root.find("sr:Header", NS)
    header.find("sr:RequestID", NS).text = request_id(pre_command)
    header.find("sr:CommandVariant", NS).text = str(command_variant)
    body = root.find("sr:Body", NS)
    for child in list(body):
        body.remove(child)
    spc = etree.SubElement(body, f"{{{SR}}}SignedPreCommand")
    etree.SubElement(spc, f"{{{SR}}}GBCSPayload").text = base64.b64encode(gbcs_sign(payload, key)).decode()
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def service_for(xml: bytes) -> str:
    """The DCC Boxed service a request goes to, by its CommandVariant (DUIS)."""
    cv = int(etree.fromstring(xml).findtext("sr:Header/sr:CommandVariant", namespaces=NS))
    return "/api/v1/serviceD" if cv == 8 else "/api/v1/serviceT" if cv == 4 else "/api/v1/serviceS"


class ResponseEndpoint:
    """A User's response endpoint as DCC Boxed calls it: POST application/xml, 204 when taken, 400 when not."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self._arrived = asyncio.Condition()
        self.app = FastAPI()

        @self.app.post("/response")
        async def receive(request: Request) -> Response:
            if request.headers.get("content-type", "").split(";")[0].strip() != "application/xml":
                return Response(status_code=400)
            body = await request.body()
            try:
                etree.fromstring(body)
            except etree.XMLSyntaxError:
                return Response(status_code=400)
            async with self._arrived:
                self.received.append(body)
                self._arrived.notify_all()
            return Response(status_code=204)

    async def wait_for(self, rid: str, timeout: float = 60) -> list[bytes]:
        """Every message received for RequestID ``rid``, once at least one has arrived."""
        def found() -> list[bytes]:
            return [m for m in self.received if request_id(m) == rid]

        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(found), timeout)
            return found()
