"""Interface wording of suggestions, links, override reasons and page headings (nl/en).

These are labels, not clinical statements: everything clinical on a card or the education page
comes from rules/ (Knowledge.statements and the card texts).
"""

from __future__ import annotations

OVERRIDE_SYSTEM = "urn:bodem-cds:CodeSystem:override-reason"
SUGGESTION_ID_SYSTEM = "urn:bodem-cds:suggestion"
# The clinical codes of the referral live in rules/cards/texts.yaml (`suggestions`).
COMMUNICATION_CATEGORY = {
    "system": "http://terminology.hl7.org/CodeSystem/communication-category",
    "code": "instruction",
    "display": "Instruction",
}

TEXTS: dict[str, dict[str, str]] = {
    "nl": {
        "referral_label": "Verwijs naar een bekkenfysiotherapeut",
        "referral_desc": "Maak een verwijzing naar een bekkenfysiotherapeut aan",
        "referral_code_text": "Verwijzing bekkenfysiotherapie",
        "performer": "Bekkenfysiotherapeut",
        "followups_label": "Plan de nazorggesprekken bekkenbodem",
        "followups_desc": "Zet de nazorgtaken voor de zorgcoördinator klaar (na 2 dagen, 6 weken en 3 maanden)",
        "leaflet_label": "Geef de patiënt de folder met oefeningen",
        "leaflet_desc": "Stuur de patiënt de folder 'Houd een oogje op de bodem!' met de oefeningen",
        "leaflet_title": "Houd een oogje op de bodem! Informatie en oefenadviezen",
        "link_nl": "Patiëntinformatie en oefeningen (Nederlands)",
        "link_en": "Patiëntinformatie en oefeningen (Engels)",
        "link_smart": "Open de bekkenbodem-app",
        "source_label": "Folder 'Houd een oogje op de bodem!'",
        "already-referred": "al verwezen",
        "patient-declines": "patiënt wil niet",
        "already-in-care": "al onder behandeling van een bekkenfysiotherapeut",
        "not-applicable": "niet van toepassing voor deze patiënt",
        "page_exercises": "Oefeningen",
        "page_advice": "Belangrijk om te onthouden",
        "page_questions": "Mijn vragen",
        "page_print": "Afdrukken",
    },
    "en": {
        "referral_label": "Refer to a pelvic floor physiotherapist",
        "referral_desc": "Create a referral to a pelvic floor physiotherapist",
        "referral_code_text": "Referral to pelvic floor physiotherapy",
        "performer": "Pelvic floor physiotherapist",
        "followups_label": "Plan the pelvic floor follow-up calls",
        "followups_desc": "Plan the care coordinator's follow-up tasks (after 2 days, 6 weeks and 3 months)",
        "leaflet_label": "Give the patient the leaflet with exercises",
        "leaflet_desc": "Send the patient the leaflet 'Keep an eye on the (pelvic) floor!' "
                        "with the exercises",
        "leaflet_title": "Keep an eye on the (pelvic) floor! Information and exercise advice",
        "link_nl": "Patient information and exercises (Dutch)",
        "link_en": "Patient information and exercises (English)",
        "link_smart": "Open the pelvic floor app",
        "source_label": "Leaflet 'Houd een oogje op de bodem!'",
        "already-referred": "already referred",
        "patient-declines": "patient declines",
        "already-in-care": "already in care of a pelvic floor physiotherapist",
        "not-applicable": "not applicable to this patient",
        "page_exercises": "Exercises",
        "page_advice": "Key points to remember",
        "page_questions": "My questions",
        "page_print": "Print",
    },
}

OVERRIDE_CODES = ("already-referred", "patient-declines", "already-in-care", "not-applicable")
