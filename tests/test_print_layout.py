"""The council's PDF without Quarto: tables the product writes, compiled to typst with hyte's rules
(styles/hyte.typ) the way Quarto emits them, keep every row across pages and print without
hyphenating numbers; the print layout of a card fits in four A4 pages."""

from __future__ import annotations

import re

import pandas as pd
import pytest

pytest.importorskip("typst")
pytest.importorskip("pypdf")
pytest.importorskip("pypandoc")

from typst_support import (
    ROOT,
    compile_typst,
    markdown_to_typst,
    overprinted,
    pdf_text,
    text_positions,
)

from hyte.card import card
from hyte.data.catalog import load_catalog
from hyte.stats.summary import SUMMARY_COLUMNS

GROUPS = ["lapset_nuoret", "tyoikaiset", "ikaantyneet", "koko_vaesto"]


def _summary(rows: int) -> pd.DataFrame:
    records = []
    for n in range(rows):
        records.append(
            {
                "indicator": 1000 + n,
                "short": f"Rivi{n:02d} kohtalainen tai vaikea ahdistuneisuus, 8.–9. lk",
                "title": "t",
                "group": GROUPS[n % 4],
                "theme": "vaesto",
                "unit": "/1\u00a0000 vastaavanikäistä" if n % 3 == 0 else "%",
                "decimals": 1,
                "polarity": "lower_is_better",
                "value_type": "PROS",
                "year": 2025,
                "value": 12.6 + n,
                "count": 1300.0 + n,
                "lower": 11.4 + n,
                "upper": 13.9 + n,
                "suppressed": False,
                "county_value": 14.3,
                "country_value": 15.4,
                "vs_county": "better",
                "vs_country": "similar",
                "trend": "no_change",
                "trend_p": 0.5,
                "trend_first_year": 2017,
                "trend_last_year": 2025,
                "peer_min": 5.0,
                "peer_q25": 7.0,
                "peer_q75": 11.0,
                "peer_max": 15.0,
                "peer_n": 22,
                "rank": 5,
                "rank_n": 22,
                "headline": False,
                "hyte_kerroin": "none",
                "producer": "THL",
            }
        )
    return pd.DataFrame.from_records(records, columns=list(SUMMARY_COLUMNS)).astype(SUMMARY_COLUMNS)


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(ROOT / "data" / "indicators.yml")


def test_a_60_row_card_table_keeps_every_row_across_pages(tmp_path, catalog):
    markdown = card.indicator_table_markdown(
        _summary(60),
        catalog,
        caption="Kaikki indikaattorit: testi.",
        table_id="tbl-999-indikaattorit",
    )
    typst = markdown_to_typst(markdown)
    assert 'kind: "quarto-float-tbl"' in typst and "table.header(" in typst
    reader = compile_typst(typst, tmp_path)
    text = pdf_text(reader)
    found = {int(n) for n in re.findall(r"Rivi(\d\d)", text)}
    assert found == set(range(60)), f"rows missing from the PDF: {sorted(set(range(60)) - found)}"
    assert len(reader.pages) >= 2
    assert overprinted(text_positions(reader, r"Rivi\d\d")) == []
    # the header row repeats on every page of the table
    for page in reader.pages:
        assert "Vuosi" in (page.extract_text() or "")
    # numbers and units are never hyphenated or split at the thousands space
    assert "1\u00a0000" in text or "1 000" in text
    assert not re.search(r"1\s*\n\s*000", text)
    assert "ahdis-" not in text and "vastaa-" not in text


def test_without_the_rules_typst_loses_rows(tmp_path, catalog):
    """The test can fail: Quarto's figure without hyte's rules keeps the table on one page."""
    markdown = card.indicator_table_markdown(
        _summary(60),
        catalog,
        caption="Kaikki indikaattorit: testi.",
        table_id="tbl-999-indikaattorit",
    )
    reader = compile_typst(markdown_to_typst(markdown), tmp_path, rules=False)
    assert len(reader.pages) == 1
    assert len(overprinted(text_positions(reader, r"Rivi\d\d"))) > 10


@pytest.mark.slow
@pytest.mark.parametrize(
    "code", ["179", "435"]
)  # Jyväskylä (the most findings), Luhanka (smallest)
def test_the_print_layout_of_a_card_fits_in_four_a4_pages(tmp_path, code):
    import matplotlib

    matplotlib.use("Agg")
    from hyte.book.maps import card_locator
    from hyte.card.print_card import HTML_CLASS, PRINT_CLASS, print_card_markdown

    kortti = card.open_card(code, output_dir=tmp_path)
    markdown = (
        f"# {kortti.name}\n\n{kortti.header().data}\n{card_locator(kortti).data}\n"
        f"{print_card_markdown(kortti)}"
    )
    assert PRINT_CLASS in markdown and HTML_CLASS not in markdown
    # every heading of the print layout stays out of the table of contents
    headings = re.findall(r"^#{2,6} .*$", print_card_markdown(kortti), re.MULTILINE)
    assert headings and all(".unlisted" in h for h in headings)
    typst = markdown_to_typst(markdown)
    assert "outlined: false" in typst and "#pagebreak(weak: true)" in typst
    reader = compile_typst(typst, tmp_path)
    pages = len(reader.pages)
    assert 3 <= pages <= 4, f"{code}: {pages} pages"
    text = pdf_text(reader)
    for name in kortti.summary["short"].head(3):
        assert name.split(",")[0][:12] in text.replace("\n", " ")
    # the spine chart is on page 2, the indicator table starts on page 3
    assert "Pääindikaattorit" in (reader.pages[1].extract_text() or "")
    assert "Kaikki indikaattorit" in (reader.pages[2].extract_text() or "")


