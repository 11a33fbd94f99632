"""A Quarto chapter (``.qmd``) as a Jupyter notebook and back, losing nothing.

hyte executes the book's chapters itself (:mod:`hyte.book.chapters`): each ``.qmd`` source becomes a
notebook the way Quarto's own Jupyter engine makes its intermediate notebook: the front matter (if any)
is a first raw cell, every ```` ```{python} ```` block a code cell whose source keeps its ``#|`` option
lines (Quarto reads cell options from them in a notebook too), and all the text between them (headings
with their ``{#sec-...}`` ids, raw blocks such as ```` ```{=typst} ````, other code fences, divs) one
Markdown cell each, verbatim.

:func:`notebook_to_qmd` gives back the exact source text (line endings, blank lines, fence lengths):
the layout of every cell is kept in the notebook's metadata (``metadata.hyte.cells``), not in the
cells' own metadata, which Quarto would forward as attributes of the cell's div.
"""

from __future__ import annotations

import re
from typing import Any

KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
_OPEN = re.compile(r"^(?P<ticks>`{3,})\{python(?:[ ,][^}\r\n]*)?\}[ \t]*\r?\n?$")
_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})")
_FRONT_END = re.compile(r"^(---|\.\.\.)[ \t]*\r?\n?$")


def _strip_one_newline(text: str) -> tuple[str, bool]:
    if text.endswith("\n"):
        return text[:-1], True
    return text, False


def split_qmd(text: str) -> list[dict[str, Any]]:
    """The source as parts, in order: ``{"type": "raw"|"markdown"|"code", "text": ...}``; a code part
    also has ``open`` and ``close`` (its fence lines, exactly) and ``text`` is what lies between them.
    Concatenating the parts (fences around code) gives ``text`` back."""
    lines = text.splitlines(keepends=True)
    parts: list[dict[str, Any]] = []
    i = 0
    if lines and lines[0].rstrip("\r\n") == "---":
        for j in range(1, len(lines)):
            if _FRONT_END.match(lines[j]):
                parts.append({"type": "raw", "text": "".join(lines[: j + 1])})
                i = j + 1
                break
    markdown: list[str] = []

    def flush() -> None:
        if markdown:
            parts.append({"type": "markdown", "text": "".join(markdown)})
            markdown.clear()

    while i < len(lines):
        line = lines[i]
        opened = _OPEN.match(line)
        if opened:
            ticks = len(opened["ticks"])
            close = re.compile(rf"^`{{{ticks},}}[ \t]*\r?\n?$")
            j = i + 1
            while j < len(lines) and not close.match(lines[j]):
                j += 1
            flush()
            parts.append(
                {
                    "type": "code",
                    "open": line,
                    "text": "".join(lines[i + 1 : j]),
                    "close": lines[j] if j < len(lines) else None,
                }
            )
            i = j + 1
            continue
        fence = _FENCE.match(line)
        if fence:  # a literal (non-executed) fence: everything up to its end is text, as in Quarto
            mark = fence["fence"]
            end = re.compile(rf"^{re.escape(mark[0])}{{{len(mark)},}}[ \t]*\r?\n?$")
            j = i + 1
            while j < len(lines) and not end.match(lines[j]):
                j += 1
            markdown.extend(lines[i : j + 1])
            i = j + 1
            continue
        markdown.append(line)
        i += 1
    flush()
    return parts


def qmd_to_notebook(text: str, *, source: str | None = None):
    """The ``.qmd`` text as an (unexecuted) ``nbformat`` v4 notebook; ``source`` (the chapter's path)
    is noted in the notebook's metadata. Cell ids are stable (``c1``, ``c2``, ...)."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    layout = []
    for number, part in enumerate(split_qmd(text), start=1):
        body, stripped = _strip_one_newline(part["text"])
        if part["type"] == "code":
            cell = nbformat.v4.new_code_cell(body)
            layout.append(
                {"type": "code", "open": part["open"], "close": part["close"], "strip": stripped}
            )
        elif part["type"] == "raw":
            cell = nbformat.v4.new_raw_cell(body)
            layout.append({"type": "raw", "strip": stripped})
        else:
            cell = nbformat.v4.new_markdown_cell(body)
            layout.append({"type": "markdown", "strip": stripped})
        cell["id"] = f"c{number}"
        nb.cells.append(cell)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["hyte"] = {"source": source, "cells": layout}
    return nb


def notebook_to_qmd(nb) -> str:
    """The exact ``.qmd`` text a notebook made by :func:`qmd_to_notebook` came from (executed or not)."""
    layout = (nb.get("metadata", {}).get("hyte") or {}).get("cells")
    cells = nb.get("cells", [])
    if layout is None or len(layout) != len(cells):
        raise ValueError("not a notebook made by hyte.book.qmd (its cell layout is missing)")
    out = []
    for cell, shape in zip(cells, layout, strict=True):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        if shape.get("strip"):
            source += "\n"
        if shape["type"] == "code":
            out.append(shape["open"] + source + (shape.get("close") or ""))
        else:
            out.append(source)
    return "".join(out)


def cell_options(source: str) -> dict[str, str]:
    """The ``#| key: value`` option lines at the top of a code cell (values as written)."""
    options = {}
    for line in source.splitlines():
        match = re.match(r"^#\|\s*([\w-]+)\s*:\s*(.*?)\s*$", line)
        if not match:
            break
        options[match[1]] = match[2]
    return options
