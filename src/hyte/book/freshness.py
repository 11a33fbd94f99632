"""Before a render: is every card the book lists current? (issue 10)

A card in ``_cards.yml`` is current when its manifest entry (``<cards>/_manifest.json``) says it was
made, and its cache key equals the key the current inputs give (snapshot, catalog, plan, config,
reference data, template and hyte's code; see :mod:`hyte.run.batch`). Otherwise it is stale: its last
run failed (the page is the previous good card), its inputs changed since, or it has no record at all.
A stale card is never published silently as current: :func:`check_and_mark_cards` puts a warning at
the top of its page and returns it for the render summary; a current card loses an earlier warning.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from hyte.markup import md_text

STALE_CELL_ID = "hyte-stale-card"
_LABELS_FI = {
    "template": "kortin pohja",
    "config": "asetukset (hyte.yml)",
    "snapshot_manifest": "aineisto",
    "catalog": "indikaattoriluettelo",
    "plan": "hyvinvointisuunnitelma",
    "hyte_kerroin": "HYTE-kertoimen asetukset",
    "municipalities": "kuntaluettelo",
    "counties": "hyvinvointialueluettelo",
    "hyte_version": "ohjelmaversio",
    "hyte_source": "ohjelmakoodi",
}


@dataclass
class CardCheck:
    """One listed card: ``reason`` (English, for the summary) and ``reason_fi`` (for its page) are
    None when it is current."""

    notebook: str
    code: str | None
    reason: str | None = None
    reason_fi: str | None = None

    def line(self) -> str:
        return f"{self.code or '?'} ({self.notebook}): {self.reason}"


def _changed(made_with: dict, now: dict) -> list[str]:
    """The names of the inputs that differ between two fingerprints."""
    names = [
        k
        for k in sorted(set(made_with.get("files", {})) | set(now.get("files", {})))
        if (made_with.get("files") or {}).get(k) != (now.get("files") or {}).get(k)
    ]
    names += [k for k in ("hyte_version", "hyte_source") if made_with.get(k) != now.get(k)]
    return names


def check_cards(config) -> list[CardCheck]:
    """Every card ``_cards.yml`` lists, checked against the current inputs (see the module doc)."""
    from hyte.book import files as book
    from hyte.run.batch import MANIFEST_NAME, TEMPLATE, card_key, input_fingerprint

    root = Path(config.root)
    listed = book.read_card_list(root)
    if not listed:
        return []
    try:
        manifest = json.loads((config.cards_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {}
    entries = manifest.get("cards", {}) if isinstance(manifest, dict) else {}
    template = (
        root / str(manifest.get("template") or TEMPLATE)
        if isinstance(manifest, dict)
        else root / TEMPLATE
    )
    fingerprint = input_fingerprint(config, template, config.snapshot_path)
    recorded = manifest.get("inputs") or {}
    checks = []
    for notebook in listed:
        entry = next(
            (
                e
                for e in entries.values()
                if isinstance(e, dict)
                and notebook in (e.get("notebook"), (e.get("previous_good") or {}).get("notebook"))
            ),
            None,
        )
        check = CardCheck(notebook, entry.get("code") if entry else None)
        checks.append(check)
        if entry is None:
            check.reason = "no record in the cards manifest (left by an interrupted run?)"
            check.reason_fi = "korttia ei ole kirjattu korttien luetteloon (keskeytynyt ajo?)"
            continue
        made = entry
        if entry.get("status") != "ok":
            made = entry.get("previous_good") or {}
            check.reason = (
                f"its last run failed ({entry.get('error')}); this is the card made "
                f"{made.get('finished', '?')} from snapshot {made.get('snapshot_id', '?')}"
            )
            check.reason_fi = (
                f"kortin viimeisin ajo epäonnistui; sivulla on {str(made.get('finished', '?'))[:10]} "
                f"tehty kortti aineistosta {made.get('snapshot_id', '?')}"
            )
            continue
        params = dict(entry.get("parameters") or {})
        for name in ("snapshot", "county"):
            if name in params:
                params[name] = getattr(config, name)
        if card_key(fingerprint, params) == entry.get("cache_key"):
            continue
        if recorded and card_key(recorded, entry.get("parameters") or {}) == entry.get("cache_key"):
            changed = _changed(recorded, fingerprint)
        else:
            changed = []
        if entry.get("parameters") != params:
            changed = ["parameters", *changed]
        what = ", ".join(changed) or "its inputs"
        what_fi = ", ".join(_LABELS_FI.get(c, c) for c in changed) or "lähtötiedot"
        check.reason = (
            f"made {entry.get('finished', '?')} from other inputs than the current ones ({what})"
        )
        check.reason_fi = (
            f"kortti on tehty {str(entry.get('finished', '?'))[:10]} aineistosta "
            f"{entry.get('snapshot_id', '?')}, ja sen jälkeen ovat muuttuneet: {what_fi}"
        )
    return checks


def _warning_cell(reason_fi: str) -> dict:
    import nbformat

    text = (
        "::: {.callout-warning}\n## Kortti ei ole ajan tasalla\n\n"
        f"{md_text(reason_fi[:1].upper() + reason_fi[1:])}. Luvut eivät välttämättä vastaa "
        "kirjan muita lukuja. Kortti päivittyy komennolla `hyte cards`.\n:::"
    )
    cell = nbformat.v4.new_markdown_cell(text)
    cell["id"] = STALE_CELL_ID
    cell["metadata"] = {"hyte": {"stale": True}}
    return cell


def mark_card(path: Path, reason_fi: str | None) -> bool:
    """Put (or remove, when ``reason_fi`` is None) the stale-card warning at the top of the card's
    page, after its front matter; True when the file changed."""
    import nbformat

    from hyte.data.snapshot import write_text_atomic

    path = Path(path)
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001 - not a readable notebook: Quarto will say so; nothing to mark here
        return False
    if "cells" not in nb:
        return False
    before = nbformat.writes(nb)
    nb.cells = [c for c in nb.cells if not (c.get("metadata", {}).get("hyte") or {}).get("stale")]
    if reason_fi:
        first = 1 if nb.cells and nb.cells[0].cell_type == "raw" else 0
        nb.cells.insert(first, _warning_cell(reason_fi))
    after = nbformat.writes(nb)
    if after == before:
        return False
    write_text_atomic(path, after)
    return True


def check_and_mark_cards(config) -> list[CardCheck]:
    """Check every listed card, mark the stale ones on their page, unmark current ones; returns the
    stale cards."""
    root = Path(config.root)
    checks = check_cards(config)
    for check in checks:
        path = root / check.notebook
        if path.is_file():
            mark_card(path, check.reason_fi)
    return [c for c in checks if c.reason]
