"""Independent XML signature implementations, for interop tests: material dccflow did not write.

* **DCC's own tooling**: the DCC Boxed signing tool (``tool.jar``, GPL-3.0), as DCC publishes it in the npm package
  ``@smartdcc/duis-sign-wrap``. It is fetched from the npm registry once (``npm pack``), checked against the
  registry's published sha512 integrity, and kept in ``~/.cache/dccflow/`` (or ``$DCCFLOW_DCC_SIGNING_TOOL``
  names a ``tool.jar``). It runs on the machine's Java (11 or newer); ``tests/interop/DccToolBatch.java`` drives
  its ``Sign`` and ``Validate`` entry points over many messages in one JVM.
* **signxml** (PyPI), a conformant XMLDSig implementation on lxml, in both directions.

Neither is imported by dccflow itself.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import functools
import hashlib
import os
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from lxml import etree

TOOL_PACKAGE = "@smartdcc/duis-sign-wrap"
TOOL_VERSION = "0.1.2"
#: the npm registry's dist.integrity for that version (npm view @smartdcc/duis-sign-wrap@0.1.2 dist.integrity)
TOOL_INTEGRITY = "sha512-75KX971ymBkNyL2e761c4HYQ4OinTCFfqW+SoCRtFC9cWm4CirKQ5CfSUp0zCFH8LcSyHhDwRL0cVtOj5NeIHg=="
BATCH = Path(__file__).resolve().parent / "interop" / "DccToolBatch.java"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"


class InteropToolMissing(RuntimeError):
    """An interop tool cannot be had on this machine (the message says what to install)."""


def _cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "dccflow" / f"duis-sign-wrap-{TOOL_VERSION}"


def _fetch_tool_jar(target: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise InteropToolMissing(f"npm is needed once to fetch DCC's signing tool ({TOOL_PACKAGE}@{TOOL_VERSION}) "
                                 "from the npm registry; or set DCCFLOW_DCC_SIGNING_TOOL to its tool.jar")
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run([npm, "pack", f"{TOOL_PACKAGE}@{TOOL_VERSION}", "--pack-destination", tmp,
                               "--silent"], capture_output=True, text=True, timeout=300)
        if done.returncode:
            raise InteropToolMissing(f"npm pack {TOOL_PACKAGE}@{TOOL_VERSION} failed: {done.stderr.strip()}")
        (tgz,) = Path(tmp).glob("*.tgz")
        integrity = "sha512-" + base64.b64encode(hashlib.sha512(tgz.read_bytes()).digest()).decode()
        if integrity != TOOL_INTEGRITY:
            raise InteropToolMissing(f"{tgz.name} does not match the registry's integrity {TOOL_INTEGRITY}")
        with tarfile.open(tgz) as archive:
            member = archive.extractfile("package/dist/tool.jar")
            assert member is not None
            # a file of this process's own beside the target, renamed over it: a reader (another pytest-xdist
            # worker, another checkout) sees no jar or the whole jar, never a part
            fd, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(member.read())
                os.chmod(partial, 0o644)  # mkstemp's 0600 aside: a cache file like any other
                os.replace(partial, target)
            except BaseException:
                Path(partial).unlink(missing_ok=True)
                raise


@contextlib.contextmanager
def _cache_lock(cache: Path):
    """Held while the jar is looked for and fetched, so parallel test processes fetch it once (POSIX ``flock``;
    elsewhere each may fetch, harmlessly, since the jar is renamed into place whole)."""
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / ".lock", "a") as handle:
        try:
            import fcntl
        except ImportError:
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@functools.cache
def dcc_tool_jar() -> Path:
    """DCC's signing tool, fetched once (see the module docstring)."""
    named = os.environ.get("DCCFLOW_DCC_SIGNING_TOOL")
    if named:
        return Path(named)
    jar = _cache_dir() / "tool.jar"
    if not jar.is_file():
        with _cache_lock(jar.parent):
            if not jar.is_file():
                _fetch_tool_jar(jar)
    return jar


@dataclass(frozen=True)
class ToolResult:
    code: str  # the tool's ResultCode: SUCCESS, VALIDATION_FAIL, MISSING_KEY, GENERIC_ERROR
    diagnostic: str  # its last [I]/[W]/[E] line

    @property
    def signature_verified(self) -> bool:
        return self.code == "SUCCESS" and self.diagnostic == "[I] passed signature check"


class DccSigningTool:
    """DCC's DUIS signing tool, run in one JVM per batch of messages."""

    def __init__(self) -> None:
        self.java = shutil.which("java")
        if self.java is None:
            raise InteropToolMissing("DCC's signing tool runs on Java 11 or newer: install a JRE "
                                     "(apt-get install default-jre-headless)")
        self.jar = dcc_tool_jar()

    def _run(self, jobs: list[list[str]]) -> list[ToolResult]:
        return run_tool_batch(self.java, self.jar, jobs)

    def validate(self, messages: list[tuple[bytes, x509.Certificate]]) -> list[ToolResult]:
        """The tool's Validate (its schema check, then the XML signature with that certificate) on each message."""
        with tempfile.TemporaryDirectory() as tmp:
            jobs = []
            for i, (xml, cert) in enumerate(messages):
                xml_path, cert_path = Path(tmp) / f"m{i}.xml", Path(tmp) / f"c{i}.pem"
                xml_path.write_bytes(xml)
                cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
                jobs.append(["validate", str(xml_path), str(cert_path)])
            return self._run(jobs)

    def sign(self, xml: bytes, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> tuple[ToolResult, bytes]:
        """The tool's Sign with that certificate and key (it sets a new RequestID counter, as it always does)."""
        with tempfile.TemporaryDirectory() as tmp:
            paths = [Path(tmp) / name for name in ("in.xml", "cert.pem", "key.pem", "out.xml")]
            paths[0].write_bytes(xml)
            paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
            paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                   serialization.NoEncryption()))  # PEM PKCS#8, as the tool reads
            (result,) = self._run([["sign", str(paths[3]), *map(str, paths[:3])]])
            return result, paths[3].read_bytes()


