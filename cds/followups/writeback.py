"""Write a Task to the EHR's FHIR server by conditional create, so a retry never makes two.

POST [base]/Task with `If-None-Exist: identifier=system|value`: the server creates the Task
(201) or answers that one with that identifier exists (200). Messages never carry the token.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
import requests

from cds.config import Settings
from cds.errors import WriteBackError

log = logging.getLogger(__name__)

_RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}


def write_back(settings: Settings, task: dict[str, Any],
               session: requests.Session | None = None) -> str:
    """Create `task` on CDS_TASK_FHIR_BASE_URL unless it exists; returns its reference there."""
    base = settings.task_fhir_base_url
    if not base:
        raise WriteBackError("no CDS_TASK_FHIR_BASE_URL configured", retry=False)
    identifier = task["identifier"][0]
    body = {k: v for k, v in task.items() if k not in ("id", "meta")}
    headers = {
        "Content-Type": "application/fhir+json",
        "Accept": "application/fhir+json",
        "If-None-Exist": f"identifier={identifier['system']}|{identifier['value']}",
    }
    if settings.task_fhir_token:
        headers["Authorization"] = f"Bearer {settings.task_fhir_token}"
    http = session or requests.Session()
    try:
        resp = http.post(f"{base}/Task", data=orjson.dumps(body), headers=headers,
                         timeout=settings.task_fhir_timeout_s)
    except requests.RequestException as exc:
        raise WriteBackError(f"FHIR server unreachable ({type(exc).__name__})", retry=True) from None
    finally:
        if session is None:
            http.close()
    if resp.status_code in (200, 201):
        return _reference(resp, identifier["value"])
    if resp.status_code == 412:
        raise WriteBackError("FHIR server: more than one Task has this identifier", retry=False)
    raise WriteBackError(f"FHIR server answered HTTP {resp.status_code}",
                         retry=resp.status_code in _RETRY_STATUS)


def _reference(resp: requests.Response, fallback: str) -> str:
    """Task/<id> from the Location header or the body; the identifier when neither has one."""
    location = resp.headers.get("Location") or resp.headers.get("Content-Location") or ""
    if "/Task/" in location:
        tail = location.split("/Task/", 1)[1].split("/")[0]
        if tail:
            return f"Task/{tail}"
    try:
        body = resp.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("resourceType") == "Task" and body.get("id"):
        return f"Task/{body['id']}"
    return f"Task?identifier={fallback}"
