"""``dccflow drill``: SMKI Recovery drills (BAD 7.7.3; ``workflows.smki_recovery``) — a compromise notified, Manage
Incident with its 24-hour confirmation, the method chosen (``dccflow.domain.recovery``) or forced, then the method,
all on durable timers: on the embedded time-skipping server a 30-day recovery runs in seconds.

    dccflow drill start organisation --party 90-B3-D5-1F-30-01-00-00 --fleet 5                # embedded, 5 SMS
    dccflow drill start organisation --party supplier-a --key-lost --method method-2 --fleet 5
    dccflow drill start organisation --party 90-B3-D5-1F-30-02-00-00 --fleet 5   # a Network Operator's key: Method 1
    dccflow drill start organisation --party distributor-a --key-lost --replacements --fleet 5         # Method 3
    dccflow drill start organisation --party 90-B3-D5-1F-30-01-00-00 --devices 00-DB-12-03-00-00-00-01,…
    dccflow drill start organisation --party supplier-a --devices "model=ESME,status=commissioned" --fleet 5
    dccflow drill start root --party supplier-a --devices "chf=00-DB-12-01-00-00-00-01" --fleet 5
    dccflow drill start organisation --party … --address 127.0.0.1:7233 --detach          # on `dccflow up`
    dccflow drill status smki-recovery-DRILL-… --address 127.0.0.1:7233                   # phase, Devices, deadlines

Exit codes: 0 the drill completed (every affected Device recovered and the compromised key refused, or no Compromise
found), 1 it ended otherwise (some Device not recovered, the PMA declined, no confirmation), 2 bad input,
configuration or server problems (one line).
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from dccflow_app.cli_runs import Address, embedded_runtime, run_command, server_client
from dccflow_app.cli_runs import fail as _fail

app = typer.Typer(help="SMKI Recovery drills (BAD 7.7.3): a compromise, Manage Incident and the recovery method.",
                  no_args_is_help=True)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def subscriber_of(party: str) -> str:
    """``--party``: an Import or Gas Supplier's or a Network Operator's (Electricity Distributor, Gas Transporter) User
    ID, or a Party's key (a Supplier's Import Supplier User ID; a Network Operator's one User ID)."""
    from dccflow.domain.roles import UserRole
    from dccflow.parties import PARTIES, USERS

    suppliers = (UserRole.IMPORT_SUPPLIER, UserRole.GAS_SUPPLIER)
    if party in PARTIES:
        ids = PARTIES[party].user_ids
        if UserRole.IMPORT_SUPPLIER in ids:
            return ids[UserRole.IMPORT_SUPPLIER]
        operators = [u for r, u in ids.items() if r.is_network_operator]
        if len(operators) == 1:
            return operators[0]
    user = USERS.get(party)
    if user is None or not (user.role in suppliers or user.role.is_network_operator):
        known = ", ".join(f"{u} ({d.party})" for u, d in USERS.items() if d.role in suppliers)
        operators = ", ".join(f"{u} ({d.party})" for u, d in USERS.items() if d.role.is_network_operator)
        raise ValueError(f"--party {party!r} is not a Supplier's or a Network Operator's User ID or a Party key "
                         f"(Suppliers: {known}; Network Operators: {operators}; the DCC's keys take no --party)")
    return party


def audit(engine, result) -> list:
    """The §D.10 governance rows (RCV-…) judged on the drill's events, deadlines and the DCC's records
    (``dccflow.audit_recovery``): met / breached / not assessed / not applicable."""
    from dccflow.audit import evaluate
    from dccflow.domain.recovery_obligations import RECOVERY_REGISTER
    from dccflow_app.scenarios.audit import read_dcc_records

    return evaluate(result.events, result.obligations, read_dcc_records(engine, result.devices), RECOVERY_REGISTER)


