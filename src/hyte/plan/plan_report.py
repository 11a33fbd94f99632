"""The wellbeing plan for readers: Markdown for the book's chapters and the municipal cards, and the
progress figure.

- :func:`plan_markdown` — the plan chapter: goals and measures by focus area and sub-goal kind;
- :func:`followup_markdown`, :func:`followup_summary_markdown` — the follow-up for the annual report;
- :func:`monitoring_markdown` — the one-page monitoring table for the HyTe steering group;
- :func:`municipality_markdown` / :func:`municipality_html` — a municipality's agreed goals and
  measures with their indicators, for its card;
- :func:`eva_markdown` — the ex-ante impact assessment table;
- :func:`plan_progress_figure` — progress toward target per indicator on one normalised axis.

All free text from the YAML files is escaped (hyte.markup); numbers are Finnish (hyte.fmt).
"""

from __future__ import annotations

import math

import pandas as pd

from hyte import fmt
from hyte.markup import Document, Strong, plain_figure_text
from hyte.plan.plan import (
    STATUS_ORDER,
    Eva,
    FollowUp,
    Measure,
    Plan,
    Status,
    SubGoalKind,
    TargetFollowUp,
    municipal_indicators,
)

# Okabe–Ito colours and marker shapes per status: readable without colour and in greyscale.
STATUS_STYLE = {
    Status.met: {"color": "#009E73", "marker": "o"},  # bluish green, circle
    Status.on_track: {"color": "#0072B2", "marker": "s"},  # blue, square
    Status.off_track: {"color": "#D55E00", "marker": "X"},  # vermillion, cross
    Status.no_data: {"color": "#000000", "marker": ""},  # text only
}


# --------------------------------------------------------------------------------------------------
# Small formatting helpers


def _value(value: float | None, decimals: int) -> str:
    return fmt.number(value, decimals)


def _point(value: float | None, year: int | None, decimals: int) -> str:
    """'12,3 (2024)' or '–'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return fmt.MISSING
    return f"{fmt.number(value, decimals)} ({year})"


def _term(plan: Plan) -> str:
    return plan.term.replace("-", "\u2013")


def _years(years: list[int]) -> str:
    return ", ".join(str(y) for y in sorted(set(years)))


def _progress(value: float | None) -> str:
    return fmt.MISSING if value is None else fmt.percent(value * 100, 0)


def _indicator_label(label: str, unit: str) -> str:
    return f"{label} ({unit})" if unit else label


def _parties(measure: Measure) -> str:
    return "; ".join(f"{p.label()} ({p.type.label_fi})" for p in measure.responsible)


def _measure_text(measure: Measure) -> str:
    return measure.text + (" (asukasraadin ehdotus)" if measure.residents_panel else "")


def _resources(measure: Measure) -> str:
    text = measure.resources
    if measure.budget_eur is not None:
        text += f" ({fmt.euros(measure.budget_eur)}/v)"
    return text


# --------------------------------------------------------------------------------------------------
# The plan chapter


def _overview(plan: Plan) -> tuple[list[str], list[list[str]]]:
    kinds = list(SubGoalKind)
    headers = ["Painopiste", *(k.label_fi for k in kinds), "Yhteensä", "Määrärahat €/v"]
    rows = []
    totals = [0] * len(kinds)
    budget_total = 0.0
    for area in plan.focus_areas:
        counts = [0] * len(kinds)
        budget = 0.0
        for goal in area.goals:
            for sub in goal.sub_goals:
                counts[kinds.index(sub.kind)] += len(sub.measures)
                budget += sum(m.budget_eur or 0.0 for m in sub.measures)
        totals = [a + b for a, b in zip(totals, counts)]
        budget_total += budget
        rows.append(
            [
                f"{area.id} {area.title}",
                *(str(c) for c in counts),
                str(sum(counts)),
                fmt.euros(budget) if budget else fmt.MISSING,
            ]
        )
    rows.append(
        [
            "Yhteensä",
            *(str(c) for c in totals),
            str(sum(totals)),
            fmt.euros(budget_total) if budget_total else fmt.MISSING,
        ]
    )
    return headers, rows


def plan_header_markdown(plan: Plan) -> str:
    """The plan's title, status, how it was prepared and where its baselines come from."""
    doc = Document()
    doc.paragraph([Strong(plan.title), f" ({plan.county_name}, valtuustokausi {_term(plan)})."])
    if plan.status:
        doc.paragraph([Strong("Käsittelyvaihe: "), plan.status])
    if plan.preparation:
        doc.paragraph(plan.preparation)
    if plan.baseline_source:
        doc.paragraph([Strong("Lähtötasot: "), plan.baseline_source])
    return doc.to_markdown()