@functools.cache
def _batch_command(java: str, jar: str) -> tuple[str, ...]:
    """How to start ``DccToolBatch``: compiled once per test process when a JDK is there, else from source."""
    javac = shutil.which("javac")
    if javac is not None:
        classes = tempfile.mkdtemp(prefix="dcc-tool-batch-")  # per process: parallel-safe
        atexit.register(shutil.rmtree, classes, ignore_errors=True)
        done = subprocess.run([javac, "-cp", jar, "-d", classes, str(BATCH)], capture_output=True, text=True,
                              timeout=300)
        if done.returncode == 0:
            return java, "-cp", os.pathsep.join([jar, classes]), "DccToolBatch"
    return java, "-cp", jar, str(BATCH)


def run_tool_batch(java: str, jar: str | Path, jobs: list[list[str]]) -> list[ToolResult]:
    """DCC's signing tool over ``jobs`` (``DccToolBatch``'s lines) in one JVM: one result a job, in order."""
    with tempfile.TemporaryDirectory() as tmp:
        manifest = Path(tmp) / "jobs.tsv"
        manifest.write_text("".join("\t".join(job) + "\n" for job in jobs), encoding="utf-8")
        done = subprocess.run([*_batch_command(java, str(jar)), str(manifest)], capture_output=True, text=True,
                              timeout=600)
    if done.returncode:
        raise RuntimeError(f"DCC's signing tool did not run: {done.stderr.strip()}")
    results = []
    for line in done.stdout.splitlines():
        _, code, diagnostic = line.split("\t", 2)
        results.append(ToolResult(code, diagnostic))
    assert len(results) == len(jobs), done.stdout
    return results


@functools.cache
def dcc_signing_tool() -> DccSigningTool:
    return DccSigningTool()


# ------------------------------------------------------------------------------------------------------ signxml


def _signxml_config(at: datetime):
    from signxml import DigestAlgorithm, SignatureConfiguration, SignatureMethod

    return SignatureConfiguration(signature_methods=frozenset({SignatureMethod.ECDSA_SHA256}),
                                  digest_algorithms=frozenset({DigestAlgorithm.SHA256}), verification_time=at)


def signxml_verify(xml: bytes, cert: x509.Certificate) -> bytes:
    """Verify ``xml``'s signature with signxml against ``cert`` (its validity period aside: checked at a moment
    inside it); return the signed content as signxml sees it. Raises signxml's InvalidSignature otherwise."""
    from signxml import XMLVerifier

    config = _signxml_config(cert.not_valid_before_utc + timedelta(seconds=1))
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    return etree.tostring(XMLVerifier().verify(xml, x509_cert=pem, expect_config=config).signed_xml)


def signxml_sign_duis(root: etree._Element, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate,
                      prefix: str | None = "ds") -> etree._Element:
    """Sign ``root`` with signxml in the DUIS profile: ``URI=""`` with the enveloped-signature transform alone (so
    the Reference is digested by inclusive Canonical XML 1.0, which is not listed), exclusive c14n of SignedInfo,
    ECDSA P-256 with SHA-256, and a KeyInfo naming the certificate by issuer and serial (DUIS carries no
    certificate)."""
    from signxml import DigestAlgorithm, SignatureMethod, XMLSigner
    from signxml.algorithms import CanonicalizationMethod

    class DuisProfileSigner(XMLSigner):  # signxml digests the Reference as its SignedInfo unless told otherwise
        def _unpack(self, data, references):
            sig_root, doc_root, c14n_inputs, default = super()._unpack(data, None)
            return sig_root, doc_root, c14n_inputs, [
                replace(reference, c14n_method=CanonicalizationMethod.CANONICAL_XML_1_0) for reference in default]

    key_info = etree.Element(f"{{{DS_NS}}}KeyInfo", nsmap={prefix: DS_NS})
    issuer_serial = etree.SubElement(etree.SubElement(key_info, f"{{{DS_NS}}}X509Data"),
                                     f"{{{DS_NS}}}X509IssuerSerial")
    etree.SubElement(issuer_serial, f"{{{DS_NS}}}X509IssuerName").text = cert.issuer.rfc4514_string()
    etree.SubElement(issuer_serial, f"{{{DS_NS}}}X509SerialNumber").text = str(cert.serial_number)
    signer = DuisProfileSigner(signature_algorithm=SignatureMethod.ECDSA_SHA256,
                               digest_algorithm=DigestAlgorithm.SHA256,
                               c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0)
    signer.namespaces = {prefix: DS_NS}
    pem_key = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return signer.sign(root, key=pem_key, key_info=key_info, exclude_c14n_transform_element=True,
                       always_add_key_value=False)
