"""The patient education page linked from the cards: the leaflet's exercises (E1-E6), key advice
(K1-K4) and room for the patient's own questions (N1), in Dutch or English, printable.

Every text comes from the leaflet statements in rules/ (Knowledge.statements); the page adds
only headings. No patient data: the page is the same for everyone and needs no login.
"""

from __future__ import annotations

from typing import Any

from flask import Response, render_template_string

from cds.hooks.texts import TEXTS
from cds.knowledge import Knowledge

EXERCISES = ("E1", "E2", "E3", "E4", "E5", "E6")
ADVICE = ("K1", "K2", "K3", "K4")
QUESTIONS = "N1"

_PAGE = """<!doctype html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 46rem; margin: 2rem auto;
         padding: 0 1rem; line-height: 1.5; color: #111; }
  h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2rem; }
  .exercise { border-left: 4px solid #4a7; padding-left: .8rem; margin: 1rem 0; }
  .exercise h3 { margin: 0 0 .3rem; font-size: 1.05rem; }
  .lines div { border-bottom: 1px solid #999; height: 2.2rem; }
  nav a { margin-right: 1rem; }
  @media print {
    nav, button { display: none; }
    body { margin: 0; max-width: none; font-size: 11pt; }
    .exercise { break-inside: avoid; }
    a { color: inherit; text-decoration: none; }
  }
</style>
</head>
<body>
<nav><a href="?lang=nl" hreflang="nl">Nederlands</a><a href="?lang=en" hreflang="en">English</a>
<button type="button" onclick="window.print()">{{ t.page_print }}</button></nav>
<h1>{{ title }}</h1>
<h2>{{ t.page_exercises }}</h2>
{% for ex in exercises %}
<section class="exercise" id="{{ ex.id }}"><h3>{{ ex.name }}</h3><p>{{ ex.text }}</p></section>
{% endfor %}
<h2>{{ t.page_advice }}</h2>
<ul>{% for item in advice %}<li id="{{ item.id }}">{{ item.text }}</li>{% endfor %}</ul>
<h2>{{ t.page_questions }}</h2>
<p id="{{ questions.id }}">{{ questions.text }}</p>
<div class="lines">{% for _ in range(8) %}<div></div>{% endfor %}</div>
</body>
</html>
"""


def page_content(kb: Knowledge, lang: str) -> dict[str, Any]:
    """The statements the page shows; RuleError-free because create_app checked they exist."""
    s = kb.statements

    def text(sid: str) -> dict[str, str]:
        return {"id": sid, "text": s[sid][lang], "name": s[sid].get(f"name_{lang}", "")}

    return {
        "exercises": [text(sid) for sid in EXERCISES],
        "advice": [text(sid) for sid in ADVICE],
        "questions": text(QUESTIONS),
    }


def missing_statements(kb: Knowledge) -> list[str]:
    """Statement ids the page needs but the knowledge lacks (checked once at start)."""
    needed = (*EXERCISES, *ADVICE, QUESTIONS)
    return [
        sid for sid in needed
        if sid not in kb.statements or not all(kb.statements[sid].get(k) for k in ("nl", "en"))
    ]


def render(kb: Knowledge, lang: str) -> Response:
    t = TEXTS[lang]
    html = render_template_string(_PAGE, lang=lang, t=t, title=t["leaflet_title"],
                                  **page_content(kb, lang))
    response = Response(html, mimetype="text/html")
    response.headers["Content-Language"] = lang
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response