def plan_markdown(plan: Plan, *, heading_level: int = 2) -> str:
    """The plan chapter: an overview of measures by focus area and sub-goal kind, then each focus area's
    goals with their sub-goals, follow-up indicators (baseline and target) and measures (responsible
    parties, schedule, resources), then the sub-goals gathered by kind."""
    h = heading_level
    catalog = plan.catalog
    doc = Document()
    headers, rows = _overview(plan)
    doc.paragraph(
        f"Suunnitelmassa on {len(plan.focus_areas)} painopistettä, "
        f"{sum(1 for _ in plan.goals())} tavoitetta, {sum(1 for _ in plan.sub_goals())} "
        f"osatavoitetta, {sum(1 for _ in plan.measures())} toimenpidettä ja "
        f"{sum(1 for _ in plan.targets())} seurantaindikaattoria."
    )
    doc.table(
        headers,
        rows,
        align="l" + "r" * (len(headers) - 1),
        caption="Toimenpiteiden määrä painopisteittäin ja osatavoitteen lajeittain",
    )
    for area in plan.focus_areas:
        doc.heading(h, f"{area.id} {area.title}")
        if area.description:
            doc.paragraph(area.description)
        for goal in area.goals:
            doc.heading(h + 1, f"Tavoite {goal.id}: {goal.title}")
            if goal.description:
                doc.paragraph(goal.description)
            if goal.population_groups:
                groups = ", ".join(catalog.group_label(g) for g in goal.population_groups)
                doc.paragraph([Strong("Väestöryhmät: "), groups])
            doc.table(
                ["Osatavoite", "Laji", "Osatavoitteen sisältö"],
                [[sub.id, sub.kind.label_fi, sub.text] for sub in goal.sub_goals],
            )
            indicator_rows = []
            for sub in goal.sub_goals:
                for target in sub.indicators:
                    indicator = catalog.get(target.indicator)
                    indicator_rows.append(
                        [
                            sub.id,
                            _indicator_label(indicator.short_fi, indicator.unit_fi),
                            _point(target.baseline.value, target.baseline.year, indicator.decimals),
                            _point(target.target.value, target.target.year, indicator.decimals),
                            target.direction.label_fi if target.direction else fmt.MISSING,
                        ]
                    )
            if indicator_rows:
                doc.table(
                    [
                        "Osatavoite",
                        "Seurantaindikaattori",
                        "Lähtötaso (vuosi)",
                        "Tavoitetaso (vuosi)",
                        "Tavoiteltu suunta",
                    ],
                    indicator_rows,
                    align="llrrl",
                )
            measure_rows = [
                [
                    m.id,
                    f"{sub.id} ({sub.kind.label_fi})",
                    _measure_text(m),
                    _parties(m),
                    m.schedule.label(),
                    _resources(m),
                ]
                for sub in goal.sub_goals
                for m in sub.measures
            ]
            if measure_rows:
                doc.table(
                    [
                        "Toimenpide",
                        "Osatavoite",
                        "Sisältö",
                        "Vastuutahot",
                        "Aikataulu",
                        "Resurssit",
                    ],
                    measure_rows,
                )
    doc.heading(h, "Osatavoitteet lajeittain")
    doc.paragraph(
        "Tavoitteet on valmisteltu viiden osatavoitelajin kautta: HYTE-kerroin, talousarvio, "
        "yhdyspintayhteistyö kuntien kanssa, terveyserot ja sisäinen integraatio."
    )
    for kind in SubGoalKind:
        subs = [(goal, sub) for _, goal, sub in plan.sub_goals() if sub.kind is kind]
        doc.heading(h + 1, kind.label_fi)
        if not subs:
            doc.paragraph("Tämän lajin osatavoitteita ei ole.")
            continue
        doc.bullets(
            [
                [
                    Strong(f"{sub.id} "),
                    f"({goal.title}): {sub.text} ",
                    (
                        f"Toimenpiteitä {len(sub.measures)}, "
                        f"seurantaindikaattoreita {len(sub.indicators)}."
                    ),
                ]
                for goal, sub in subs
            ]
        )
    return doc.to_markdown()