def print_result(result, as_json: bool, verdicts: list | None = None) -> None:
    if as_json:
        doc = json.loads(result.model_dump_json())
        doc["audit"] = [v.model_dump(mode="json") for v in verdicts or []]
        out.print_json(json.dumps(doc))
        return
    out.print(f"SMKI Recovery {result.incident} ({result.method or 'no method'})")
    for e in result.events:  # the timeline: who did what when, on the Code's clock
        out.print(f"  {e.at:%Y-%m-%d %H:%M}  {e.bpmn_id:<34} {e.actor:<21} "
                  + (f"{e.device_id}: " if e.device_id else "") + e.detail)
    for o in result.obligations:
        out.print(f"{'met' if o.met else 'breached'}: {o.obligation} (due {o.due:%Y-%m-%d %H:%M}; "
                  f"{f'{o.actual:%Y-%m-%d %H:%M}' if o.actual else 'not done'})")
    attacker = "; ".join(f"{label}: " + ", ".join(f"{n} {o}" for o, n in Counter(seen.values()).items())
                         + ("" if len(seen) > 10 else " (" + ", ".join(f"{d} {v}" for d, v in seen.items()) + ")")
                         for label, seen in result.attacker.items())
    out.print(f"attacker's Commands signed with the compromised key — {attacker or 'none sent'}")
    out.print(f"{len(result.recovered)} of {len(result.devices)} Device(s) recovered" +
              "".join(f"\n  not recovered: {d}: {why}" for d, why in result.not_recovered.items()))
    if result.network_operators is not None:  # after a Root or Issuing OCA recovery (L 5.3.2(b), 6.3.2.8)
        no = result.network_operators
        out.print(f"Network Operator cells: {len(no.done)} replaced, {len(no.not_done)} not; new certificates: "
                  + (", ".join(f"{u} #{s}" for u, s in no.certificates.items()) or "none"))
        for label, seen in no.probes.items():
            out.print(f"  the Network Operator's {label} key — " + ", ".join(
                f"{n} {o}" for o, n in Counter(seen.values()).items()) + ("" if len(seen) > 10 else " (" + ", ".join(
                    f"{d} {v}" for d, v in seen.items()) + ")"))
        for d, why in no.not_done.items():
            out.print(f"  not replaced: {d}: {why}")
    for joined in result.joined:  # another compromise this procedure took in (L 3.2)
        out.print(f"joined Incident {joined.reference or joined.incident_id}: the {joined.compromised} key of "
                  f"{joined.subscriber_id}; "
                  f"revoked {', '.join(joined.revoked) or 'nothing'}; its attacker's Commands " + "; ".join(
                      f"{label}: " + ", ".join(f"{n} {o}" for o, n in Counter(seen.values()).items())
                      for label, seen in joined.attacker.items()))
    if verdicts:
        counts: dict[str, int] = {}
        out.print("the governance rows of BAD 7.7.3 (digest 05 §D.10):")
        for v in sorted(verdicts, key=lambda v: (v.verdict == "not applicable", int(v.obligation[4:]))):
            counts[v.verdict] = counts.get(v.verdict, 0) + 1
            if v.verdict != "not applicable":
                out.print(f"  {v.verdict:<14} {v.obligation} {v.ref}" + (f" {v.device_id}" if v.device_id else "")
                          + f": {v.detail or v.summary}"[:160])
        out.print("  " + ", ".join(f"{n} {k}" for k, n in counts.items()))
    out.print(f"{result.outcome} ({result.end}): {result.reason}")


def resolve_devices(engine, inp, query) -> None:
    """``--devices QUERY`` (``dccsim.inventory_query``) read against the Smart Metering Inventory now: the Device IDs
    in scope go into the drill's input. Raises ``DeviceQueryError`` (a ``ValueError``: exit 2) for Device IDs the SMI
    does not hold or an empty selection."""
    from datetime import UTC, datetime

    from dccflow.db import session_scope
    from dccsim.inventory_query import select_devices

    if query is None:
        return
    with session_scope(engine) as s:
        inp.device_ids = select_devices(s, query, datetime.now(UTC))
    err.print(f"--devices {query.text!r}: {len(inp.device_ids)} Device(s) in scope")


async def _start(inp, address: str | None, data_dir: Path | None, fleet: int, detach: bool, query=None):
    from dccflow.config import USER_TASK_QUEUE, Settings
    from workflows.smki_recovery import SmkiRecoveryWorkflow, smki_recovery_workflow_id

    async def start(client):
        handle = await client.start_workflow(SmkiRecoveryWorkflow.run, inp, task_queue=USER_TASK_QUEUE,
                                             id=smki_recovery_workflow_id(inp.incident_id))
        err.print(f"drill {handle.id}")
        return handle

    if address is not None:
        from dccflow.db import get_engine

        engine = get_engine((Settings(data_dir=data_dir) if data_dir else Settings()).db_url)
        client = await server_client(address, fleet)
        resolve_devices(engine, inp, query)
        handle = await start(client)
        if detach:
            return None
        result = await handle.result()
        return result, audit(engine, result)
    async with embedded_runtime(data_dir, "dccflow-drill-", fleet) as runtime:
        resolve_devices(runtime.engine, inp, query)
        handle = await start(runtime.client)
        result = await handle.result()
        return result, audit(runtime.engine, result)


