"""A card's file name: the municipality code and its ASCII-folded name ('992-aanekoski')."""

from __future__ import annotations

import re
import unicodedata

from hyte.data.regions import Municipality


def card_slug(name: str) -> str:
    """ASCII-folded lowercase name: 'Äänekoski' -> 'aanekoski', 'Pedersören kunta' -> 'pedersoren-kunta'."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")


def card_stem(municipality: Municipality) -> str:
    """File name of a card without suffix: '992-aanekoski'."""
    return f"{municipality.code}-{card_slug(municipality.name_fi)}"
