"""County consistency: the plan and its EVA must be for the county hyte.yml names.

A plan (``data/plan/<term>.yml``, field ``county``) of another county than the configured one is an
error of one line in ``hyte plan-check``, ``hyte cards``, the card's plan section and the book (the
pre-render hook and the plan chapters), never a silent report of another county's plan.
"""

from __future__ import annotations

from pathlib import Path

from hyte.errors import HyteError

__all__ = ["check_plan_county", "language_status_sentence", "plan_county_problem"]


def _declared_county(path: Path) -> str | None:
    """The plan file's ``county`` field, read without validating the rest (None when unreadable)."""
    from hyte.yamlio import read_yaml

    try:
        raw = read_yaml(path)
    except HyteError:
        return None
    if not isinstance(raw, dict) or raw.get("county") is None:
        return None
    text = str(raw["county"]).strip()
    return text.zfill(2) if text.isdigit() else text


def plan_county_problem(config) -> str | None:
    """One line when the configured plan file is for another county than hyte.yml's, else None (also
    when there is no plan file: that is reported where the plan is needed)."""
    from hyte.data.regions import ALL_COUNTIES

    if config.county == ALL_COUNTIES:  # every county's cards: each card shows the plan only for
        return None  # its own county (hyte.card.card.Card.plan); the book refuses `all` itself
    path = config.plan_path
    if not Path(path).is_file():
        return None
    declared = _declared_county(path)
    if declared is None or declared == config.county:
        return None
    from hyte.data.regions import load_regions

    regions = load_regions(config.root / "data" / "reference")

    def name(code: str) -> str:
        try:
            return f"{code} {regions.county(code).name_fi}"
        except HyteError:
            return code

    return (
        f"{path}: field 'county' is {name(declared)}, but hyte.yml's county is "
        f"{name(config.county)}: use this county's own plan (set 'plan:' in hyte.yml to its file) "
        "or change 'county' in hyte.yml."
    )


def check_plan_county(config) -> None:
    """Raise :class:`HyteError` with :func:`plan_county_problem`'s line when there is one."""
    problem = plan_county_problem(config)
    if problem:
        raise HyteError(problem)


def language_status_sentence(regions, county_code: str) -> str:
    """The county's municipalities' language status from data/reference (Statistics Finland's
    kielisuhde), as one Finnish sentence: the fact the EVA's language-group row rests on."""
    from hyte.fmt import join_names

    county = regions.county(county_code)
    members = regions.county_municipalities(county.code)
    bilingual = [m.name_fi for m in members if m.bilingual]
    swedish = [m.name_fi for m in members if m.language == "sv" and not m.bilingual]
    finnish_only = len(members) - len(bilingual) - len(swedish)
    if not members:
        return f"Kunta- ja kielitietoja ei ole alueelle {county.name_fi}."
    if finnish_only == len(members):
        return (
            f"Tilastokeskuksen kielisuhdeluokituksen mukaan alueen kaikki {len(members)} kuntaa ovat "
            "yksikielisesti suomenkielisiä."
        )
    parts = []
    if bilingual:
        parts.append(f"kaksikielisiä on {len(bilingual)} ({join_names(bilingual)})")
    if swedish:
        parts.append(f"yksikielisesti ruotsinkielisiä {len(swedish)} ({join_names(swedish)})")
    return (
        f"Tilastokeskuksen kielisuhdeluokituksen mukaan alueen {len(members)} kunnasta "
        f"{join_names(parts, None)}; muut ovat yksikielisesti suomenkielisiä."
    )
