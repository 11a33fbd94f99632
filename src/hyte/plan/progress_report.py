"""The measures' progress for readers: the annual report's tables and figure, and a municipality's card.

- :func:`progress_markdown` — measure status by focus area and by sub-goal kind, the delayed and
  dropped measures with their notes, euros used against the planned resources;
- :func:`progress_figure` — the same counts as stacked bars (colour and hatching per status);
- :func:`municipality_progress_markdown` — the status of the measures a municipality agreed to.

Counts are of measures (a measure with several parties counts once, with its combined status, see
:mod:`hyte.plan.progress`). Free text from the workbooks is escaped (hyte.markup); numbers are Finnish.
"""

from __future__ import annotations

import textwrap

from hyte import fmt
from hyte.markup import Document, Strong
from hyte.plan.plan import Plan, SubGoalKind
from hyte.plan.progress import (
    NOT_REPORTED_FI,
    STATUS_ORDER,
    MeasureProgress,
    MeasureStatus,
    YearProgress,
    measure_progress,
)

DEMO_NOTE_FI = (
    "Toimenpiteiden seurantatiedot ovat keksittyä esimerkkiaineistoa – ei todellisia tietoja."
)

# Okabe–Ito colours and a hatch per status (readable without colour and in greyscale).
STATUS_STYLE = {
    MeasureStatus.done: {"color": "#009E73", "hatch": ""},
    MeasureStatus.ongoing: {"color": "#56B4E9", "hatch": "//"},
    MeasureStatus.delayed: {"color": "#E69F00", "hatch": "xx"},
    MeasureStatus.not_started: {"color": "#FFFFFF", "hatch": ".."},
    MeasureStatus.dropped: {"color": "#D55E00", "hatch": "\\\\"},
    None: {"color": "#C8C8C8", "hatch": ""},
}
_COLUMNS = (*STATUS_ORDER, None)


def _label(status: MeasureStatus | None) -> str:
    return status.label_fi if status else NOT_REPORTED_FI


def _counts(rows: list[MeasureProgress]) -> list[int]:
    return [sum(1 for r in rows if r.status is s) for s in _COLUMNS]


def scheduled(plan: Plan, progress: YearProgress | None, year: int) -> list[MeasureProgress]:
    """The measures scheduled in the year, with their reports (plan order)."""
    return [r for r in measure_progress(plan, progress, year) if r.scheduled]


def status_groups(
    plan: Plan, rows: list[MeasureProgress]
) -> dict[str, list[tuple[str, list[int]]]]:
    """Counts per status (the five and 'not reported') by focus area and by sub-goal kind."""
    areas = [
        (f"{a.id} {a.title}", _counts([r for r in rows if r.focus_area_id == a.id]))
        for a in plan.focus_areas
    ]
    kinds = [(k.label_fi, _counts([r for r in rows if r.kind is k])) for k in SubGoalKind]
    return {"focus_area": areas, "kind": kinds}


def _status_table(doc: Document, first: str, groups: list[tuple[str, list[int]]], caption: str):
    headers = [first, *(_label(s) for s in _COLUMNS), "Yhteensä"]
    rows = [[label, *(str(c) for c in counts), str(sum(counts))] for label, counts in groups]
    totals = [sum(c[i] for _, c in groups) for i in range(len(_COLUMNS))]
    rows.append(["Yhteensä", *(str(c) for c in totals), str(sum(totals))])
    doc.table(headers, rows, align="l" + "r" * (len(headers) - 1), caption=caption)


def summary_sentence(rows: list[MeasureProgress], year: int) -> str:
    reported = [r for r in rows if r.status is not None]
    counts = {s: sum(1 for r in rows if r.status is s) for s in STATUS_ORDER}
    text = (
        f"Vuonna {year} aikataulussa oli {len(rows)} toimenpidettä; niistä {len(reported)} "
        f"raportoitiin"
    )
    if reported:
        text += ": " + ", ".join(f"{s.label_fi} {counts[s]}" for s in STATUS_ORDER)
    return text + f". Raportoimatta jäi {len(rows) - len(reported)}."


