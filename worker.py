"""Run dccflow's workers (User side, simulated DCC, simulated fleet) against a Temporal server.

    python worker.py            # address from DCCFLOW_TEMPORAL_ADDRESS (default localhost:7233)

State goes to DCCFLOW_DATABASE_URL (any SQLAlchemy URL, e.g. postgresql+psycopg://…) or, by default, a
SQLite file under DCCFLOW_DATA_DIR. ``dccflow up`` runs the same workers next to an embedded dev server.
The code is ``dccflow_app.worker`` (``python -m dccflow_app.worker`` does the same); this file keeps
``python worker.py`` and ``python -m worker`` (the container's command) working.
"""

from __future__ import annotations

import asyncio

from dccflow_app.worker import main, run_workers

__all__ = ["main", "run_workers"]

if __name__ == "__main__":
    asyncio.run(main())
