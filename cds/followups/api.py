"""The coordinators' blueprint: FHIR Task search/read/patch and the /worklist page.

    GET   /fhir/Task?owner=&status=&patient=&period=   searchset Bundle (see search.py)
    GET   /fhir/Task/{id}                              the Task, ETag W/"version"
    PATCH /fhir/Task/{id}                              JSON Patch (see coordination.py);
                                                       If-Match W/"version" is honoured
    GET   /worklist[?lang=en][&owner=...]              the page

Who changed what comes from the header named by CDS_COORDINATOR_USER_HEADER, set by the
authenticating proxy in front of this service; every change is kept in the audit trail.
"""

from __future__ import annotations

import logging
import re
import secrets
from typing import Any
from urllib.parse import urlencode

import orjson
from flask import Blueprint, Flask, Response, current_app, render_template_string, request, url_for

from cds.config import Settings
from cds.errors import CdsError, InputError, NotFoundError, UnsupportedMediaError
from cds.followups.coordination import apply_change, parse_patch
from cds.followups.search import task_filters
from cds.followups.worklist import TEMPLATE, UI, sections
from cds.store import Store, TaskRecord, create_store

log = logging.getLogger(__name__)
bp = Blueprint("followups", __name__)
KEY = "cds.followups"
FHIR_JSON = "application/fhir+json"


def init_app(app: Flask, settings: Settings) -> None:
    """Register the blueprint; reuse the app's store (app.extensions["cds.store"]) if it has one."""
    store = app.extensions.get("cds.store")
    if not isinstance(store, Store):
        store = create_store(settings)
        app.extensions["cds.store"] = store
    app.extensions[KEY] = {"settings": settings, "store": store}
    app.register_blueprint(bp)


def _ctx() -> tuple[Settings, Store]:
    ext = current_app.extensions[KEY]
    return ext["settings"], ext["store"]


def _fhir(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status=status, mimetype=FHIR_JSON)


@bp.errorhandler(CdsError)
def _error(exc: CdsError) -> Response:
    from cds.hooks.outcome import outcome_response

    log.info("followups request refused: %s", exc.code)
    return outcome_response(exc.http_status, exc.issue_code, exc.message)


def _base() -> str:
    settings, _ = _ctx()
    return settings.public_base_url or request.url_root.rstrip("/")


def _with_etag(record: TaskRecord, status: int = 200) -> Response:
    response = _fhir(record.fhir(), status)
    response.headers["ETag"] = f'W/"{record.version}"'
    response.headers["Last-Modified"] = record.updated_at.strftime("%a, %d %b %Y %H:%M:%S GMT")
    return response


@bp.get("/fhir/Task")
def search_tasks() -> Response:
    _, store = _ctx()
    filters = task_filters(request.args.to_dict(flat=False))
    records, total = store.search_tasks(**filters)
    base = _base()
    self_url = f"{base}/fhir/Task" + (f"?{request.query_string.decode()}" if request.query_string else "")
    links = [{"relation": "self", "url": self_url}]
    if filters["offset"] + len(records) < total:
        args = request.args.to_dict(flat=False)
        args["_offset"] = [str(filters["offset"] + len(records))]
        links.append({"relation": "next", "url": f"{base}/fhir/Task?{urlencode(args, doseq=True)}"})
    return _fhir({
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": links,
        "entry": [
            {"fullUrl": f"{base}/fhir/Task/{r.id}", "resource": r.fhir(), "search": {"mode": "match"}}
            for r in records
        ],
    })


@bp.get("/fhir/Task/<task_id>")
def read_task(task_id: str) -> Response:
    _, store = _ctx()
    record = store.task(task_id)
    if record is None:
        raise NotFoundError(f"Task {task_id} not found")
    return _with_etag(record)


def _if_match() -> int | None:
    raw = request.headers.get("If-Match")
    if not raw:
        return None
    match = re.fullmatch(r'\s*(?:W/)?"(\d+)"\s*', raw)
    if not match:
        raise InputError('If-Match must be W/"<versionId>"')
    return int(match.group(1))


def actor() -> str:
    settings, _ = _ctx()
    user = request.headers.get(settings.coordinator_user_header, "").strip()
    return f"user:{user[:100]}" if user else "user:unknown"


@bp.patch("/fhir/Task/<task_id>")
def patch_task(task_id: str) -> Response:
    _, store = _ctx()
    if request.mimetype != "application/json-patch+json":
        raise UnsupportedMediaError("PATCH needs Content-Type application/json-patch+json")
    try:
        ops = orjson.loads(request.get_data())
    except orjson.JSONDecodeError:
        raise InputError("the body is not JSON") from None
    status, note, tests = parse_patch(ops)
    who = actor()
    record = store.replace_task(
        task_id, _if_match(),
        lambda current, now: apply_change(current, now, status=status, note=note, tests=tests, actor=who),
        who, {"status": status, "note": note},
    )
    log.info("task %s changed to %s (version %d)", task_id, record.status, record.version)
    return _with_etag(record)


@bp.get("/worklist")
def worklist() -> Response:
    settings, store = _ctx()
    lang = request.args.get("lang", settings.default_lang)
    lang = lang if lang in UI else settings.default_lang
    owner = request.args.get("owner") or settings.followup_owner
    now = store.clock()
    records, _ = store.search_tasks(owner=owner, statuses=["ready", "in-progress"],
                                    due=[("le", now)], count=500)
    parts = sections(store.plan, records, lang, now)
    nonce = secrets.token_urlsafe(16)
    t = UI[lang]
    html = render_template_string(
        TEMPLATE, lang=lang, t=t, sections=parts, nonce=nonce,
        summary=t["summary"].format(overdue=len(parts[0]["tasks"]), due=len(parts[1]["tasks"])),
        owner_q="" if owner == settings.followup_owner else f"&owner={owner}",
        task_url=url_for("followups.read_task", task_id="TASK_ID"),
    )
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Language"] = lang
    return response