def agreements_markdown(plan: Plan) -> str:
    """One row per municipality of the county: the goals and measures it agreed to, by year."""
    rows = []
    for municipality in plan.regions.county_municipalities(plan.county):
        agreements = plan.agreements_for(municipality.code)
        goals = "; ".join(f"{', '.join(a.goals)} ({a.year})" for a in agreements if a.goals)
        measures = "; ".join(
            f"{', '.join(a.measures)} ({a.year})" for a in agreements if a.measures
        )
        rows.append([municipality.name_fi, goals or fmt.MISSING, measures or fmt.MISSING])
    doc = Document()
    doc.table(
        ["Kunta", "Sovitut tavoitteet (vuosi)", "Sovitut toimenpiteet (vuosi)"],
        rows,
        caption="Hyte-neuvotteluissa sovitut yhteiset tavoitteet ja toimenpiteet",
    )
    return doc.to_markdown()


# --------------------------------------------------------------------------------------------------
# Follow-up


def _followup_row(e: TargetFollowUp) -> list[str]:
    return [
        e.sub_goal_id,
        _indicator_label(e.label, e.unit),
        _point(e.baseline_value, e.baseline_year, e.decimals),
        _point(e.latest_value, e.latest_year, e.decimals),
        _point(e.target_value, e.target_year, e.decimals),
        _progress(e.progress),
        e.status.label_fi,
    ]


_FOLLOWUP_HEADERS = [
    "Osatavoite",
    "Indikaattori",
    "Lähtötaso",
    "Viimeisin",
    "Tavoitetaso",
    "Edistyminen",
    "Tila",
]


def status_rules_markdown() -> str:
    """The status rules in Finnish, for chapters and the monitoring table."""
    return (
        Document()
        .bullets(
            [
                [
                    Strong("saavutettu: "),
                    "viimeisin arvo on saavuttanut tavoitetason tavoitellussa suunnassa;",
                ],
                [
                    Strong("etenee: "),
                    (
                        "tavoitetta ei ole vielä saavutettu, mutta arvo on liikkunut lähtötasosta "
                        "kohti tavoitetta vähintään kuluneen ajan suhteessa (suora polku "
                        "lähtövuodesta tavoitevuoteen);"
                    ),
                ],
                [
                    Strong("jäljessä: "),
                    (
                        "muutos on tätä hitaampi, arvo ei ole muuttunut tai se on muuttunut "
                        "väärään suuntaan;"
                    ),
                ],
                [Strong("ei uutta tietoa: "), "lähtövuoden jälkeen ei ole vielä tilastotietoa."],
            ]
        )
        .to_markdown()
    )


def followup_markdown(followup: FollowUp, *, heading_level: int = 3) -> str:
    """The follow-up table for the annual report: every indicator target by focus area and goal, with
    baseline, latest value, target, progress (share of the way from baseline to target) and status."""
    doc = Document()
    plan = followup.plan
    for area in plan.focus_areas:
        entries = [e for e in followup.entries if e.focus_area_id == area.id]
        if not entries:
            continue
        doc.heading(heading_level, f"{area.id} {area.title}")
        doc.table(
            ["Tavoite", *_FOLLOWUP_HEADERS],
            [[e.goal_id, *_followup_row(e)] for e in entries],
            align="lllrrrrl",
        )
    doc.paragraph(
        f"Arvot: {followup.region_name}, molemmat sukupuolet. Edistyminen on osuus matkasta "
        "lähtötasosta tavoitetasoon (100 % = tavoite saavutettu)."
    )
    return doc.to_markdown()


def _summary_rows(frame: pd.DataFrame, with_key: bool) -> list[list[str]]:
    rows = []
    for row in frame.itertuples(index=False):
        label = f"{row.key} {row.label}" if with_key else row.label
        mean = None if math.isnan(row.mean_progress) else row.mean_progress
        rows.append(
            [
                label,
                str(row.indicators),
                *(str(getattr(row, s.value)) for s in STATUS_ORDER),
                _progress(mean),
            ]
        )
    return rows


