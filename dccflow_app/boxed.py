"""The ZAZ1 profile of the embedded stack: dccflow in place of DCC Boxed (issue #19).

``dccflow up --pki zaz1 [--dcc-port 8480] [--response-url USER_ID=URL ...] [--tool-jar PATH]`` serves the simulated
DCC's HTTP interface on loopback (DCC Boxed's ``/api/v1/serviceD``, ``serviceS``, ``serviceT``:
``dccsim.boxed_api``) with DCC Boxed's published test PKI (``dccsim.boxed_pki``):

* the DCC signs with the published DSP test key (``dsp-xml-sign-90B3D51F30000002``);
* the Users sign with their published ZAZ1 certificates, as DCC's signing tool does by default; a User ID is a DCC
  User when dccflow's market (``dccflow.parties``) admits it: the ZAZ1 Supplier 90-B3-D5-1F-30-01-00-00 (as Import
  Supplier) and Network Operator 90-B3-D5-1F-30-02-00-00 are; the others are refused with an E-code, as any
  request from a User ID the DCC has not admitted (SEC H3.5);
* the fleet holds the premises DCC's public request templates address (``ZAZ1_PREMISES``), in service: ESME
  00-DB-12-34-56-78-90-A0, GSME …-A1, CHF …-A2, GPF …-A3, PPMID …-9A (the one CS03A1's Join names), HCALCS …-A4,
  IHD …-93, CAD …-9C;
* each User's asynchronous Service Responses and Alerts are POSTed to its ``--response-url`` (else to dccflow's
  own User side).

The certificates and keys are read from DCC's signing tool (``tool.jar`` of the npm package
``@smartdcc/duis-sign-wrap``), which dccflow does not ship: ``--tool-jar``, else ``$DCCFLOW_DCC_SIGNING_TOOL``, else
the copy the interop tests cache (``~/.cache/dccflow/duis-sign-wrap-0.1.2/tool.jar``).
"""

from __future__ import annotations

import asyncio
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import select
from temporalio.client import Client

from dccflow.config import ConfigurationError, Settings
from dccflow.domain.devices import DeviceType
from dccflow.domain.roles import RemotePartyRole
from dccflow.parties import SUPPLIER
from dccsim.boxed_pki import Zaz1Material, Zaz1SmkiRepository, Zaz1Unavailable
from devices.builder import build_premises
from devices.models import DeviceState
from devices.premises import BLOCK_SIZE, premises_ids

PKI_PROFILES = ("generated", "zaz1")
TOOL_VERSION = "0.1.2"
TOOL_JAR_ENV = "DCCFLOW_DCC_SIGNING_TOOL"
#: the premises number its MPAN and MPRN derive from: the last of block 0, whose first numbers scenarios use, and
#: outside every fleet seed's block (``devices.premises.seed_block_start``)
ZAZ1_NUMBER = BLOCK_SIZE - 1
#: the devices DCC's public request templates (the Reference Test Data Set) address
ZAZ1_PREMISES = premises_ids(ZAZ1_NUMBER).model_copy(update={
    "premises_id": "ZAZ1", "esme_id": "00-DB-12-34-56-78-90-A0", "gsme_id": "00-DB-12-34-56-78-90-A1",
    "chf_id": "00-DB-12-34-56-78-90-A2", "gpf_id": "00-DB-12-34-56-78-90-A3", "ppmid_id": "00-DB-12-34-56-78-90-9A",
    "ihd_id": "00-DB-12-34-56-78-90-93", "hcalcs_id": "00-DB-12-34-56-78-90-A4", "cad_id": "00-DB-12-34-56-78-90-9C"})
_EUI64 = re.compile(r"^(?:[0-9A-F]{2}-){7}[0-9A-F]{2}$")


