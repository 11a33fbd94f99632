"""Quarto's pre-render hook (``project: pre-render: python -m hyte.book.prerender`` in ``_quarto.yml``).

Quarto runs it in the project folder before every render (https://quarto.org/docs/projects/scripts.html)
and re-reads the project's metadata afterwards, so what it writes is used by that same render. It makes
plain ``quarto render`` give what ``hyte build`` gives:

1. On a render of the whole project (Quarto sets ``QUARTO_PROJECT_RENDER_ALL=1``) it runs the card
   batch incrementally (only cards whose inputs changed). Skipped for single-file renders and previews,
   and when ``HYTE_SKIP_CARDS=1`` (``hyte render`` sets it: it renders only; ``hyte build`` has just
   made the cards).
2. It rewrites the card list ``_cards.yml`` from the finished cards.
3. It executes the profile's chapters that changed (:mod:`hyte.book.chapters`; nothing when nothing
   changed) and writes the chapter notebooks the book lists, so Quarto starts no Jupyter kernel.
   Skipped when ``HYTE_SKIP_CHAPTERS=1`` (``hyte render`` sets it: it has just done this itself). A
   failing chapter does not stop the render: its page keeps the previous good output, marked.
4. It writes the title metadata, the HTML demo banner and the PDF footer for the active profile
   (``QUARTO_PROFILE``; the default profile when unset).

A configuration error stops the render with one line (exit 1). A failing card does not: the card keeps
its previous good output (or is left out of the list) and the failure is printed.
"""

from __future__ import annotations

import os
import sys

SKIP_CARDS_ENV = "HYTE_SKIP_CARDS"
SKIP_CHAPTERS_ENV = "HYTE_SKIP_CHAPTERS"
RENDER_ALL_ENV = "QUARTO_PROJECT_RENDER_ALL"


def should_run_cards(environ: dict[str, str] | None = None) -> bool:
    """Run the card batch only on a full-project render and when hyte did not ask to skip it."""
    environ = os.environ if environ is None else environ
    return bool(environ.get(RENDER_ALL_ENV)) and environ.get(SKIP_CARDS_ENV, "") not in (
        "1",
        "true",
    )


def run(environ: dict[str, str] | None = None, *, config=None, echo=print) -> int:
    """The hook's work (see the module doc); returns the exit code."""
    from hyte.book import files as book
    from hyte.config import load_config
    from hyte.errors import HyteError

    environ = os.environ if environ is None else environ
    try:
        config = config or load_config()
        from hyte.plan.consistency import check_plan_county

        check_plan_county(config)  # another county's plan would be printed as this county's
        profile = book.active_profile(environ=environ)
        if should_run_cards(environ):
            from hyte.run.batch import run_cards

            result = run_cards(config, progress=False)
            for line in result.summary_lines():
                echo(f"hyte: {line}")
        book.sync_card_list(config)
        skip = environ.get(SKIP_CHAPTERS_ENV) or os.environ.get(SKIP_CHAPTERS_ENV, "")
        if skip not in ("1", "true"):
            from hyte.book.chapters import run_chapters

            chapters = run_chapters(config, profile, progress=False)
            for line in chapters.summary_lines():
                echo(f"hyte: {line}")
        from hyte.book.freshness import check_and_mark_cards

        for stale in check_and_mark_cards(config):
            echo(f"hyte: card not current, marked on its page: {stale.line()}")
        book.write_generated(config, profile)
        echo(
            f"hyte: book files written for profile '{profile}' "
            f"({len(book.read_card_list(config.root))} municipal cards)."
        )
    except HyteError as exc:
        print(f"hyte pre-render error: {exc}", file=sys.stderr)
        return 1
    return 0


def main() -> None:  # pragma: no cover - entry point
    sys.exit(run())


if __name__ == "__main__":  # pragma: no cover
    main()