def followup_summary_markdown(followup: FollowUp) -> str:
    """Two tables: statuses per goal and per sub-goal kind, with the mean progress (capped at 100 %)."""
    headers = ["Indikaattoreita", *(s.label_fi for s in STATUS_ORDER), "Edistyminen keskimäärin"]
    doc = Document()
    doc.table(
        ["Tavoite", *headers],
        _summary_rows(followup.by_goal(), True),
        align="lrrrrrr",
        caption="Seurantaindikaattorien tila tavoitteittain",
    )
    doc.table(
        ["Osatavoitteen laji", *headers],
        _summary_rows(followup.by_kind(), False),
        align="lrrrrrr",
        caption="Seurantaindikaattorien tila osatavoitteen lajeittain",
    )
    counts = followup.counts()
    total = len(followup.entries)
    doc.paragraph(
        f"Yhteensä {total} seurantaindikaattoria: "
        + ", ".join(f"{s.label_fi} {counts[s]}" for s in STATUS_ORDER)
        + "."
    )
    return doc.to_markdown()


def monitoring_markdown(
    followup: FollowUp, *, data_label: str | None = None, heading_level: int | None = None
) -> str:
    """The one-page monitoring table for the HyTe steering group: one short row per indicator target,
    the counts by status and the targets that are behind."""
    doc = Document()
    plan = followup.plan
    if heading_level:
        doc.heading(heading_level, f"Seurantataulukko: {plan.title}")
    counts = followup.counts()
    summary = ", ".join(f"{s.label_fi} {counts[s]}" for s in STATUS_ORDER)
    source = f" Aineisto: {data_label}." if data_label else ""
    doc.paragraph(
        f"{followup.region_name}, {len(followup.entries)} seurantaindikaattoria: {summary}.{source}"
    )
    rows = []
    for e in followup.entries:
        rows.append(
            [
                e.sub_goal_id,
                e.label,
                _value(e.baseline_value, e.decimals),
                _point(e.latest_value, e.latest_year, e.decimals),
                _point(e.target_value, e.target_year, e.decimals),
                _progress(e.progress),
                e.status.label_fi,
            ]
        )
    doc.table(
        ["Osatavoite", "Indikaattori", "Lähtö", "Viimeisin", "Tavoite", "Edistyminen", "Tila"],
        rows,
        align="llrrrrl",
    )
    behind = sorted(
        (e for e in followup.entries if e.status is Status.off_track and e.progress is not None),
        key=lambda e: e.progress,
    )[:3]
    if behind:
        doc.paragraph(
            [
                Strong("Eniten jäljessä: "),
                "; ".join(f"{e.sub_goal_id} {e.label} ({_progress(e.progress)})" for e in behind)
                + ".",
            ]
        )
    return doc.to_markdown()


# --------------------------------------------------------------------------------------------------
# Municipal card


def _municipality_document(
    plan: Plan, table: pd.DataFrame, municipality_code: str, heading_level: int
) -> Document:
    municipality = plan.regions.municipality(municipality_code)
    agreements = plan.agreements_for(municipality.code)
    doc = Document()
    if not agreements:
        doc.paragraph(
            f"{municipality.name_fi} ei ole vielä kirjannut hyte-neuvotteluissa yhteisiä "
            f"tavoitteita hyvinvointisuunnitelmaan {_term(plan)}."
        )
        return doc
    years = sorted({a.year for a in agreements})
    doc.paragraph(
        f"{municipality.name_fi} sitoutui hyvinvointialueen kanssa käydyissä "
        f"hyte-neuvotteluissa ({', '.join(str(y) for y in years)}) seuraaviin hyvinvointi"
        f"suunnitelman {_term(plan)} yhteisiin tavoitteisiin ja toimenpiteisiin."
    )
    goal_years: dict[str, list[int]] = {}
    measure_years: dict[str, list[int]] = {}
    for agreement in agreements:
        for goal_id in agreement.goals:
            goal_years.setdefault(goal_id, []).append(agreement.year)
        for measure_id in agreement.measures:
            measure_years.setdefault(measure_id, []).append(agreement.year)
            goal_years.setdefault(plan.goal_of_measure(measure_id)[0].id, [])
    indicators = municipal_indicators(plan, table, municipality.code)
    notes = [a for a in agreements if a.notes]
    for _, goal in plan.goals():
        if goal.id not in goal_years:
            continue
        when = sorted(set(goal_years[goal.id]))
        suffix = f" (sovittu {', '.join(str(y) for y in when)})" if when else ""
        doc.heading(heading_level, f"Tavoite {goal.id}: {goal.title}{suffix}")
        measures = [
            (sub, m) for sub in goal.sub_goals for m in sub.measures if m.id in measure_years
        ]
        if measures:
            doc.bullets(
                [
                    [
                        Strong(f"{m.id} "),
                        f"{_measure_text(m)} ",
                        (
                            f"(vastuu: {_parties(m)}; {m.schedule.label()}; "
                            f"sovittu {_years(measure_years[m.id])})"
                        ),
                    ]
                    for sub, m in measures
                ]
            )
        else:
            doc.paragraph("Toimenpiteet sovitaan kunnan omassa hyvinvointisuunnitelmassa.")
        rows = [
            [
                i.sub_goal_id,
                _indicator_label(i.label, i.unit),
                _point(i.baseline_value, i.baseline_year, i.decimals),
                _point(i.latest_value, i.latest_year, i.decimals),
                i.change.label_fi,
                _point(i.county_target_value, i.county_target_year, i.decimals),
            ]
            for i in indicators
            if i.goal_id == goal.id
        ]
        if rows:
            doc.table(
                [
                    "Osatavoite",
                    "Indikaattori",
                    f"{municipality.name_fi}, lähtövuosi",
                    f"{municipality.name_fi}, viimeisin",
                    "Muutos",
                    "Alueen tavoitetaso",
                ],
                rows,
                align="llrrlr",
            )
    doc.paragraph(
        "Tavoitetaso on koko hyvinvointialueen tavoite; muutos kertoo, onko kunnan oma arvo "
        "muuttunut lähtövuodesta tavoitellun suunnan mukaisesti."
    )
    for agreement in notes:
        doc.paragraph([Strong(f"Neuvottelut {agreement.year}: "), agreement.notes or ""])
    return doc


