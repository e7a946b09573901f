"""The payload codec's command line: ``python -m dccflow_app.codec_cli key`` prints a new key;
``python -m dccflow_app.codec_cli serve --data-dir D --port P`` serves the Web UI's codec endpoint for a Temporal
server of your own (``dccflow_app.codec``, ``dccflow_app.codec_server``)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from dccflow_app.codec import KEY_ENV, KEY_FILE, load_key, new_key_text
from dccflow_app.codec_server import serve_forever


def main(argv: list[str]) -> int:  # pragma: no cover - thin command line
    usage = "usage: python -m dccflow_app.codec_cli key | serve [--data-dir D] [--port 8234] [--ui-origin URL]"
    if argv[:1] == ["key"]:
        print(new_key_text())
        return 0
    if argv[:1] == ["serve"]:
        opts = dict(zip(argv[1::2], argv[2::2], strict=False))
        data_dir = Path(opts.get("--data-dir", os.environ.get("DCCFLOW_DATA_DIR", ".dccflow"))).resolve()
        key = load_key(data_dir, create=False)
        if key is None:
            print(f"no codec key: set {KEY_ENV} or give the stack's --data-dir (no {data_dir / KEY_FILE})",
                  file=sys.stderr)
            return 2
        asyncio.run(serve_forever(key, int(opts.get("--port", "8234")),
                                  opts.get("--ui-origin", "http://127.0.0.1:8233")))
        return 0
    print(usage, file=sys.stderr)
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
