"""The care coordinators' worklist page: what is due and overdue, why, and the leaflet advice
to give (quoted from rules/leaflet/statements.yaml by id, never new wording). Dutch by default.

Marking a task done sends the same JSON Patch as any FHIR client (PATCH /fhir/Task/{id}), so
the page adds no second write path; a custom content type also keeps cross-site forms out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cds.followups.plan import Plan
from cds.store import TaskRecord

UI: dict[str, dict[str, str]] = {
    "nl": {
        "title": "Werklijst bekkenbodem-nazorg", "overdue": "Te laat", "due": "Nu te doen",
        "none": "Niets.", "patient": "Patiënt", "period": "Uitvoeren", "status": "Status",
        "reason": "Reden", "advice": "Advies uit de folder om te geven",
        "note": "Notitie", "mark_done": "Markeer als gedaan", "start": "In behandeling",
        "saved": "Opgeslagen.", "failed": "Niet opgeslagen", "ready": "klaar om te doen",
        "in-progress": "in behandeling", "summary": "{overdue} te laat, {due} nu te doen.",
        "source": "Bron: folder \u201cHoud een oogje op de bodem!\u201d",
    },
    "en": {
        "title": "Pelvic floor aftercare worklist", "overdue": "Overdue", "due": "Due now",
        "none": "Nothing.", "patient": "Patient", "period": "Due", "status": "Status",
        "reason": "Reason", "advice": "Leaflet advice to give",
        "note": "Note", "mark_done": "Mark as done", "start": "Start",
        "saved": "Saved.", "failed": "Not saved", "ready": "ready",
        "in-progress": "in progress", "summary": "{overdue} overdue, {due} due now.",
        "source": "Source: leaflet \u201cHoud een oogje op de bodem!\u201d",
    },
}

TEMPLATE = """<!doctype html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ t.title }}</title>
<style nonce="{{ nonce }}">
body { font-family: system-ui, sans-serif; margin: 1.5rem; max-width: 60rem; color: #1d1d1d; }
article { border: 1px solid #bbb; border-radius: .4rem; padding: .8rem 1rem; margin: .8rem 0; }
article.overdue { border-left: .4rem solid #b00020; }
article.due { border-left: .4rem solid #1f6feb; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dt { font-weight: 600; }
.advice li { margin: .3rem 0; }
textarea { width: 100%; min-height: 3rem; }
.message { margin-left: .8rem; }
</style>
</head>
<body>
<header>
<h1>{{ t.title }}</h1>
<nav><a href="?lang=nl{{ owner_q }}" hreflang="nl">Nederlands</a> |
<a href="?lang=en{{ owner_q }}" hreflang="en">English</a></nav>
</header>
<p id="summary">{{ summary }}</p>
{% for section in sections %}
<section id="{{ section.id }}">
<h2>{{ section.title }} ({{ section.tasks|length }})</h2>
{% if not section.tasks %}<p class="empty">{{ t.none }}</p>{% endif %}
{% for task in section.tasks %}
<article class="task {{ section.id }}" id="task-{{ task.id }}" data-task-id="{{ task.id }}"
 data-version="{{ task.version }}">
<h3>{{ task.title }}</h3>
<dl>
<dt>{{ t.patient }}</dt><dd class="patient">{{ task.patient }}</dd>
<dt>{{ t.period }}</dt><dd class="period">{{ task.start }} \u2013 {{ task.end }}</dd>
<dt>{{ t.status }}</dt><dd class="status">{{ task.status }}</dd>
<dt>{{ t.reason }}</dt><dd class="reason">{{ task.reason }}</dd>
</dl>
<p class="instruction">{{ task.instruction }}</p>
<details open><summary>{{ t.advice }}</summary>
<ul class="advice">
{% for a in task.advice %}<li data-statement="{{ a.id }}">
<strong>{{ a.id }}{% if a.name %} \u00b7 {{ a.name }}{% endif %}</strong>: {{ a.text }}</li>
{% endfor %}</ul>
<p class="source"><small>{{ t.source }}</small></p>
</details>
<form class="done" data-task-id="{{ task.id }}">
<label>{{ t.note }} <textarea name="note"></textarea></label>
<button type="submit" class="mark-done">{{ t.mark_done }}</button>
<span class="message" role="status"></span>
</form>
</article>
{% endfor %}
</section>
{% endfor %}
<script nonce="{{ nonce }}">
document.querySelectorAll("form.done").forEach(function (form) {
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var article = form.closest("article");
    var note = form.querySelector("textarea").value.trim();
    var ops = [{op: "replace", path: "/status", value: "completed"}];
    if (note) { ops.push({op: "add", path: "/note/-", value: {text: note}}); }
    var message = form.querySelector(".message");
    form.querySelector("button").disabled = true;
    fetch({{ task_url|tojson }}.replace("TASK_ID", article.dataset.taskId), {
      method: "PATCH",
      headers: {"Content-Type": "application/json-patch+json",
                "If-Match": 'W/"' + article.dataset.version + '"'},
      body: JSON.stringify(ops)
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      message.textContent = {{ t.saved|tojson }};
      window.location.reload();
    }).catch(function (error) {
      message.textContent = {{ t.failed|tojson }} + " (" + error.message + ")";
      form.querySelector("button").disabled = false;
    });
  });
});
</script>
</body>
</html>
"""


def task_view(plan: Plan, record: TaskRecord, lang: str, t: dict[str, str]) -> dict[str, Any]:
    """What one worklist entry shows; texts from the plan and the leaflet in `lang`."""
    res = record.resource
    coding = res.get("code", {}).get("coding", [{}])[0]
    item = plan.item(str(coding.get("code", "")))
    reason_code = res.get("reasonCode", {}).get("coding", [{}])[0].get("code", "")
    if res.get("language") == lang or reason_code not in plan.reasons:
        reason = str(res.get("reasonCode", {}).get("text", ""))
    else:
        reason = plan.reasons[reason_code][lang]
    return {
        "id": record.id,
        "version": record.version,
        "title": item.title[lang] if item else str(res.get("code", {}).get("text", "")),
        "patient": res.get("for", {}).get("reference", ""),
        "start": record.due_at.date().isoformat(),
        "end": record.overdue_at.date().isoformat(),
        "status": t.get(record.status, record.status),
        "reason": reason,
        "instruction": item.instruction[lang] if item else str(res.get("description", "")),
        "advice": plan.advice(item, lang) if item else [],
    }


def sections(plan: Plan, records: list[TaskRecord], lang: str, now: datetime) -> list[dict[str, Any]]:
    t = UI[lang]
    overdue = [task_view(plan, r, lang, t) for r in records if r.overdue_at < now]
    due = [task_view(plan, r, lang, t) for r in records if r.overdue_at >= now]
    return [
        {"id": "overdue", "title": t["overdue"], "tasks": overdue},
        {"id": "due", "title": t["due"], "tasks": due},
    ]