def municipality_markdown(
    plan: Plan, table: pd.DataFrame, municipality_code: str, *, heading_level: int = 3
) -> str:
    """A municipality's agreed goals and measures with their indicators (its own values)."""
    return _municipality_document(plan, table, municipality_code, heading_level).to_markdown()


def municipality_html(
    plan: Plan, table: pd.DataFrame, municipality_code: str, *, heading_level: int = 3
) -> str:
    """The same as :func:`municipality_markdown`, as an HTML fragment."""
    return _municipality_document(plan, table, municipality_code, heading_level).to_html()


# --------------------------------------------------------------------------------------------------
# EVA


def eva_markdown(eva: Eva, *, heading_level: int = 2) -> str:
    """The decision alternatives, the impact table (one row per impact, one column per alternative:
    the rating and the assessment) and the conclusion."""
    doc = Document()
    doc.heading(heading_level, "Päätösvaihtoehdot")
    doc.bullets(
        [
            [Strong(f"{a.id}: {a.title}."), f" {a.description}" if a.description else ""]
            for a in eva.alternatives
        ]
    )
    doc.heading(heading_level, "Vaikutukset vaihtoehdoittain")
    rows = []
    for impact in eva.ordered_impacts():
        row: list[object] = [impact.label_fi]
        for alternative in eva.alternatives:
            assessment = impact.assessments[alternative.id]
            row.append(
                [Strong(f"{assessment.rating.label_fi.capitalize()}:"), f" {assessment.text}"]
            )
        rows.append(row)
    doc.table(
        ["Vaikutus", *(f"{a.id}: {a.title}" for a in eva.alternatives)],
        rows,
        caption="Vaikutusten ennakkoarviointi",
    )
    if eva.prepared:
        doc.paragraph([Strong("Arvioinnin valmistelu: "), eva.prepared])
    if eva.conclusion or eva.recommended:
        doc.heading(heading_level, "Johtopäätös")
        if eva.recommended:
            chosen = eva.alternative(eva.recommended)
            doc.paragraph([Strong("Suositeltu vaihtoehto: "), f"{chosen.id}: {chosen.title}."])
        if eva.conclusion:
            doc.paragraph(eva.conclusion)
    return doc.to_markdown()


# --------------------------------------------------------------------------------------------------
# Figure

_AXIS_LOW, _AXIS_HIGH = -1.1, 2.1  # values beyond are drawn at the edge with their number


def _position(e: TargetFollowUp) -> float | None:
    if e.status is Status.no_data:
        return None
    if e.progress is None:  # target = baseline: "hold the level"
        return 1.0 if e.status is Status.met else -0.1
    return e.progress


