"""The knowledge under rules/: loaded, validated and indexed once at start."""

from cds.knowledge.loader import load_knowledge
from cds.knowledge.model import Anchor, Criterion, Knowledge, Rule, Window

__all__ = ["Anchor", "Criterion", "Knowledge", "Rule", "Window", "load_knowledge"]
