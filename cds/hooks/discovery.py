"""The services this CDS service offers, one per hook, and their prefetch templates.

Templates are derived from what the rules read (`Knowledge.reads`), so adding a rule that reads a
new code widens the prefetch without code changes. Only 2.0 tokens ({{context.x}}) and the
FHIR search subset of the spec (reference, token equality, `_sort`, `_count`) are used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cds.knowledge import Knowledge

DISCHARGE = "pfd-risk-discharge"
PATIENT_VIEW = "pfd-risk-patient-view"
# Types whose `code` search parameter matches the code the rules read.
_CODE_PARAM = {"Observation", "Condition", "Procedure", "FamilyMemberHistory"}
_SORT_BY_DATE = {"Observation", "Procedure"}
_MAX_QUERY = 1800  # beyond this some servers refuse the URL; then fetch the whole type


@dataclass(frozen=True)
class Service:
    id: str
    hook: str
    title: str
    description: str
    prefetch: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "hook": self.hook,
            "title": self.title,
            "description": self.description,
            "prefetch": self.prefetch,
            "usageRequirements": (
                "Send a JWT (ES384 or RS384) from a trusted issuer. fhirServer with "
                "fhirAuthorization lets the service fetch what prefetch lacks."
            ),
        }


def services(kb: Knowledge) -> dict[str, Service]:
    return {
        DISCHARGE: Service(
            DISCHARGE,
            "encounter-discharge",
            "Pelvic floor risk after childbirth (discharge)",
            "At discharge after childbirth: flags risk factors for pelvic floor complaints from "
            "the leaflet 'Houd een oogje op de bodem!', proposes a referral to a pelvic floor "
            "physiotherapist and gives the patient the leaflet's exercise programme.",
            prefetch_templates(kb, with_encounter=True),
        ),
        PATIENT_VIEW: Service(
            PATIENT_VIEW,
            "patient-view",
            "Pelvic floor risk after childbirth (chart)",
            "When a pregnant or recently delivered patient's chart is opened: flags risk factors "
            "for pelvic floor complaints from the leaflet 'Houd een oogje op de bodem!' and links "
            "the leaflet's exercise programme.",
            prefetch_templates(kb, with_encounter=False),
        ),
    }


def prefetch_templates(kb: Knowledge, *, with_encounter: bool) -> dict[str, str]:
    templates = {"patient": "Patient/{{context.patientId}}"}
    if with_encounter:
        templates["encounter"] = "Encounter/{{context.encounterId}}"
    for rtype in sorted(kb.reads):
        if rtype == "Patient":
            continue
        query = f"{rtype}?patient={{{{context.patientId}}}}"
        codes = kb.reads[rtype]
        if codes and rtype in _CODE_PARAM:
            tokens = ",".join(f"{system}|{code}" for system, code in sorted(codes))
            if len(query) + len(tokens) < _MAX_QUERY:
                query += f"&code={tokens}"
        if rtype in _SORT_BY_DATE:
            query += "&_sort=-date"
        templates[_key(rtype)] = query
    return templates


def _key(rtype: str) -> str:
    plural = rtype[:-1] + "ies" if rtype.endswith("y") else rtype + "s"
    return plural[0].lower() + plural[1:]