def progress_alt_text(followup: FollowUp) -> str:
    """A Finnish description of the progress figure for screen readers."""
    counts = followup.counts()
    parts = [
        (
            f"Pistekuvio {len(followup.entries)} seurantaindikaattorin etenemisestä lähtötasosta "
            f"(0 %) tavoitetasoon (100 %), {followup.region_name}."
        ),
        "Tila: " + ", ".join(f"{s.label_fi} {counts[s]}" for s in STATUS_ORDER) + ".",
    ]
    moving = [e for e in followup.entries if e.progress is not None]
    if moving:
        best = max(moving, key=lambda e: e.progress)
        worst = min(moving, key=lambda e: e.progress)
        parts.append(
            f"Pisimmällä: {best.label} ({_progress(best.progress)}). "
            f"Kauimpana tavoitteesta: {worst.label} ({_progress(worst.progress)})."
        )
    return " ".join(parts)


@plain_figure_text
def plan_progress_figure(followup: FollowUp, *, title: str | None = None, width: float = 8.0):
    """Progress toward target per indicator: the baseline at 0 %, the target at 100 % and the latest
    value between, coloured and shaped by status (Okabe–Ito colours; circle = met, square = on track,
    cross = off track, no marker = no new data); a grey tick marks where a linear path would be now.

    Returns ``(figure, alt_text)``. The figure is not attached to pyplot; display it or save it.
    """
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter

    entries = followup.entries
    height = 1.6 + 0.32 * max(len(entries), 1)
    fig = Figure(figsize=(width, height), layout="constrained")
    ax = fig.add_subplot()
    labels = [
        f"{e.sub_goal_id} {e.label}"
        + (" (tason ylläpito)" if e.baseline_value == e.target_value else "")
        for e in entries
    ]
    ys = list(range(len(entries)))[::-1]
    positions = [_position(e) for e in entries]
    finite = [p for p in positions if p is not None]
    low = max(_AXIS_LOW, min([-0.25, *(p - 0.15 for p in finite)]))
    high = min(_AXIS_HIGH, max([1.25, *(p + 0.15 for p in finite)]))
    inner = 0.03 * (high - low)
    ax.axvline(0, color="#000000", linewidth=1.0, linestyle="--", zorder=1)
    ax.axvline(1, color="#000000", linewidth=1.4, zorder=1)
    for y, e, position in zip(ys, entries, positions):
        ax.plot([0, 1], [y, y], color="#DDDDDD", linewidth=3, solid_capstyle="butt", zorder=0)
        if e.expected_progress is not None:
            ax.plot(
                [e.expected_progress], [y], marker="|", markersize=12, color="#777777", zorder=2
            )
        if position is None:
            ax.text(0.02, y, "ei uutta tietoa", va="center", ha="left", fontsize=8, color="#000000")
            continue
        shown = min(max(position, low + inner), high - inner)
        style = STATUS_STYLE[e.status]
        ax.plot(
            [shown],
            [y],
            marker=style["marker"],
            markersize=8,
            color=style["color"],
            markeredgecolor="#000000",
            markeredgewidth=0.6,
            linestyle="none",
            zorder=3,
        )
        if abs(shown - position) > 1e-9:
            ax.text(
                shown,
                y + 0.25,
                _progress(position),
                ha="left" if position < shown else "right",
                va="bottom",
                fontsize=7,
            )
    ax.set_yticks(ys, labels, fontsize=8)
    ax.set_ylim(-0.8, len(entries) - 0.2)
    ax.set_xlim(low, high)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: fmt.percent(x * 100, 0)))
    ax.set_xlabel("Edistyminen lähtötasosta (0 %) tavoitetasoon (100 %)")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    handles = [
        Line2D(
            [],
            [],
            marker=STATUS_STYLE[s]["marker"],
            color=STATUS_STYLE[s]["color"],
            markeredgecolor="#000000",
            linestyle="none",
            markersize=8,
            label=s.label_fi,
        )
        for s in (Status.met, Status.on_track, Status.off_track)
    ]
    handles.append(
        Line2D(
            [],
            [],
            marker="|",
            color="#777777",
            linestyle="none",
            markersize=12,
            label="aikataulun mukainen taso",
        )
    )
    fig.legend(handles=handles, loc="outside lower center", ncol=4, frameon=False, fontsize=8)
    if title:
        ax.set_title(title, fontsize=10, loc="left")
    return fig, progress_alt_text(followup)


