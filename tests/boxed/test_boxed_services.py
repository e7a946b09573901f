"""dccflow in place of DCC Boxed (issue #19), driven only by DCC's own signing tool: DUIS requests from DCC's public
templates, signed by the tool as DCC Boxed's users sign them (its ZAZ1 library picks the originator's key), POSTed
to DCC Boxed's three services; every synchronous and asynchronous response validated by the tool's Validate (the
DUIS schema, then the signature with the published DSP certificate its library holds)."""

from __future__ import annotations

from boxed_support import (
    SAMPLES,
    request_id,
    response_code,
    service_for,
    signed_pre_command_request,
    tool_sign,
    tool_validate,
    zaz1_files,
    zaz1_key,
)

VALID = ("SUCCESS", "[I] passed signature check")
NON_CRITICAL = "ECS52_11.2_SUCCESS_REQUEST_DUIS.XML"  # SRV 11.2 Read Firmware Version, ESME, CommandVariant 1
NON_DEVICE = "8.2_READ_INVENTORY_REQUEST_DUIS.XML"  # SRV 8.2 Read Inventory, CommandVariant 8
JOIN_NON_CRITICAL = "CS03A2NonCritical_8.7.2_SUCCESS_REQUEST_DUIS.XML"  # SRV 8.7.2 Join Service (Non-Critical)
CRITICAL = "CS03A1_8.7.1_SUCCESS_REQUEST_DUIS.XML"  # SRV 8.7.1 Join Service (Critical): the ESME joins the PPMID
ESME, PPMID = "00-DB-12-34-56-78-90-A0", "00-DB-12-34-56-78-90-9A"  # dccflow_app.boxed.ZAZ1_PREMISES


def template(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


async def assert_tool_validates(messages: list[bytes]) -> None:
    results = await tool_validate(messages)
    assert [(r.code, r.diagnostic) for r in results] == [VALID] * len(messages)


async def test_non_critical_request_to_service_s_is_acknowledged_then_answered_at_the_users_endpoint(zaz1_stack):
    (signed,) = await tool_sign([template(NON_CRITICAL)])
    reply = await zaz1_stack.post("/api/v1/serviceS", signed)
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("application/xml")
    assert response_code(reply.content) == "I99" and request_id(reply.content) == request_id(signed)
    (response,) = await zaz1_stack.endpoint.wait_for(request_id(signed))
    assert response_code(response) == "I0"  # the ESME answered: the Service Response, POSTed to the User
    await assert_tool_validates([reply.content, response])


async def test_non_device_request_to_service_d_is_answered_synchronously(zaz1_stack):
    (signed,) = await tool_sign([template(NON_DEVICE)])
    reply = await zaz1_stack.post("/api/v1/serviceD", signed)
    assert reply.status_code == 200 and response_code(reply.content) == "I0"
    assert b"00-DB-12-34-56-78-90-A2" in reply.content  # the inventory holds the template's CHF
    await assert_tool_validates([reply.content])


async def test_critical_request_through_service_t_pre_command_and_signed_pre_command_to_service_s(zaz1_stack):
    # the PPMID first joins the ESME (CS03A2, Non-Critical: DCC's template addressed to the premises' PPMID)
    join_ppmid = template(JOIN_NON_CRITICAL).replace(b":00-DB-12-34-56-78-90-A4:", f":{PPMID}:".encode()).replace(
        b"<sr:OtherDeviceID>00-DB-12-34-56-78-90-93", b"<sr:OtherDeviceID>" + ESME.encode())
    (signed,) = await tool_sign([join_ppmid])
    assert response_code((await zaz1_stack.post("/api/v1/serviceS", signed)).content) == "I99"
    (joined,) = await zaz1_stack.endpoint.wait_for(request_id(signed))
    assert response_code(joined) == "I0"
    # then the ESME joins the PPMID: CS03A1 is Critical
    (signed,) = await tool_sign([template(CRITICAL)])
    pre_command = await zaz1_stack.post("/api/v1/serviceT", signed)
    assert pre_command.status_code == 200 and response_code(pre_command.content) == "I0"
    assert b"PreCommand" in pre_command.content
    # the User signs the GBCS Payload with its ZAZ1 Digital Signing key (the ESME's Supplier cell holds its
    # certificate), the tool signs the Signed Pre-Command keeping the RequestID (--preserveCounter)
    unsigned = signed_pre_command_request(signed, pre_command.content, zaz1_key("Z1-supplier-ds"))
    (spc,) = await tool_sign([unsigned], preserve_counter=True)
    assert request_id(spc) == request_id(signed)
    ack = await zaz1_stack.post("/api/v1/serviceS", spc)
    assert ack.status_code == 200 and response_code(ack.content) == "I99"
    (response,) = await zaz1_stack.endpoint.wait_for(request_id(signed))
    assert response_code(response) == "I0"  # the ESME checked the User's signature and executed the Command
    await assert_tool_validates([joined, pre_command.content, ack.content, response])


async def test_a_request_sent_to_the_wrong_service_is_not_processed(zaz1_stack):
    (signed,) = await tool_sign([template(NON_CRITICAL)])
    for wrong in ("/api/v1/serviceT", "/api/v1/serviceD"):
        refused = await zaz1_stack.post(wrong, signed)
        assert refused.status_code == 400 and refused.json()["service"] == "/api/v1/serviceS"
    reply = await zaz1_stack.post("/api/v1/serviceS", signed)  # not taken before: its RequestID is still fresh
    assert response_code(reply.content) == "I99"


async def test_a_request_whose_tool_signature_fails_gets_no_response(zaz1_stack):
    (signed,) = await tool_sign([template(NON_CRITICAL)])
    tampered = signed.replace(b"<sr:CommandVariant>1<", b"<sr:CommandVariant>3<")
    reply = await zaz1_stack.post("/api/v1/serviceS", tampered)
    assert reply.status_code == 400 and reply.content == b""  # AB 6.3: silently rejected, as DCC Boxed does


async def test_a_request_from_a_user_the_tool_signs_with_another_key_is_refused_with_a_signed_e_code(zaz1_stack):
    """The ACB's User ID is the DSP's: the tool signs its templates with the DSP key; dccflow's market does not
    admit it as a User, and says so in a signed response the tool validates."""
    (signed,) = await tool_sign([template("GCS59_8.12.2_SUCCESS_REQUEST_DUIS.XML")])
    reply = await zaz1_stack.post(service_for(signed), signed)
    assert reply.status_code == 200 and response_code(reply.content) == "E1"
    await assert_tool_validates([reply.content])



async def test_a_request_signed_with_an_expired_zaz1_certificate_is_refused_with_a_signed_e_code(zaz1_stack, tmp_path):
    """The ZAZ1 Supplier's Organisation Certificate Z1-supplier-ds expired in October 2025: Confirm Validity
    (AB 6.1(e)) refuses what it signs, and the User is told so in a response the tool validates."""
    (signed,) = await tool_sign([template(NON_CRITICAL)], with_files=zaz1_files("Z1-supplier-ds", tmp_path))
    reply = await zaz1_stack.post("/api/v1/serviceS", signed)
    assert reply.status_code == 200 and response_code(reply.content) == "E1"
    assert "expired" in reply.headers["x-dccflow-reason"]
    await assert_tool_validates([reply.content])