def progress_markdown(
    plan: Plan, progress: YearProgress | None, year: int, *, heading_level: int = 3
) -> str:
    """The annual report's section on the measures (tables, delayed and dropped, euros)."""
    h = heading_level
    doc = Document()
    if progress is None:
        doc.paragraph(
            f"Toimenpiteiden toteutumisesta vuodelta {year} ei ole vielä tietoja "
            f"(data/plan/seuranta/{year}.yml puuttuu). Tiedot kootaan vastuutahoilta lomakkeilla "
            f"(hyte plan-form --year {year}) ja tuodaan komennolla hyte plan-progress."
        )
        return doc.to_markdown()
    if progress.demo:
        doc.paragraph([Strong(DEMO_NOTE_FI)])
    rows = scheduled(plan, progress, year)
    doc.paragraph(summary_sentence(rows, year))
    doc.paragraph(
        "Toimenpiteen tila on vastuutahojen ilmoittama. Jos vastuutahoja on useita ja ne ilmoittavat "
        "eri tilan, toimenpide on viivästynyt, jos yksikin ilmoittaa viivästyksestä; muuten "
        "käynnissä, jos työ on alkanut jossakin; muuten ei aloitettu."
    )
    groups = status_groups(plan, rows)
    doc.heading(h, "Tila painopisteittäin ja osatavoitteen lajeittain")
    _status_table(
        doc, "Painopiste", groups["focus_area"], f"Toimenpiteiden tila painopisteittäin {year}"
    )
    _status_table(
        doc,
        "Osatavoitteen laji",
        groups["kind"],
        f"Toimenpiteiden tila osatavoitteen lajeittain {year}",
    )
    doc.heading(h, "Viivästyneet ja luovutut toimenpiteet")
    late = [r for r in rows if r.status in (MeasureStatus.delayed, MeasureStatus.dropped)]
    if not late:
        doc.paragraph(
            f"Vuodelta {year} ei ole ilmoitettu viivästyneitä eikä luovuttuja toimenpiteitä."
        )
    else:
        table_rows = []
        for r in late:
            notes = " ".join(
                f"{e.party} ({e.status.label_fi}): {e.note}" if e.party else e.note
                for e in r.entries
                if e.note
            )
            table_rows.append([r.measure.id, r.measure.text, r.status_fi, notes or fmt.MISSING])
        doc.table(
            ["Toimenpide", "Sisältö", "Tila", "Vastuutahojen huomiot"],
            table_rows,
            caption=f"Viivästyneet ja luovutut toimenpiteet {year}",
        )
    doc.heading(h, "Käytetyt eurot ja suunnitellut resurssit")
    doc.extend(_euros_document(plan, rows, year))
    return doc.to_markdown()


def _euros_document(plan: Plan, rows: list[MeasureProgress], year: int) -> Document:
    doc = Document()

    def line(label: str, chosen: list[MeasureProgress]) -> list[str]:
        with_plan = [r for r in chosen if r.planned_eur is not None]
        planned = sum(r.planned_eur or 0.0 for r in with_plan)
        reported = [r for r in with_plan if r.euros_used is not None]
        used = sum(r.euros_used or 0.0 for r in reported)
        return [
            label,
            str(len(with_plan)),
            fmt.euros(planned) if with_plan else fmt.MISSING,
            fmt.euros(used) if reported else fmt.MISSING,
            fmt.percent(100 * used / planned, 0) if planned and reported else fmt.MISSING,
            str(len(with_plan) - len(reported)),
        ]

    table_rows = [
        line(f"{a.id} {a.title}", [r for r in rows if r.focus_area_id == a.id])
        for a in plan.focus_areas
    ]
    table_rows.append(line("Yhteensä", rows))
    doc.table(
        [
            "Painopiste",
            "Toimenpiteitä, joilla määräraha",
            "Suunniteltu €/v",
            "Niihin käytetty €",
            "Käytetty suunnitellusta",
            "Ilman käyttötietoa",
        ],
        table_rows,
        align="lrrrrr",
        caption=f"Käytetyt eurot {year} ja suunnitelman määrärahat",
    )
    unplanned = [r for r in rows if r.planned_eur is None and (r.euros_used or 0) > 0]
    doc.paragraph(
        "Suunniteltu on suunnitelmaan kirjattu vuotuinen määräraha niille toimenpiteille, joille se on "
        "kirjattu; muiden resurssit on kuvattu sanallisesti (esimerkiksi nykyiset resurssit). "
        "Käytetty on vastuutahojen ilmoittamien eurojen summa samoille toimenpiteille; ilman "
        "käyttötietoa ovat määrärahalliset toimenpiteet, joille euroja ei ilmoitettu."
        + (
            f" Lisäksi {len(unplanned)} toimenpiteelle, jolle ei ole kirjattu määrärahaa, "
            f"ilmoitettiin käytetyksi yhteensä {fmt.euros(sum(r.euros_used or 0 for r in unplanned))}."
            if unplanned
            else ""
        )
    )
    return doc