def status_counts_text(followup: FollowUp) -> str:
    """One Finnish sentence with the counts by status."""
    counts = followup.counts()
    return (
        f"{len(followup.entries)} seurantaindikaattorista "
        + ", ".join(f"{s.label_fi} {counts[s]}" for s in STATUS_ORDER)
        + "."
    )


# --------------------------------------------------------------------------------------------------
# Terminal (hyte plan-check, plan-status, plan-baselines)


def check_summary_lines(plan: Plan, eva: Eva | None = None) -> list[str]:
    """What `hyte plan-check` prints about a valid plan: counts, coverage of the agreements, gaps."""
    kinds = {kind: 0 for kind in SubGoalKind}
    for *_, sub in plan.sub_goals():
        kinds[sub.kind] += 1
    measures = [m for *_, m in plan.measures()]
    lines = [
        f"Plan OK: {plan.source} – {plan.title}",
        (
            f"  {len(plan.focus_areas)} focus areas, {sum(1 for _ in plan.goals())} goals, "
            f"{sum(kinds.values())} sub-goals ({', '.join(f'{k.value} {n}' for k, n in kinds.items())})"
        ),
        (
            f"  {len(measures)} measures ({sum(m.residents_panel for m in measures)} proposed by the "
            f"residents' panel; budgets {fmt.euros(sum(m.budget_eur or 0 for m in measures))} a year), "
            f"{sum(1 for _ in plan.targets())} follow-up indicators"
        ),
    ]
    unused = [k.value for k, n in kinds.items() if n == 0]
    if unused:
        lines.append(f"  note: no sub-goal of kind {', '.join(unused)}")
    without = [g.id for _, g in plan.goals() if not any(s.indicators for s in g.sub_goals)]
    if without:
        lines.append(f"  note: goals without a follow-up indicator: {', '.join(without)}")
    members = {m.code for m in plan.regions.county_municipalities(plan.county)}
    for year in sorted({a.year for a in plan.agreements}):
        agreed = {a.municipality for a in plan.agreements if a.year == year}
        lines.append(f"  agreements {year}: {len(agreed)} of {len(members)} municipalities")
    missing = sorted(members - {a.municipality for a in plan.agreements})
    if missing:
        names = ", ".join(f"{plan.regions.municipality(c).name_fi} ({c})" for c in missing)
        lines.append(f"  note: no agreement yet with {names}")
    if eva is not None:
        lines.append(
            f"EVA OK: {eva.source} – {len(eva.alternatives)} alternatives × "
            f"{len(eva.impacts)} impacts"
        )
    return lines


_STATUS_COLOUR = {
    Status.met: "green",
    Status.on_track: "blue",
    Status.off_track: "red",
    Status.no_data: "dim",
}


def status_rich_table(followup: FollowUp):
    """The follow-up as a rich Table for the terminal (status in words, colour only as a help)."""
    from rich.table import Table

    table = Table(
        title=f"{followup.plan.title}: seuranta ({followup.region_name})", title_justify="left"
    )
    for header, justify in zip(
        _FOLLOWUP_HEADERS,
        ["left", "left", "right", "right", "right", "right", "left"],
    ):
        table.add_column(header, justify=justify)
    for e in followup.entries:
        table.add_row(
            e.sub_goal_id,
            e.label,
            _point(e.baseline_value, e.baseline_year, e.decimals),
            _point(e.latest_value, e.latest_year, e.decimals),
            _point(e.target_value, e.target_year, e.decimals),
            _progress(e.progress),
            f"[{_STATUS_COLOUR[e.status]}]{e.status.label_fi}[/]",
        )
    return table


def baselines_rich_table(plan: Plan, updates):
    """Baselines in the plan beside the snapshot's values (`hyte plan-baselines`)."""
    from rich.table import Table

    table = Table(title="Lähtötasot: suunnitelma ja aineisto", title_justify="left")
    for header in ["Osatavoite", "Indikaattori", "Vuosi", "Suunnitelmassa", "Aineistossa", ""]:
        table.add_column(header)
    for u in updates:
        label = plan.catalog.get(u.indicator).short_fi
        mark = "muuttuu" if u.changed else ("ei tietoa" if u.new_value is None else "")
        table.add_row(
            u.sub_goal_id,
            f"{u.indicator} {label}",
            str(u.year),
            fmt.number(u.old_value, u.decimals),
            fmt.number(u.new_value, u.decimals),
            mark,
        )
    return table
