"""Accessible figures: a short alt text (at most :data:`ALT_MAX` characters) and the long description
as visible text below the figure ("Kuvion kuvaus"), the pattern of the book's chapters.

Screen readers read a long alt text in one breath with no way to move inside it; a visible
description can be read at one's own pace, and sighted readers benefit from it too.
"""

from __future__ import annotations

import re

ALT_MAX = 250
DESCRIPTION_CLASS = "hyte-figure-description"
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ0-9])")


def short_alt(alt: str, limit: int = ALT_MAX) -> str:
    """The first sentences of ``alt`` that fit in ``limit`` characters (at least the first one,
    shortened at a word boundary with '…' if it alone is too long)."""
    text = re.sub(r"\s+", " ", str(alt)).strip()
    if len(text) <= limit:
        return text
    out = ""
    for sentence in _SENTENCE_END.split(text):
        candidate = f"{out} {sentence}".strip()
        if len(candidate) > limit:
            break
        out = candidate
    if out:
        return out
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def needs_description(alt: str, limit: int = ALT_MAX) -> bool:
    return len(re.sub(r"\s+", " ", str(alt)).strip()) > limit


def description_markdown(description_md: str) -> str:
    """The long description as a visible paragraph after the figure (``description_md`` is already
    Markdown-safe)."""
    return f"\n::: {{.{DESCRIPTION_CLASS}}}\n*Kuvion kuvaus:* {description_md}\n:::\n"


#: Column widths (per cent) of :func:`hyte.book.report.group_table` for Quarto's tbl-colwidths.
GROUP_TABLE_WIDTHS = (24, 7, 16, 9, 12, 12, 20)


def captioned(table_markdown: str, caption: str, widths: tuple[int, ...] | None = None) -> str:
    """A Markdown pipe table with a caption (Quarto's ``: caption`` line) so that every data table of
    the site has a <caption> and the PDF names it; text that is not a table, or a table that already
    has a caption, is returned as it is. ``caption`` is plain text (escaped here)."""
    from hyte.fmt import keep_together
    from hyte.markup import escape_markdown

    text = table_markdown.rstrip("\n")
    if not text.lstrip().startswith("|") or re.search(r"\n\s*\n: ", text):
        return table_markdown
    columns = text.lstrip().splitlines()[0].count("|") - 1
    attrs = ""
    if widths and len(widths) == columns:
        attrs = ' {tbl-colwidths="[' + ",".join(str(w) for w in widths) + ']"}'
    return f"{text}\n\n: {keep_together(escape_markdown(caption, inline=True))}{attrs}\n"