def progress_alt_text(plan: Plan, rows: list[MeasureProgress], year: int) -> str:
    groups = status_groups(plan, rows)
    parts = [
        (
            f"Pinotut vaakapylväät: toimenpiteiden tila {year} painopisteittäin (vasen) ja "
            "osatavoitteen lajeittain (oikea)."
        )
    ]
    for label, counts in groups["focus_area"]:
        shown = ", ".join(f"{_label(s)} {c}" for s, c in zip(_COLUMNS, counts) if c)
        parts.append(f"{label}: {shown or 'ei toimenpiteitä'}.")
    return " ".join(parts)


def progress_figure(plan: Plan, progress: YearProgress | None, year: int, *, width: float = 9.0):
    """Stacked bars of measure counts by status, by focus area and by sub-goal kind.

    Returns ``(figure, alt_text)``; the figure is not attached to pyplot."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    rows = scheduled(plan, progress, year)
    groups = status_groups(plan, rows)
    fig = Figure(figsize=(width, 4.8), layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, (key, title) in zip(
        axes, [("focus_area", "Painopisteittäin"), ("kind", "Osatavoitteen lajeittain")]
    ):
        data = groups[key]
        labels = [textwrap.fill(label, 28) for label, _ in data]
        ys = list(range(len(data)))[::-1]
        left = [0] * len(data)
        for index, status in enumerate(_COLUMNS):
            values = [counts[index] for _, counts in data]
            style = STATUS_STYLE[status]
            ax.barh(
                ys,
                values,
                left=left,
                color=style["color"],
                hatch=style["hatch"],
                edgecolor="#000000",
                linewidth=0.6,
            )
            left = [a + b for a, b in zip(left, values)]
        ax.set_yticks(ys, labels, fontsize=8)
        ax.set_xlabel("Toimenpiteitä")
        ax.set_title(title, fontsize=10, loc="left")
        ax.xaxis.get_major_locator().set_params(integer=True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    handles = [
        Patch(
            facecolor=STATUS_STYLE[s]["color"],
            hatch=STATUS_STYLE[s]["hatch"],
            edgecolor="#000000",
            label=_label(s),
        )
        for s in _COLUMNS
    ]
    fig.legend(handles=handles, loc="outside lower center", ncol=6, frameon=False, fontsize=8)
    return fig, progress_alt_text(plan, rows, year)


def municipality_progress_markdown(
    plan: Plan, progress: YearProgress | None, year: int, municipality_code: str
) -> str:
    """The status in ``year`` of the measures the municipality agreed to (up to that year)."""
    municipality = plan.regions.municipality(municipality_code)
    agreed: dict[str, list[int]] = {}
    for agreement in plan.agreements_for(municipality.code):
        if agreement.year <= year:
            for measure_id in agreement.measures:
                agreed.setdefault(measure_id, []).append(agreement.year)
    doc = Document()
    if not agreed:
        doc.paragraph(
            f"{municipality.name_fi} ei ole sopinut hyte-neuvotteluissa vuoteen {year} "
            "mennessä toimenpiteistä, joiden toteutumista seurattaisiin."
        )
        return doc.to_markdown()
    if progress is None:
        doc.paragraph(f"Toimenpiteiden toteutumisesta vuodelta {year} ei ole vielä tietoja.")
        return doc.to_markdown()
    if progress.demo:
        doc.paragraph([Strong(DEMO_NOTE_FI)])
    rows = {r.measure.id: r for r in measure_progress(plan, progress, year)}
    table_rows = []
    for measure_id in agreed:
        r = rows[measure_id]
        own_labels = {
            p.label()
            for p in r.measure.responsible
            if p.municipality == municipality.code or p.name == municipality.name_fi
        }
        own = [e for e in r.entries if e.party in own_labels]
        notes = " ".join(f"{e.party} ({e.status.label_fi}): {e.note}" for e in r.entries if e.note)
        table_rows.append(
            [
                measure_id,
                r.measure.text,
                r.status_fi,
                own[0].status.label_fi if own else fmt.MISSING,
                notes or fmt.MISSING,
            ]
        )
    doc.table(
        [
            "Toimenpide",
            "Sisältö",
            f"Tila {year} (koko alue)",
            f"{municipality.name_fi} ilmoitti",
            "Huomiot",
        ],
        table_rows,
        caption=f"{municipality.name_fi}: sovittujen toimenpiteiden toteutuminen {year}",
    )
    doc.paragraph(
        "Tila on kaikkien vastuutahojen ilmoitusten yhdistelmä. Kunnan oma ilmoitus näytetään, kun "
        "kunta on suunnitelmassa toimenpiteen vastuutaho omalla nimellään tai kuntakoodillaan; "
        "kuntien yhteisesti (esimerkiksi Alueen kunnat) ilmoittamat tilat ovat huomioissa."
    )
    return doc.to_markdown()
