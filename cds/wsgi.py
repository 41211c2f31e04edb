"""WSGI entry point for gunicorn: `gunicorn cds.wsgi:app` (see deploy/gunicorn.conf.py).

Building the app here, at import, is the point of this module: gunicorn imports it in each
worker (or once with --preload). Everything else in cds/ stays free of import-time work.
"""

from __future__ import annotations

from cds.app import create_app
from cds.hooks.logs import configure_logging
from cds.runtime import settle_heap

configure_logging()
app = create_app()
settle_heap()
