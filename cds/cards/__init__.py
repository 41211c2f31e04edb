"""Card content (nl/en) from findings."""

from cds.cards.content import build_cards

__all__ = ["build_cards"]