def test_book_rules_drop_the_empty_appendix_page_and_deep_numbers(tmp_path, root):
    from hyte.card.print_card import typst_rules_block

    block = typst_rules_block(root)
    assert block.startswith("```{=typst}\n") and "breakable: true" in block
    body = (
        "#outline()\n= Luku\ntext\n== Osa\n=== Ala\n#heading(level: 1, numbering: none)[Liitteet]\n"
        "= Liite A\ntext\n"
    )
    reader = compile_typst(body, tmp_path)
    texts = [page.extract_text() or "" for page in reader.pages]
    assert not any(t.strip().startswith("Liitteet") for t in texts), texts  # no empty chapter page
    assert "1.1 Osa" in "\n".join(texts) and "1.1.1" not in "\n".join(texts)
    assert len(reader.pages) == 3


def test_card_figures_are_small_svg_files_and_short_alt_texts(tmp_path):
    import xml.etree.ElementTree as ET

    from hyte.figures.a11y import ALT_MAX

    kortti = card.open_card("179", output_dir=tmp_path)
    markdown = str(kortti.spine().data) + str(kortti.group_section("lapset_nuoret").data)
    figures = card.figures_in(markdown)
    assert figures
    for figure in figures:
        assert 20 < len(figure["alt"]) <= ALT_MAX, figure["alt"]
        assert figure["path"].endswith(".svg")
        data = (tmp_path / figure["path"]).read_bytes()
        root = ET.fromstring(data)  # well-formed SVG with a size in points
        assert root.tag.endswith("svg") and root.get("width").endswith("pt")
        assert len(data) < 80_000, (figure["path"], len(data))
    # the long description is visible text below the figure
    assert "::: {.hyte-figure-description}\n*Kuvion kuvaus:* " in markdown


def test_card_svg_figures_compile_in_typst(tmp_path):
    """The print layout's spine chart is an SVG: typst (the PDF) must read it and print its text."""
    import pypdf
    import typst

    kortti = card.open_card("179", output_dir=tmp_path)
    path = card.figures_in(str(kortti.spine().data))[0]["path"]
    source = tmp_path / "spine.typ"
    source.write_text(
        f'#set page(width: 17cm, height: auto, margin: 5mm)\n#image("{path}", width: 16cm)\n',
        encoding="utf-8",
    )
    typst.compile(str(source), output=str(tmp_path / "spine.pdf"))
    text = pypdf.PdfReader(tmp_path / "spine.pdf").pages[0].extract_text()
    assert "Jyväskylä" in text and "Koulukiusattu viikoittain" in text


def test_pdf_footer_is_two_whole_lines_for_demo_data(tmp_path):
    from datetime import date

    import pypdf
    import typst

    from hyte.book import files as book

    prov = book.Provenance(
        snapshot_id="demo-keski-suomi",
        snapshot_date="2026-11-28",
        synthetic=True,
        built=date(2026, 12, 1),
        commit="915e927" + "0" * 33,
        dirty=True,
    )
    source = tmp_path / "footer.typ"
    source.write_text(book.typst_header(prov) + "\nTeksti\n", encoding="utf-8")
    typst.compile(str(source), output=str(tmp_path / "footer.pdf"))
    lines = pypdf.PdfReader(str(tmp_path / "footer.pdf")).pages[0].extract_text().splitlines()
    assert lines[-2].startswith("Aineisto demo-keski-suomi") and lines[-2].endswith("(muokattu)")
    assert lines[-1] == "ESIMERKKIAINEISTO – ei todellisia lukuja"


def test_captioned_adds_a_caption_and_widths_to_tables_only():
    from hyte.figures.a11y import GROUP_TABLE_WIDTHS, captioned
    from hyte.markup import markdown_table

    table = markdown_table(["A", "B"], [["1 000", "x"]])
    text = captioned(table, "Koe: 95 % [a]", (70, 30))
    assert text.endswith('\n\n: Koe: 95\u00a0% \\[a\\] {tbl-colwidths="[70,30]"}\n')
    assert captioned(text, "Toinen") == text  # already captioned
    assert captioned("*Ei tietoja.*\n", "Koe") == "*Ei tietoja.*\n"
    assert captioned(table, "Koe", GROUP_TABLE_WIDTHS).endswith(": Koe\n")  # widths must fit


@pytest.mark.slow
def test_the_card_headings_never_skip_a_level(tmp_path):
    """Both layouts of the notebook, in order: headings go down one level at a time (h1 title, h2
    sections, h3 inside them), never from h2 to h4."""
    import ast

    import matplotlib
    import nbformat

    matplotlib.use("Agg")
    nb = nbformat.read(ROOT / "notebooks" / "municipal_card.ipynb", as_version=4)
    namespace = {
        "municipality": "435",
        "snapshot": None,
        "county": None,
        "config_path": None,
        "output_dir": str(tmp_path),
    }
    texts = ["# Luhanka"]
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            texts.append(cell.source)
        elif cell.cell_type == "code" and "parameters" not in cell.metadata.get("tags", []):
            tree = ast.parse(cell.source)
            last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
            exec(compile(tree, "cell", "exec"), namespace)  # noqa: S102
            if last is not None:
                value = eval(compile(ast.Expression(last.value), "cell", "eval"), namespace)
                texts.append(str(getattr(value, "data", "") or ""))
    joined = "\n\n".join(texts)
    for layout in joined.split('::: {.content-visible when-format="typst"}'):
        levels = [len(m) for m in re.findall(r"^(#{1,6}) ", layout, re.MULTILINE)]
        previous = 1
        for level in levels:
            assert level <= previous + 1, (levels, layout[:200])
            previous = level
    assert "**Vahvuudet**" not in joined and "**Menetelmät**" not in joined
