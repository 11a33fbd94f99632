"""The plan's agreements with every kind of partner, for the plan chapter.

Municipalities' agreements are ``agreements`` in the plan file (shown per municipality by
:func:`hyte.plan.plan_report.agreements_markdown` and on the cards); NGOs', parishes', service providers'
and other actors' agreements are ``partner_agreements``. Free text is escaped (hyte.markup).
"""

from __future__ import annotations

from hyte import fmt
from hyte.markup import Document, Strong
from hyte.plan.plan import PartyType, Plan

_ORDER = [PartyType.ngo, PartyType.parish, PartyType.service_provider, PartyType.other]
_PLURAL = {
    PartyType.municipality: "kuntaa",
    PartyType.ngo: "järjestöä",
    PartyType.parish: "seurakuntaa tai seurakuntayhtymää",
    PartyType.service_provider: "palveluntuottajaa",
    PartyType.other: "muuta toimijaa",
}

_SINGULAR = {
    PartyType.municipality: "kunta",
    PartyType.ngo: "järjestö",
    PartyType.parish: "seurakunta tai seurakuntayhtymä",
    PartyType.service_provider: "palveluntuottaja",
    PartyType.other: "muu toimija",
}


def partner_counts(plan: Plan) -> dict[PartyType, int]:
    """How many distinct partners of each kind have an agreement (municipalities included)."""
    counts = {PartyType.municipality: len({a.municipality for a in plan.agreements})}
    for kind in _ORDER:
        counts[kind] = len(
            {a.partner.label() for a in plan.partner_agreements if a.partner.type is kind}
        )
    return counts


def partner_summary_line(plan: Plan) -> str:
    """One line for `hyte plan-check`."""
    counts = partner_counts(plan)
    parts = ", ".join(f"{k.value} {n}" for k, n in counts.items())
    return (
        f"  partners with agreements: {parts} ({len(plan.partner_agreements)} partner agreements)"
    )


def partners_markdown(plan: Plan) -> str:
    """A sentence counting the partners of every kind, then one row per partner agreement."""
    doc = Document()
    counts = partner_counts(plan)
    named = [f"{n} {_PLURAL[k] if n > 1 else _SINGULAR[k]}" for k, n in counts.items() if n]
    if not named:
        doc.paragraph("Hyte-neuvotteluissa sovittuja yhteisiä tavoitteita ei ole vielä kirjattu.")
        return doc.to_markdown()
    doc.paragraph(
        "Hyte-neuvotteluissa yhteisistä tavoitteista ja toimenpiteistä on sopinut "
        f"{fmt.join_names(named)}."
    )
    agreements = sorted(
        plan.partner_agreements,
        key=lambda a: (_ORDER.index(a.partner.type), a.partner.label(), a.year),
    )
    if not agreements:
        doc.paragraph(
            "Järjestöjen, seurakuntien ja palveluntuottajien kanssa ei ole vielä kirjattu "
            "sopimuksia."
        )
        return doc.to_markdown()
    rows = [
        [
            a.partner.label(),
            a.partner.type.label_fi,
            str(a.year),
            ", ".join(a.goals) or fmt.MISSING,
            ", ".join(a.measures) or fmt.MISSING,
            a.negotiated or fmt.MISSING,
        ]
        for a in agreements
    ]
    doc.table(
        ["Kumppani", "Laji", "Vuosi", "Sovitut tavoitteet", "Sovitut toimenpiteet", "Neuvoteltu"],
        rows,
        caption="Järjestöjen, seurakuntien, palveluntuottajien ja muiden toimijoiden kanssa "
        "sovitut tavoitteet ja toimenpiteet",
    )
    for a in agreements:
        if a.notes:
            doc.paragraph([Strong(f"{a.partner.label()} ({a.year}): "), a.notes])
    return doc.to_markdown()
