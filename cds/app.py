"""The one Flask application factory.

Nothing happens at import time. `create_app` reads configuration, loads and validates every rule
(refusing to start on invalid rules or configuration), then wires the pieces in order: security,
store, FHIR fallback pool, metrics, error handlers, CORS, blueprints.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from flask import Flask

from cds.config import Settings
from cds.errors import RuleError
from cds.followups.api import init_app as init_followups
from cds.hooks import education
from cds.hooks.cors import install_cors
from cds.hooks.discovery import services
from cds.hooks.metrics import HookMetrics
from cds.hooks.ops import ops
from cds.hooks.outcome import register_error_handlers
from cds.hooks.state import KEY, HookState, fhir_session
from cds.hooks.store_seam import create_hook_store
from cds.hooks.views import bp
from cds.knowledge import load_knowledge
from cds.security import create_verifier

log = logging.getLogger("cds.app")


def create_app(config: Settings | None = None) -> Flask:
    # Configuration first: a bad key stops here with ConfigError naming it.
    settings = config if config is not None else Settings.from_env()
    # The knowledge next: the service never answers with rules it could not validate.
    kb = load_knowledge(settings.rules_dir)
    missing = education.missing_statements(kb)
    if missing:
        raise RuleError("leaflet/statements.yaml", f"education page needs {', '.join(missing)}")

    app = Flask("cds")
    # Werkzeug enforces the body limit while reading, before a large body is in memory.
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]

    metrics = HookMetrics()
    app.extensions["cds.metrics"] = metrics
    store = create_hook_store(settings)
    app.extensions["cds.store"] = store
    app.extensions[KEY] = HookState(
        settings=settings,
        kb=kb,
        services=services(kb),
        verifier=create_verifier(settings),
        store=store,
        metrics=metrics,
        executor=ThreadPoolExecutor(settings.fhir_max_workers, thread_name_prefix="cds-fhir"),
        session=fhir_session(settings.fhir_max_workers),
    )

    register_error_handlers(app)
    install_cors(app, settings.cors_origins)
    app.register_blueprint(bp)
    app.register_blueprint(ops)
    # Care coordinators: FHIR Task search/update and the /worklist page, on the same store.
    init_followups(app, settings)
    log.info("cds service ready", extra={"knowledge": kb.version, "rules": len(kb.rules)})
    return app
