"""What the end-to-end process tests share: the DUIS messages of a run, checked against the DUIS 5.4 schema and
for their signature, and an Install and Commission whose SRV 8.14.1 is sent late (BAD 7.2.1.6.6)."""

from __future__ import annotations

from datetime import timedelta

from lxml import etree
from sqlmodel import select

from activities.store import UserInboxEntry, UserOutboxEntry, UserSignedPreCommand
from dccflow.db import session_scope
from dccflow.duis.schema import duis_schema
from dccsim.models import DeliveredMessage

DS_SIGNATURE = "{http://www.w3.org/2000/09/xmldsig#}Signature"


def run_messages(engine) -> list[bytes]:
    """Every DUIS message of a run: the Users' requests and Signed Pre-Commands, what the DCC delivered, and what
    the Users' inboxes received."""
    with session_scope(engine) as s:
        messages = [r.xml for r in s.exec(select(UserOutboxEntry))]
        messages += [r.signed_pre_command for r in s.exec(select(UserSignedPreCommand))]
        messages += [r.xml for r in s.exec(select(DeliveredMessage))]
        messages += [r.xml for r in s.exec(select(UserInboxEntry))]
    return messages


def assert_valid_and_signed(messages: list[bytes], smki=None) -> None:
    """Each message validates against DUIS 5.4 and is signed; given the run's SMKI repository, each signature also
    verifies, with the signer's certificate, in two implementations dccflow did not write: signxml and DCC's own
    signing tool (``tests/interop_tools.py``)."""
    schema = duis_schema()
    for xml in messages:
        doc = etree.fromstring(xml)
        assert schema.validate(doc), schema.error_log
        assert doc.find(DS_SIGNATURE) is not None
    if smki is not None:
        assert_verified_independently(messages, smki.find)


def assert_verified_independently(messages: list[bytes], find_certificate) -> None:
    from interop_tools import dcc_signing_tool, signxml_verify

    from dccflow.security.xmldsig import signer_identity

    signed = []
    for xml in messages:
        cert = find_certificate(*signer_identity(etree.fromstring(xml)))
        assert cert is not None, xml[:300]
        signxml_verify(xml, cert)
        signed.append((xml, cert))
    results = dcc_signing_tool().validate(signed)
    refused = [(xml[:200], result) for (xml, _), result in zip(signed, results, strict=True)
               if not result.signature_verified]
    assert not refused, refused


async def late_install_report(stack, delay: timedelta = timedelta(days=9)):
    """An electricity Install and Commission whose Supplier sends SRV 8.14.1 ``delay`` after the installer's
    confirmation: (the premises, the process result)."""
    from dccflow.config import USER_TASK_QUEUE
    from dccflow_app.scenarios.harness import HarnessActivities, ScenarioRequest
    from workflows.install_commission import (
        InstallCommissionInput,
        InstallCommissionWorkflow,
        install_commission_workflow_id,
    )

    premises = await HarnessActivities(stack.runtime).scenario_provision(
        ScenarioRequest(scenario="install-commission-electricity"))
    result = await stack.client.execute_workflow(
        InstallCommissionWorkflow.run,
        InstallCommissionInput(premises=premises, supplier_id="90-B3-D5-1F-30-01-00-00", install_report_delay=delay),
        id=install_commission_workflow_id(premises.chf_id), task_queue=USER_TASK_QUEUE)
    return premises, result
