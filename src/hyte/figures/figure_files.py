"""Chapter figures saved as files and shown with Quarto's figure syntax (a loop of maps, the heat map):
an optimised PNG under ``report/<folder>/``, a book-wide unique id, a caption, a short alt text
(≤ 250 characters) and, when the description is longer, the description as visible text."""

from __future__ import annotations

import io
from pathlib import Path

from hyte.figures.a11y import description_markdown, needs_description, short_alt
from hyte.markup import attribute_text, escape_markdown

#: Where chapter figures are written, relative to the report folder (generated; not in git).
CHAPTER_FIGURES = "_kuvat"


def _attribute(text: str) -> str:
    return attribute_text(text)


def save_figure(figure, root: Path, name: str, *, dpi: int | None = None) -> str:
    """Save ``figure`` as ``report/_kuvat/<name>.png`` (palette PNG); returns the path relative to
    the report folder (where the chapters are)."""
    from hyte.data.snapshot import write_bytes_atomic
    from hyte.figures.figures import close
    from hyte.figures.images import optimise_png

    buffer = io.BytesIO()
    figure.savefig(
        buffer, format="png", metadata={"Software": None}, **({"dpi": dpi} if dpi else {})
    )
    close(figure)
    relative = f"{CHAPTER_FIGURES}/{name}.png"
    write_bytes_atomic(Path(root) / "report" / relative, optimise_png(buffer.getvalue()))
    return relative


def figure_file_markdown(
    path: str, *, figure_id: str, caption: str, alt: str, width: str = "100%"
) -> str:
    """``![caption](path){#fig-... fig-alt="short alt" width=...}`` and, for a long ``alt``, the
    visible description."""
    if not figure_id.startswith("fig-"):
        raise ValueError(f"a figure id starts with 'fig-': {figure_id!r}")
    text = (
        f"![{escape_markdown(caption, inline=True)}]({path}){{#{figure_id} "
        f'fig-alt="{_attribute(short_alt(alt))}" width="{width}"}}\n'
    )
    if needs_description(alt):
        text += description_markdown(escape_markdown(alt, inline=True))
    return text