def default_tool_jar() -> Path:
    """Where the interop tests keep DCC's signing tool (``tests/interop_tools.py``)."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "dccflow" / f"duis-sign-wrap-{TOOL_VERSION}" / "tool.jar"


def find_tool_jar(given: Path | None = None) -> Path:
    jar = given or (Path(os.environ[TOOL_JAR_ENV]) if os.environ.get(TOOL_JAR_ENV) else default_tool_jar())
    if not jar.is_file():
        raise ConfigurationError(
            f"the ZAZ1 profile reads DCC's published test certificates from DCC's signing tool, and {jar} is not "
            f"there: npm pack @smartdcc/duis-sign-wrap@{TOOL_VERSION}, extract package/dist/tool.jar and pass it "
            f"with --tool-jar (or set ${TOOL_JAR_ENV})")
    return jar


def parse_response_urls(values: list[str]) -> dict[str, str]:
    """``USER_ID=URL`` options (the User ID in DUIS form, e.g. 90-B3-D5-1F-30-01-00-00)."""
    urls: dict[str, str] = {}
    for value in values:
        user_id, sep, url = value.partition("=")
        user_id = user_id.strip().upper()
        if not sep or not _EUI64.match(user_id) or not re.match(r"^https?://\S+$", url.strip()):
            raise ConfigurationError(f"--response-url {value!r}: expected USER_ID=URL, e.g. "
                                     "90-B3-D5-1F-30-01-00-00=http://127.0.0.1:8000/response")
        urls[user_id] = url.strip()
    return urls


#: the ZAZ1 Digital Signing Organisation Certificates (their names in the jar) the ZAZ1 premises' devices hold in
#: their Supplier and Network Operator cells, as the ZAZ1 Supplier procured them (BAD 7.2.1.5 Table 4 (a)): a
#: Critical Command's Signed Pre-Command is signed with the matching key
ZAZ1_CELLS = {RemotePartyRole.SUPPLIER: "Z1-supplier-ds", RemotePartyRole.NETWORK_OPERATOR: "Z1-networkOperator-ds"}


def provision_zaz1_fleet(engine: Engine, material: Zaz1Material, at: datetime) -> bool:
    """Put ``ZAZ1_PREMISES`` in service once: Supplier A's (90-B3-D5-1F-30-01-00-00) dual-fuel premises with a
    PPMID, IHD, HCALCS and CAD, commissioned and joined, Registration Data for its MPAN and MPRN, and the ZAZ1
    certificates of ``ZAZ1_CELLS`` in its devices' cells. Returns whether it was built now (False: already there)."""
    from dccflow.db import session_scope
    from dccsim.models import SmkiCertificate

    with session_scope(engine) as s:
        if s.get(DeviceState, ZAZ1_PREMISES.chf_id) is not None:
            return False
    build_premises(engine, ZAZ1_NUMBER, at, supplier=SUPPLIER, dual_fuel=True, ppmid=True, ihd=True, hcalcs=True,
                   cad=True, in_service=True, ids=ZAZ1_PREMISES)
    with session_scope(engine) as s:
        ids = {}
        for role, name in ZAZ1_CELLS.items():
            cert = material.certificates[name]
            ids[role.value] = s.exec(select(SmkiCertificate.id).where(
                SmkiCertificate.issuer == cert.issuer.rfc4514_string(),
                SmkiCertificate.serial == str(cert.serial_number))).one()
        for device in s.exec(select(DeviceState).where(DeviceState.premises_id == ZAZ1_PREMISES.premises_id)):
            if DeviceType(device.device_type).is_comms_hub:
                continue  # the DCC populates a CH's cells (Table 4 (b), (d))
            device.anchors = {**device.anchors, **{cell: ref for cell, ref in ids.items() if cell in device.anchors}}
            s.add(device)
    return True


@dataclass
class BoxedProfile:
    """What ``dccflow up --pki zaz1`` changes in the stack."""

    material: Zaz1Material
    response_urls: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, tool_jar: Path | None = None, response_urls: list[str] | None = None) -> BoxedProfile:
        urls = parse_response_urls(response_urls or [])
        try:
            return cls(material=Zaz1Material.from_jar(find_tool_jar(tool_jar)), response_urls=urls)
        except Zaz1Unavailable as exc:
            raise ConfigurationError(str(exc)) from exc

    @staticmethod
    def settings(settings: Settings, dcc_port: int | None = None) -> Settings:
        """The DCC's HTTP interface is always served (on ``dcc_port`` when given)."""
        update: dict = {"dcc_transport": "http"}
        if dcc_port is not None:
            update["dcc_http_port"] = dcc_port
        return settings.model_copy(update=update)

    def smki(self, engine: Engine) -> Zaz1SmkiRepository:
        return Zaz1SmkiRepository(engine, self.material)

    def runtime(self, settings: Settings, client: Client):
        from dccflow_app.runtime import Runtime

        runtime = Runtime(self.settings(settings), client, smki=self.smki)
        provision_zaz1_fleet(runtime.engine, self.material, datetime.now(UTC))
        return runtime

    def register_response_urls(self, runtime) -> None:
        """Each configured User's receive URL, over what the stack registered for dccflow's own User side."""
        assert runtime.http is not None
        for user_id, url in self.response_urls.items():
            runtime.http.registry.register(user_id, url)

    async def run_workers(self, client: Client, settings: Settings, stop: asyncio.Event | None = None) -> None:
        """``dccflow_app.worker.run_workers`` with this profile."""
        runtime = self.runtime(settings, client)
        stop = stop or asyncio.Event()
        async with runtime.serving():
            self.register_response_urls(runtime)
            await stop.wait()


def pki_profile(pki: str, response_urls: list[str], tool_jar: Path | None) -> BoxedProfile | None:
    """``dccflow up --pki``: the ZAZ1 profile for ``zaz1``, None for the generated PKI."""
    if pki not in PKI_PROFILES:
        raise ConfigurationError(f"--pki {pki!r}: expected one of {', '.join(PKI_PROFILES)}")
    if pki == "generated":
        if response_urls or tool_jar:
            raise ConfigurationError("--response-url and --tool-jar go with --pki zaz1")
        return None
    return BoxedProfile.load(tool_jar, response_urls)
