"""One DCC worker process for tests/postgres/test_pg_two_dcc_processes.py: the DCC as ``dccflow worker`` composes
it (``dccflow_app.runtime.Runtime``, here without Temporal) on the database ``DCCFLOW_DATABASE_URL`` names.

    python dcc_process.py REQUESTS.json [--together]

REQUESTS.json: phases, each a list of base64 XML requests. Prints ``ready`` once the DCC is up; then for each
phase waits for a line on standard input (so every process starts the phase together), submits the phase's
requests in turn (``--together``: all at once, as the HTTP interface does, taken in one transaction by group
commit), and prints one JSON line of the replies (outcome, code, reason, SHA-256 of the reply)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from dccflow.config import Settings  # noqa: E402
from dccflow_app.runtime import Runtime  # noqa: E402


async def main(requests_file: str, together: bool = False) -> None:
    phases = json.loads(Path(requests_file).read_text())
    runtime = Runtime(Settings(), None)  # type: ignore[arg-type] - no Temporal: non-device requests only
    print("ready", flush=True)
    for phase in phases:
        sys.stdin.readline()
        replies = []
        if together:
            answers = await asyncio.gather(*(runtime.dcc.submit(base64.b64decode(xml), datetime.now(UTC),
                                                                together=True) for xml in phase))
        else:
            answers = [await runtime.dcc.submit(base64.b64decode(xml), datetime.now(UTC)) for xml in phase]
        for reply in answers:
            replies.append({"outcome": reply.outcome, "code": reply.code, "reason": reply.reason,
                            "reply": hashlib.sha256(reply.xml).hexdigest() if reply.xml else None})
        print(json.dumps(replies), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], "--together" in sys.argv[2:]))
