r"""Free text into Markdown and HTML safely: escaping, and tables with escaped cells.

Text typed into the YAML files (goal texts, measures, names, assessments) must reach the reader as text:
a goal containing ``<script>`` or ``**bold** [link](x)`` shows those characters, never markup.

- :func:`escape_markdown` backslash-escapes every ASCII punctuation character that means something in
  Pandoc (Quarto) or CommonMark (Jupyter) Markdown. Both treat a backslash before ASCII punctuation as
  the literal character, so the escaped text renders identically to the input in either.
- :func:`escape_html` is the HTML form (``&``, ``<``, ``>``, quotes).
- :func:`markdown_table` / :func:`html_table` build tables from plain cell texts, escaping every cell;
  cells already built from escaped parts are passed as :class:`Raw`.
- :func:`md_text` is one line of Markdown (no-break spaces kept), for sentences printed into chapters;
  :func:`attribute_text` a double-quoted Pandoc attribute value (``fig-alt``); :func:`plain_figure_text`
  draws a figure with no text read as matplotlib mathtext (``$``); :func:`typst_string` a typst string
  literal. (hyte.figures.style's matplotlib settings also switch mathtext off for the card figures.)

Quarto expands shortcodes (``{{< env HOME >}}``) before Pandoc parses the text: escaped braces
(``\{\{\<``) and character references (``&#123;``) hide them; in an attribute value, where neither
exists, :func:`attribute_text` breaks ``{{`` and ``}}`` with an invisible word joiner (U+2060).
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

# Characters with a meaning anywhere in Pandoc (Quarto) or CommonMark (Jupyter) Markdown: emphasis,
# code, links, raw HTML, entities, tables, headings, math, citations, super/subscript, attributes.
_MARKDOWN_SPECIAL = set("\\`*_{}[]<>#|$@^~&!")
# Characters that mean something only at the start of a line: list bullets, definition lists and
# fenced divs, setext underlines, example lists, a title block.
_LINE_START_SPECIAL = set("-+:=(%")
_ORDERED_LIST_START = re.compile(r"^(\s*\d+)([.)])(?=\s|$)")
_WHITESPACE = re.compile(r"\s+")
_LINE_WHITESPACE = re.compile(r"[ \t\r\n\f\v]+")  # not the no-break space
_WORD_JOINER = "\u2060"
_SHORTCODE_BRACES = re.compile(r"([{}])(?=[{}])")
# Characters HTML inside Markdown still reads as Markdown (Pandoc parses text between HTML tags):
# written as numeric character references they stay text.
_HTML_MARKDOWN_SPECIAL = {ch: f"&#{ord(ch)};" for ch in "\\`*_{}[]#|$@^~!"}


def _break_shortcodes(text: str) -> str:
    """``{{<`` / ``>}}`` -> braces with a word joiner between: Quarto finds no shortcode."""
    return _SHORTCODE_BRACES.sub(lambda m: m[1] + _WORD_JOINER, text)


class Raw(str):
    """Markdown or HTML that is already safe (built from escaped parts): inserted as is."""


def escape_markdown(text: object, *, inline: bool = False) -> str:
    """Text -> Markdown that renders as exactly that text.

    Line breaks are kept (a blank line still separates paragraphs) unless ``inline`` is true, in
    which case all whitespace runs become one space (for table cells and list items).
    """
    if text is None:
        return ""
    if isinstance(text, Raw):
        return str(text)
    value = str(text)
    if inline:
        value = _WHITESPACE.sub(" ", value)
    out_lines = []
    for line in value.split("\n"):
        escaped = "".join("\\" + ch if ch in _MARKDOWN_SPECIAL else ch for ch in line)
        first = len(escaped) - len(escaped.lstrip())
        if first < len(escaped) and escaped[first] in _LINE_START_SPECIAL:
            escaped = escaped[:first] + "\\" + escaped[first:]
        # "1. " or "2026) " at the start of a line would begin an ordered list.
        escaped = _ORDERED_LIST_START.sub(lambda m: m[1] + "\\" + m[2], escaped)
        # Four leading spaces would make an indented code block; NBSPs keep the text as text.
        stripped = escaped.lstrip(" ")
        indent = len(escaped) - len(stripped)
        out_lines.append("\u00a0" * indent + stripped if indent >= 4 else escaped)
    return "\n".join(out_lines)


def md_text(text: object) -> str:
    """Text (a sentence, a name) as one line of Markdown that renders as exactly that text; unlike
    ``escape_markdown(inline=True)`` it keeps no-break spaces (between a number and its unit)."""
    if text is None:
        return ""
    if isinstance(text, Raw):
        return str(text)
    return escape_markdown(_LINE_WHITESPACE.sub(" ", str(text)).strip())


def attribute_text(text: object) -> str:
    """Text for a double-quoted Pandoc attribute value such as ``fig-alt``: one line, no double quotes
    or backslashes, no shortcode. (Pandoc escapes ``<`` ``>`` ``&`` when it writes the HTML attribute.)"""
    value = _WHITESPACE.sub(" ", "" if text is None else str(text)).strip()
    return _break_shortcodes(value.replace("\\", "/").replace('"', "\u201d"))


def plain_figure_text(function: Callable[..., T]) -> Callable[..., T]:
    """Decorator for a function that draws a matplotlib figure from data texts: inside it no text is
    read as mathtext (a ``$`` in a name stays a ``$``; ``$$`` no longer makes drawing fail)."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        import matplotlib as mpl

        with mpl.rc_context({"text.parse_math": False}):
            return function(*args, **kwargs)

    return wrapper


