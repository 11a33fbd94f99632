"""Compile what the product writes to typst without Quarto: Markdown -> typst with pandoc (as Quarto
does), table figures wrapped the way Quarto 1.9 wraps them (``kind: "quarto-float-tbl"``, caption on
top, ``tbl-colwidths`` as column percentages), hyte's rules (styles/hyte.typ) in the header and a
stand-in for the book template that justifies and hyphenates like the orange-book does; then the PDF
is compiled with the ``typst`` package and read with ``pypdf``."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "styles" / "hyte.typ"

# What the book template does to the body (the orange-book justifies and hyphenates Finnish text).
TEMPLATE_STAND_IN = """
#set page(paper: "a4", margin: (x: 2.5cm, top: 3cm, bottom: 2.5cm),
          footer: align(center, text(size: 7pt, [Aineisto demo · ESIMERKKIAINEISTO])))
#set text(lang: "fi", size: 10.5pt)
#show: doc => {
  set par(justify: true)
  set text(hyphenate: true)
  set heading(numbering: "1.1.1.1")
  show heading.where(level: 1): it => { pagebreak(weak: true); block(text(size: 18pt, it)); v(1em) }
  doc
}
"""


def _colwidths(markdown: str) -> dict[str, list[int]]:
    found = {}
    for match in re.finditer(r'\{#(tbl-[\w-]+)[^}]*tbl-colwidths="\[([\d,\s]+)\]"', markdown):
        found[match[1]] = [int(x) for x in match[2].split(",")]
    return found


def markdown_to_typst(markdown: str) -> str:
    """Pandoc's typst for ``markdown``, with captioned tables wrapped as Quarto wraps them."""
    import pypandoc

    typst = pypandoc.convert_text(markdown, "typst", format="markdown")
    widths = _colwidths(markdown)
    pattern = re.compile(
        r"#figure\(\s*align\(center\)\[(?P<table>#table\((?:(?!#figure\().)*?\n  \))\]\s*"
        r", caption: \[(?P<cap>(?:(?!#figure\().)*?)\]\s*, kind: table\s*\)(?:\s*<(?P<id>[\w-]+)>)?",
        re.DOTALL,
    )

    def wrap(match: re.Match) -> str:
        table = match["table"]
        if match["id"] and match["id"] in widths:
            cols = "(" + ", ".join(f"{w}%" for w in widths[match["id"]]) + ")"
            table = re.sub(r"columns: (\d+|\([^)]*\)),", f"columns: {cols},", table, count=1)
        return (
            "#figure([\n"
            + table
            + "\n], caption: figure.caption(position: top, [\n"
            + match["cap"]
            + '\n]), kind: "quarto-float-tbl", supplement: "Taulukko")\n'
            + (f"<{match['id']}>" if match["id"] else "")
        )

    return pattern.sub(wrap, typst)


def compile_typst(body: str, folder: Path, *, name: str = "doc", rules: bool = True):
    """Compile ``body`` (typst) with hyte's rules and the template stand-in; returns the PdfReader."""
    import pypdf
    import typst

    folder = Path(folder)
    # As in the book: the template first, then hyte's rules at the start of the body (index.qmd).
    source = (
        TEMPLATE_STAND_IN
        + "\n"
        + (RULES.read_text(encoding="utf-8") if rules else "")
        + "\n"
        + body
    )
    path = folder / f"{name}.typ"
    path.write_text(source, encoding="utf-8")
    output = folder / f"{name}.pdf"
    typst.compile(str(path), output=str(output), root=str(folder))
    return pypdf.PdfReader(str(output))


def pdf_text(reader) -> str:
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def text_positions(reader, pattern: str) -> list[tuple[int, float, str]]:
    """(page index, y from the bottom in pt, text) of every text run matching ``pattern``."""
    found: list[tuple[int, float, str]] = []
    regex = re.compile(pattern)
    for index, page in enumerate(reader.pages):

        def visit(text, cm, tm, font, size, index=index):
            if regex.search(text or ""):
                found.append((index, float(tm[5]) * float(cm[3]) + float(cm[5]), text.strip()))

        page.extract_text(visitor_text=visit)
    return found


def overprinted(
    positions: list[tuple[int, float, str]], *, bottom: float = 60.0, gap: float = 4.0
) -> list[str]:
    """Texts printed over others (less than ``gap`` pt apart on the same page) or below ``bottom``
    (into the footer)."""
    bad = []
    by_page: dict[int, list[tuple[float, str]]] = {}
    for page, y, text in positions:
        by_page.setdefault(page, []).append((y, text))
    for items in by_page.values():
        items.sort()
        for (y1, t1), (y2, _t2) in itertools.pairwise(items):
            if abs(y2 - y1) < gap:
                bad.append(t1)
        bad += [t for y, t in items if y < bottom]
    return bad
