"""GET /fhir/Task (searchset), GET /fhir/Task/{id}, PATCH (JSON Patch) and the /worklist page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from cds.followups.ids import followup_id
from cds.store import Store

from .coordinator import coordinator_app

CALL = followup_id("enc-1", "pelvic-floor-call-2d")
CHECK = followup_id("enc-1", "pelvic-floor-check-6w")
PATCH = "application/json-patch+json"


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[FlaskClient, Store]]:
    app, store, _ = coordinator_app(tmp_path)
    yield app.test_client(), store
    store.close()


def _patch(client: FlaskClient, tid: str, ops: Any, **headers: str) -> Any:
    return client.patch(f"/fhir/Task/{tid}", json=ops,
                        headers={"Content-Type": PATCH, "X-Forwarded-User": "anna", **headers})


def test_search_answers_a_searchset_bundle(service: tuple[FlaskClient, Store]) -> None:
    client, _ = service
    r = client.get("/fhir/Task?owner=CareTeam/bekkenbodem-nazorg&status=ready")
    assert r.status_code == 200 and r.mimetype == "application/fhir+json"
    bundle = r.json
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "searchset"
    assert bundle["total"] == 3  # enc-1: 2 days and 6 weeks; enc-2: 2 days
    assert [e["resource"]["id"] for e in bundle["entry"]][:2] == [CALL, followup_id("enc-2", "pelvic-floor-call-2d")]
    assert bundle["entry"][0]["fullUrl"].endswith(f"/fhir/Task/{CALL}")
    assert client.get("/fhir/Task?patient=Patient/pat-2").json["total"] == 1
    assert client.get("/fhir/Task?patient=pat-1&period=ge2025-04-01").json["total"] == 1
    assert client.get("/fhir/Task?period=eq2025-03-05").json["total"] == 1
    assert client.get("/fhir/Task?period=gt2025-03-05&period=lt2025-04-14").json["total"] == 1
    assert client.get("/fhir/Task?owner=CareTeam/other").json["total"] == 0
    page = client.get("/fhir/Task?_count=2").json
    assert len(page["entry"]) == 2 and page["link"][1]["relation"] == "next"


@pytest.mark.parametrize("query", ["bogus=1", "status=done", "period=yesterday", "_count=0"])
def test_bad_search_parameters_are_refused(service: tuple[FlaskClient, Store], query: str) -> None:
    r = service[0].get(f"/fhir/Task?{query}")
    assert r.status_code == 400 and r.json["resourceType"] == "OperationOutcome"


def test_patch_moves_a_task_on_with_a_note_and_audit(service: tuple[FlaskClient, Store]) -> None:
    client, store = service
    r = client.get(f"/fhir/Task/{CALL}")
    assert r.status_code == 200 and r.headers["ETag"] == 'W/"1"'
    r = _patch(client, CALL, [{"op": "replace", "path": "/status", "value": "in-progress"}],
               **{"If-Match": 'W/"1"'})
    assert r.status_code == 200 and r.json["status"] == "in-progress" and r.headers["ETag"] == 'W/"2"'
    r = _patch(client, CALL, [{"op": "replace", "path": "/status", "value": "completed"},
                              {"op": "add", "path": "/note/-", "value": {"text": "Gebeld, voelt ze goed."}}])
    task = r.json
    assert task["status"] == "completed" and task["meta"]["versionId"] == "3"
    assert task["note"][0]["authorString"] == "user:anna" and task["note"][0]["text"] == "Gebeld, voelt ze goed."
    trail = store.audit_trail(task_id=CALL, actions=["task-changed"])
    assert [(e.actor, e.detail["status"]) for e in trail] == [("user:anna", "in-progress"), ("user:anna", "completed")]
    assert client.get("/fhir/Task?status=completed").json["total"] == 1
    again = _patch(client, CALL, [{"op": "replace", "path": "/status", "value": "in-progress"}])
    assert again.status_code == 409  # completed is final


@pytest.mark.parametrize(("ops", "headers", "status"), [
    ([{"op": "replace", "path": "/status", "value": "cancelled"}], {}, 400),  # needs a note
    ([{"op": "replace", "path": "/owner", "value": {}}], {}, 400),
    ([{"op": "replace", "path": "/status", "value": "draft"}], {}, 409),
    ([{"op": "test", "path": "/status", "value": "in-progress"},
      {"op": "replace", "path": "/status", "value": "completed"}], {}, 409),
    ([{"op": "replace", "path": "/status", "value": "completed"}], {"If-Match": 'W/"7"'}, 412),
    ({"status": "completed"}, {}, 400),
])
def test_patch_refusals(service: tuple[FlaskClient, Store], ops: Any, headers: dict[str, str],
                        status: int) -> None:
    r = _patch(service[0], CALL, ops, **headers)
    assert r.status_code == status and r.json["resourceType"] == "OperationOutcome"


def test_patch_needs_json_patch_and_a_known_task(service: tuple[FlaskClient, Store]) -> None:
    client, _ = service
    r = client.patch(f"/fhir/Task/{CALL}", json=[{"op": "replace", "path": "/status", "value": "completed"}])
    assert r.status_code == 415
    assert _patch(client, "no-such-task", [{"op": "add", "path": "/note/-", "value": {"text": "x"}}]).status_code == 404


def test_worklist_in_dutch_and_english(service: tuple[FlaskClient, Store]) -> None:
    client, store = service
    statements = store.plan.statements
    nl = client.get("/worklist")
    html = nl.get_data(as_text=True)
    assert nl.status_code == 200 and nl.headers["Content-Language"] == "nl"
    assert "Werklijst bekkenbodem-nazorg" in html and "Markeer als gedaan" in html
    assert "2 te laat, 1 nu te doen." in html
    assert statements["E1"]["nl"].replace("'", "&#39;") in html and statements["C3"]["nl"] in html
    assert "Verhoogd risico op bekkenbodemklachten na de bevalling" in html
    assert "script-src 'nonce-" in nl.headers["Content-Security-Policy"]
    en = client.get("/worklist?lang=en").get_data(as_text=True)
    assert "Mark as done" in en and statements["C3"]["en"] in en and statements["E1"]["nl"] not in en
    assert "Increased risk of pelvic floor complaints after childbirth" in en
