"""The municipality × indicator overview ("tartan rug") of the regional-differences chapter, drawn with
seaborn's heat map: one row per municipality, one column per indicator, each cell coloured by the
municipality's comparison with the county and marked with its symbol (+ − = ↑ ↓), so that the
pattern reads in greyscale and for colour-blind readers too."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from hyte.stats import stats

__all__ = ["CATEGORIES", "tartan_matrix", "tartan_rug"]

#: The comparison categories in the order of the colour scale.
CATEGORIES = (
    stats.BETTER,
    stats.SIMILAR,
    stats.WORSE,
    stats.HIGHER,
    stats.LOWER,
    stats.NOT_COMPARED,
)


def tartan_matrix(
    long: pd.DataFrame, indicators: Sequence, municipalities: Sequence[str]
) -> pd.DataFrame:
    """Municipalities (rows, in the order given) × indicators (columns, short names): the comparison
    code with the county; ``not_compared`` where the municipality has no row."""
    columns = [i.short_fi for i in indicators]
    matrix = pd.DataFrame(stats.NOT_COMPARED, index=list(municipalities), columns=columns)
    if long.empty:
        return matrix
    for indicator in indicators:
        rows = long[long["indicator"] == indicator.id]
        for _, r in rows.iterrows():
            if r["name"] in matrix.index:
                matrix.loc[r["name"], indicator.short_fi] = str(r["vs_county"])
    return matrix


def tartan_rug(
    long: pd.DataFrame,
    indicators: Sequence,
    municipalities: Sequence[str],
    *,
    county_name: str,
    medium: str = "a4",
):
    """The heat map as ``(figure, alt)``."""
    import matplotlib.pyplot as plt
    import seaborn as sns
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    from hyte.book.report import SIGNIFICANCE_STYLE, genitive
    from hyte.figures import style
    from hyte.stats.summary import label

    style.apply_style()
    matrix = tartan_matrix(long, indicators, municipalities)
    codes = {c: n for n, c in enumerate(CATEGORIES)}
    numeric = matrix.apply(lambda col: col.map(lambda v: codes.get(v, codes[stats.NOT_COMPARED])))
    symbols = matrix.apply(
        lambda col: col.map(lambda v: SIGNIFICANCE_STYLE.get(v, ("", "", ""))[2])
    )
    colours = ListedColormap([SIGNIFICANCE_STYLE[c][0] for c in CATEGORIES])
    rows, cols = matrix.shape
    width_cm = 16.0
    height_cm = min(23.0, 0.42 * rows + 7.5)
    fig, ax = plt.subplots(figsize=(width_cm / 2.54, height_cm / 2.54))
    sns.heatmap(
        numeric,
        ax=ax,
        cmap=colours,
        vmin=-0.5,
        vmax=len(CATEGORIES) - 0.5,
        cbar=False,
        annot=symbols.to_numpy(),
        fmt="",
        annot_kws={"fontsize": 7.5, "color": "#1B1B1B"},
        linewidths=0.6,
        linecolor="#BDBDBD",
        square=False,
    )
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.tick_params(axis="both", length=0, labelsize=7.5)
    ax.xaxis.tick_top()
    ax.set_xticklabels(
        [_wrap(t.get_text()) for t in ax.get_xticklabels()], rotation=90, ha="center", va="bottom"
    )
    present = [c for c in CATEGORIES if (matrix == c).to_numpy().any()]
    handles = [
        Patch(
            facecolor=SIGNIFICANCE_STYLE[c][0],
            edgecolor="#1B1B1B",
            label=f"{SIGNIFICANCE_STYLE[c][2] or '(tyhjä)'} {label(c)}",
        )
        for c in present
    ]
    fig.legend(
        handles=handles,
        loc="lower center",
        ncol=3,
        frameon=False,
        fontsize=7.5,
        bbox_to_anchor=(0.5, 0.0),
    )
    fig.subplots_adjust(left=0.2, right=0.99, top=0.72, bottom=0.9 / height_cm * 2.2)
    counts = (matrix == stats.WORSE).sum(axis=1)
    most = counts.sort_values(ascending=False, kind="stable")
    top = [f"{name} ({int(n)})" for name, n in most.head(3).items() if n > 0]
    alt = (
        f"Lämpökartta: {rows} kuntaa ja {cols} indikaattoria, solun väri ja merkki kertovat eron "
        f"{genitive(county_name)} arvoon."
        + (f" Eniten heikompia: {', '.join(top)}." if top else "")
    )
    return fig, alt


def _wrap(text: str, width: int = 28) -> str:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "\n".join(lines[:3])


def tartan_markdown(chapter, indicators) -> str:
    """The heat map as a Markdown figure for the chapter (``output: asis``)."""
    from hyte.figures.figure_files import figure_file_markdown, save_figure

    municipalities = [m.name_fi for m in chapter.ctx.municipalities]
    figure, alt = tartan_rug(
        chapter.municipal, indicators, municipalities, county_name=chapter.county_name
    )
    path = save_figure(figure, chapter.ctx.config.root, "kuntien-yleiskuva")
    caption = (
        "Kunnat ja pääindikaattorit: ero hyvinvointialueeseen (+ parempi, − heikompi, = ei "
        "merkitsevää eroa, ↑/↓ korkeampi/matalampi, tyhjä = ei vertailukelpoista tietoa)."
    )
    return figure_file_markdown(path, figure_id="fig-kuntien-yleiskuva", caption=caption, alt=alt)