def typst_string(text: object) -> str:
    """A typst string literal ``"..."`` holding exactly ``text``."""
    value = "" if text is None else str(text)
    value = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "")
    return f'"{value}"'


def escape_html(text: object) -> str:
    """Text -> HTML that shows exactly that text (quotes escaped too, so it is safe in attributes)."""
    if text is None:
        return ""
    if isinstance(text, Raw):
        return str(text)
    return "".join(
        _HTML_MARKDOWN_SPECIAL.get(ch) or html.escape(ch, quote=True) for ch in str(text)
    )


def _cell(value: object) -> str:
    """A table cell: one line, no-break spaces inside numbers and before units (hyte.fmt.keep_together)."""
    from hyte.fmt import keep_together

    if isinstance(value, Raw):
        return keep_together(str(value).replace("\n", " ").strip())
    return keep_together(escape_markdown(value, inline=True).strip())


def markdown_table(
    headers: Sequence[object],
    rows: Iterable[Sequence[object]],
    *,
    align: str | None = None,
) -> str:
    """A Markdown pipe table; every cell is escaped (pass :class:`Raw` for prepared Markdown).

    ``align`` has one letter per column: ``l`` left, ``r`` right, ``c`` centre (default all left).
    """
    headers = list(headers)
    align = align or "l" * len(headers)
    if len(align) != len(headers):
        raise ValueError(f"align '{align}' has {len(align)} letters for {len(headers)} columns")
    rule = {"l": ":---", "r": "---:", "c": ":---:"}
    lines = [
        "| " + " | ".join(_cell(h) for h in headers) + " |",
        "|" + "|".join(rule[a] for a in align) + "|",
    ]
    for row in rows:
        cells = list(row)
        if len(cells) != len(headers):
            raise ValueError(f"a row has {len(cells)} cells for {len(headers)} columns: {cells!r}")
        lines.append("| " + " | ".join(_cell(c) or " " for c in cells) + " |")
    return "\n".join(lines) + "\n"


def html_table(
    headers: Sequence[object],
    rows: Iterable[Sequence[object]],
    *,
    align: str | None = None,
    caption: str | None = None,
    css_class: str = "hyte-table",
) -> str:
    """An HTML table; every cell is escaped (pass :class:`Raw` for prepared HTML)."""
    headers = list(headers)
    align = align or "l" * len(headers)
    style = {"l": "left", "r": "right", "c": "center"}
    parts = [f'<table class="{escape_html(css_class)}">']
    if caption:
        parts.append(f"<caption>{escape_html(caption)}</caption>")
    parts.append(
        "<thead><tr>"
        + "".join(
            f'<th style="text-align:{style[a]}">{escape_html(h)}</th>'
            for h, a in zip(headers, align)
        )
        + "</tr></thead>"
    )
    parts.append("<tbody>")
    for row in rows:
        cells = list(row)
        if len(cells) != len(headers):
            raise ValueError(f"a row has {len(cells)} cells for {len(headers)} columns: {cells!r}")
        parts.append(
            "<tr>"
            + "".join(
                f'<td style="text-align:{style[a]}">{escape_html(c)}</td>'
                for c, a in zip(cells, align)
            )
            + "</tr>"
        )
    parts.append("</tbody></table>")
    return "\n".join(parts) + "\n"