@app.command()
def start(
    kind: Annotated[str, typer.Argument(help="whose key is compromised: organisation (a Supplier's or a Network "
                                             "Operator's Organisation Certificate); recovery-key (the DCC's "
                                             "Recovery Private Key), root "
                                             "(the Root OCA Private Key: the Contingency method), contingency-key (the "
                                             "Contingency key rollover) or issuing-oca — for the DCC's keys --party "
                                             "is not used; wan-provider is named but not drilled yet")],
    party: Annotated[str, typer.Option(help="the Subscriber: a Supplier's or a Network Operator's User ID, or "
                                            "a Party key (supplier-a, distributor-a, transporter-a)")],
    devices: Annotated[str | None, typer.Option(
        "--devices", metavar="QUERY",
        help="the Devices in scope, a query over the Smart Metering Inventory: comma-separated Device IDs, or "
             "comma-separated field=value terms — model=ESME (a Device Type, or the SMI's Device Model), type=GPF, "
             "supplier=<User ID or Party key> (the MPxNs it is registered Supplier for now), chf=<CHF ID> (the CHF and "
             "its Devices), status=commissioned (an SMI status); different fields must all hold, a repeated field is "
             "an alternative (model=ESME,model=GSME,status=commissioned). A query that cannot be read, Device IDs "
             "the SMI does not hold or an empty selection exit 2. Default: every Device holding the compromised "
             "certificate")] = None,
    method: Annotated[str | None, typer.Option(help="force a method: method-1, method-2, method-3")] = None,
    key_lost: Annotated[bool, typer.Option("--key-lost", help="the Subscriber can no longer sign with the key "
                                                             "(not Method 1)")] = False,
    replacements: Annotated[bool, typer.Option("--replacements", help="with --key-lost: replacement certificates "
                                                                     "are ready (Method 3, else 2)")] = False,
    pma: Annotated[str, typer.Option(help="the SMKI PMA's answer: approve, decline, silent")] = "approve",
    confirm: Annotated[str, typer.Option(help="the Subscriber's answer: yes, no, silent")] = "yes",
    address: Address = None,
    fleet: Annotated[int, typer.Option(min=0, help="embedded run: first build this many SMS in service")] = 3,
    data_dir: Annotated[Path | None, typer.Option(help="embedded run: keep state here (default: temporary)")] = None,
    detach: Annotated[bool, typer.Option("--detach", help="with --address: print the drill's id, return")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the result as one JSON object")] = False,
) -> None:
    """Notify a compromise and run the drill: Manage Incident, then the recovery method, with the Subscriber and the
    SMKI PMA answering as told; print the timeline, the Code's deadlines, the attacker's Commands before and after,
    and the Devices recovered and not."""
    from pydantic import ValidationError

    from dccflow.domain.recovery import CompromisedKey, MethodNotAvailable, RecoveryMethod, choose_method
    from workflows.smki_recovery_model import SmkiRecoveryInput

    try:
        if kind not in {k.value for k in CompromisedKey}:
            raise ValueError(f"KIND {kind!r} is not a compromised key dccflow drills; one of: "
                             f"{', '.join(k.value for k in CompromisedKey)}")
        key = CompromisedKey(kind)
        forced = RecoveryMethod(method) if method else None
        choose_method(key, subscriber_can_sign=not key_lost, replacement_certificates=replacements, forced=forced)
        from dccflow.domain.recovery import DCC_KEYS
        from dccflow.parties import DCC_ID

        subscriber = DCC_ID if key in DCC_KEYS else subscriber_of(party)
        from dccsim.inventory_query import parse_device_query

        query = parse_device_query(devices) if devices is not None else None
        inp = SmkiRecoveryInput(
            incident_id=f"DRILL-{uuid.uuid4().hex[:8].upper()}", compromised=key, subscriber_id=subscriber,
            device_ids=None, method=forced,
            subscriber_can_sign=not key_lost, replacement_certificates=replacements, pma_decision=pma,
            subscriber_confirms=confirm)
    except (ValueError, MethodNotAvailable, ValidationError) as exc:
        raise _fail(exc) from None
    logging.getLogger("temporalio").setLevel(logging.ERROR)
    result = run_command(_start(inp, address, data_dir, fleet, detach, query), "drill")
    if result is None:
        return
    result, verdicts = result
    print_result(result, as_json, verdicts)
    raise typer.Exit(0 if result.outcome == "completed" else 1)


@app.command()
def status(
    drill_id: Annotated[str, typer.Argument(help="the drill's workflow id (smki-recovery-…)")],
    address: Annotated[str, typer.Option(help="HOST:PORT of the Temporal server running the drill")],
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object")] = False,
) -> None:
    """A running drill: its phase, method, Devices recovered and not, and the Code's deadlines still pending."""
    from dccflow_app.preflight import ServerProblem, connect_to
    from workflows.smki_recovery import DrillStatus

    async def query():
        client = await connect_to(address)
        return await client.get_workflow_handle(drill_id).query("drill_status", result_type=DrillStatus)

    try:
        st = asyncio.run(query())
    except (ValueError, ServerProblem) as exc:
        raise _fail(exc) from None
    except Exception as exc:  # noqa: BLE001 - the server's answer (no such workflow, …) in one line
        raise _fail(f"{drill_id}: {exc}") from None
    if as_json:
        out.print(json.dumps(st.model_dump(mode="json"), indent=2))
        return
    out.print(f"{drill_id}: {st.phase}; method {st.method or 'not chosen yet'}; {len(st.recovered)} of "
              f"{len(st.devices)} Device(s) recovered, {len(st.not_recovered)} not")
    for obligation, due in st.deadlines_pending.items():
        out.print(f"  pending: {obligation} (due {due:%Y-%m-%d %H:%M})")
    if st.joined:  # other compromises this procedure took in (L 3.2)
        out.print(f"  joined: {', '.join(st.joined)}")
