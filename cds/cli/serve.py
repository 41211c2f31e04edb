"""`cds serve`: run the CDS Hooks service on embedded defaults (no Redis, no database needed).

For production use gunicorn (`gunicorn -c deploy/gunicorn.conf.py cds.wsgi:app`); this is the
single-process server for a laptop, a demo or the CDS Hooks sandbox.
"""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("serve", help="run the CDS Hooks service (development server)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    parser.add_argument("--no-workers", action="store_true",
                        help="do not start the embedded Celery worker and beat (when no broker is configured)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from werkzeug.serving import run_simple

    from cds.app import create_app
    from cds.config import Settings
    from cds.hooks.logs import configure_logging
    from cds.runtime import settle_heap
    from workers import embedded

    configure_logging()
    settings = Settings.from_env()
    app = create_app(settings)  # ConfigError / RuleError: one line on stderr, exit 2 (cds.cli)
    # Embedded default: with no broker configured, a worker and beat run beside the web server
    # on the SQLite broker, through the same Celery code path as production (not eager mode).
    workers = embedded.start(settings) if embedded.wanted(settings) and not args.no_workers else None
    settle_heap()
    try:
        run_simple(args.host, args.port, app, threaded=True, use_reloader=False)
    finally:
        if workers is not None:
            workers.stop()
    return 0