# --------------------------------------------------------------------------------------------------
# A small document model: build once, render as Markdown (Quarto, notebooks) or HTML (cards).


class Strong(str):
    """Inline text shown in bold (escaped like any text)."""


Inline = str  # plain text (escaped), Strong (bold, escaped) or Raw (inserted as is)


def _inline_markdown(parts: Sequence[object]) -> str:
    out = []
    for part in parts:
        if isinstance(part, Raw):
            out.append(str(part))
        elif isinstance(part, Strong):
            text = escape_markdown(part, inline=True)
            core = text.strip()
            if core:  # '** text **' is not bold: keep the spaces outside the markers
                out.append(
                    text[: len(text) - len(text.lstrip())]
                    + f"**{core}**"
                    + text[len(text.rstrip()) :]
                )
            else:
                out.append(text)
        else:
            out.append(escape_markdown(part, inline=True))
    return "".join(out)


def _inline_html(parts: Sequence[object]) -> str:
    out = []
    for part in parts:
        if isinstance(part, Raw):
            out.append(str(part))
        elif isinstance(part, Strong):
            out.append(f"<strong>{escape_html(part)}</strong>")
        else:
            out.append(escape_html(part))
    return "".join(out)


def _parts(content: object) -> list[object]:
    return list(content) if isinstance(content, (list, tuple)) else [content]


class Document:
    """Headings, paragraphs, bullet lists and tables of free text, rendered safely to Markdown or HTML.

    Every text is escaped on output; use :class:`Strong` for bold and :class:`Raw` for ready markup.
    A paragraph, a bullet or a table cell is a text or a list of inline parts
    (``["Vastuu: ", Strong("kunta")]``).
    """

    def __init__(self) -> None:
        self._blocks: list[tuple[str, Any]] = []

    def heading(self, level: int, content: object, *, identifier: str | None = None) -> Document:
        if not 1 <= level <= 6:
            raise ValueError(f"heading level {level} is not 1–6")
        self._blocks.append(("heading", (level, _parts(content), identifier)))
        return self

    def paragraph(self, content: object) -> Document:
        self._blocks.append(("paragraph", _parts(content)))
        return self

    def bullets(self, items: Iterable[object]) -> Document:
        self._blocks.append(("bullets", [_parts(item) for item in items]))
        return self

    def table(
        self,
        headers: Sequence[object],
        rows: Iterable[Sequence[object]],
        *,
        align: str | None = None,
        caption: str | None = None,
    ) -> Document:
        self._blocks.append(("table", (list(headers), [list(r) for r in rows], align, caption)))
        return self

    def extend(self, other: Document) -> Document:
        self._blocks.extend(other._blocks)
        return self

    def to_markdown(self) -> str:
        out = []
        for kind, data in self._blocks:
            if kind == "heading":
                level, parts, identifier = data
                suffix = f" {{#{identifier}}}" if identifier else ""
                out.append("#" * level + " " + _inline_markdown(parts) + suffix)
            elif kind == "paragraph":
                out.append(_inline_markdown(data))
            elif kind == "bullets":
                out.append("\n".join("- " + _inline_markdown(item) for item in data))
            else:
                headers, rows, align, caption = data
                rows = [
                    [Raw(_inline_markdown(c)) if isinstance(c, (list, tuple)) else c for c in row]
                    for row in rows
                ]
                table_text = markdown_table(headers, rows, align=align).rstrip("\n")
                if caption:
                    table_text += "\n\n: " + escape_markdown(caption, inline=True)
                out.append(table_text)
        return "\n\n".join(out) + "\n"

    def to_html(self) -> str:
        out = []
        for kind, data in self._blocks:
            if kind == "heading":
                level, parts, identifier = data
                attr = f' id="{escape_html(identifier)}"' if identifier else ""
                out.append(f"<h{level}{attr}>{_inline_html(parts)}</h{level}>")
            elif kind == "paragraph":
                out.append(f"<p>{_inline_html(data)}</p>")
            elif kind == "bullets":
                out.append(
                    "<ul>\n"
                    + "\n".join(f"<li>{_inline_html(item)}</li>" for item in data)
                    + "\n</ul>"
                )
            else:
                headers, rows, align, caption = data
                rows = [
                    [Raw(_inline_html(c)) if isinstance(c, (list, tuple)) else c for c in row]
                    for row in rows
                ]
                out.append(html_table(headers, rows, align=align, caption=caption).rstrip("\n"))
        return "\n".join(out) + "\n"
