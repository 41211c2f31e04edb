"""Rule evaluation: facts (delivery, pregnancy, BMI) and three-valued findings with evidence."""

from cds.engine.evaluate import evaluate
from cds.engine.findings import ABSENT, PRESENT, UNKNOWN, Delivery, Evaluation, Evidence, Finding, Pregnancy

__all__ = [
    "ABSENT",
    "PRESENT",
    "UNKNOWN",
    "Delivery",
    "Evaluation",
    "Evidence",
    "Finding",
    "Pregnancy",
    "evaluate",
]
