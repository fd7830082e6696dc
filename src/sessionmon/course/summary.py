"""Is it working? A course's outcome series, response and remission, and per-session vitals.

Everything here is computed from the store; nothing reads the wall clock (``today`` is given).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sessionmon.course.measures import MEASURES, get_measure
from sessionmon.course.model import Course, CourseStatus, PatientRecord
from sessionmon.course.plan import PRIMARY_MEASURE, format_schedule
from sessionmon.course.responses import Context, OutcomeResponse
from sessionmon.model import AlarmCategory, Event, EventKind, Kind, Session, SessionPhase

if TYPE_CHECKING:  # pragma: no cover
    from sessionmon.course.record_store import CourseStore

#: Response: a drop of at least this fraction from the course baseline (issue 15; the usual
#: definition in depression trials, e.g. STAR*D: >= 50 % reduction).
RESPONSE_DROP = 0.5

_CADSS = ("cadss", "cadss6")


@dataclass(frozen=True)
class SessionFigures:
    """One session's figures for the course view."""

    session_id: uuid.UUID
    start: datetime
    treatment: str
    dose_mg: float
    phase: str
    peak_bp_rise: float | None
    highest_cadss: int | None
    lowest_spo2: float | None
    minutes_to_ready: float | None
    adverse_events: tuple[str, ...]
    outcomes: dict[str, int]
    anxiety: dict[str, int]
    alerts: tuple[str, ...]
    simulated: bool = False


@dataclass(frozen=True)
class MeasureOutcome:
    """One measure across the course: its points and whether it responded or remitted."""

    scale: str
    short: str
    points: tuple[tuple[datetime, int], ...]
    baseline: int | None
    latest: int | None
    response: bool
    remission: bool
    remission_below: int | None
    band: str | None
    change_pct: float | None


@dataclass(frozen=True)
class ScheduleStatus:
    """The planned sessions against the held ones.

    ``matched`` pairs each planned date with the day of the session held for it (None: not
    held); ``due`` are planned dates not held whose window includes today; ``missed`` are planned
    dates not held whose window has passed; ``next_due`` is the first planned date not held whose
    window has not passed; ``unplanned`` counts held sessions no planned date was free for.
    """

    planned: int
    held: int
    next_due: date | None
    missed: tuple[date, ...]
    due: tuple[date, ...] = ()
    matched: tuple[tuple[date, date | None], ...] = ()
    unplanned: int = 0
    tolerance_days: int = 0


@dataclass(frozen=True)
class CourseSummary:
    """Everything the course view, the course PDF and ``sessionmon course --json`` show."""

    course: Course
    patient: PatientRecord | None
    sessions: tuple[SessionFigures, ...]
    measures: tuple[MeasureOutcome, ...]
    responses: tuple[OutcomeResponse, ...]
    schedule: ScheduleStatus
    trends: dict[str, float | None] = field(default_factory=dict)
    deidentified: bool = False


def _checklists(events: list[Event]) -> list[Event]:
    superseded = {e.supersedes for e in events if e.supersedes}
    return [e for e in events if e.kind is EventKind.CHECKLIST and e.id not in superseded]


def response_from_event(session: Session, event: Event) -> OutcomeResponse | None:
    """The outcome questionnaire an in-session checklist event records (None: not one)."""
    payload = event.payload
    scale = payload.get("scale")
    if not payload.get("outcome") or scale not in MEASURES:
        return None
    answers = {int(k): int(v) for k, v in (payload.get("answers") or {}).items()}
    return OutcomeResponse(
        id=event.id,
        course_id=session.course_id or session.id,
        session_id=session.id,
        scale=str(scale),
        total=int(payload.get("total", 0)),
        interpretation=str(payload.get("interpretation", "")),
        items=answers,
        at=event.at,
        by=event.by,
        context=Context(payload.get("context", Context.PRE_SESSION.value)),
        alerts=tuple(payload.get("alerts") or ()),
    )


def _adverse(events: list[Event]) -> tuple[str, ...]:
    found: list[str] = []
    for event in _checklists(events):
        if event.payload.get("scale") != "side_effects":
            continue
        for item in event.payload.get("items") or ():
            if isinstance(item, dict) and int(item.get("score") or 0) > 0:
                name = str(item.get("key") or item.get("label"))
                if name not in found:
                    found.append(name)
    return tuple(found)


def session_figures(store: CourseStore, session: Session) -> SessionFigures:
    """Compute one session's figures from its record."""
    events = store.events(session.id)
    sys_values = store.measurements(session.id, kinds=[Kind.NIBP_SYS])
    dose_at = session.dose_at
    rise = None
    if dose_at is not None:
        before = [m.value for m in sys_values if m.received_at <= dose_at]
        after = [m.value for m in sys_values if m.received_at > dose_at]
        if before and after:
            rise = max(after) - before[-1]
    spo2 = [m.value for m in store.measurements(session.id, kinds=[Kind.SPO2])]
    cadss = [
        int(e.payload.get("total", 0))
        for e in _checklists(events)
        if e.payload.get("scale") in _CADSS
    ]
    ready = None
    for event in events:
        if event.kind is EventKind.PHASE_CHANGE and event.payload.get("to") == (
            SessionPhase.DISCHARGE_READY.value
        ):
            if dose_at is not None:
                ready = (event.at - dose_at).total_seconds() / 60.0
            break
    outcomes: dict[str, int] = {}
    anxiety: dict[str, int] = {}
    alerts: list[str] = []
    for event in _checklists(events):
        response = response_from_event(session, event)
        if response is None:
            continue
        alerts.extend(response.alerts)
        if get_measure(response.scale).context == "outcome":
            outcomes[response.scale] = response.total
        else:
            key = "before_dose" if dose_at is None or response.at <= dose_at else "discharge"
            anxiety[key] = response.total
    adverse = list(_adverse(events))
    physiological = {
        a.condition for a in store.alarms(session.id) if a.category is AlarmCategory.PHYSIOLOGICAL
    }
    adverse.extend(f"alarm: {c}" for c in sorted(physiological))
    return SessionFigures(
        session_id=session.id,
        start=session.created_at,
        treatment=session.treatment.protocol.value,
        dose_mg=session.treatment.dose_mg,
        phase=session.phase.value,
        peak_bp_rise=rise,
        highest_cadss=max(cadss) if cadss else None,
        lowest_spo2=min(spo2) if spo2 else None,
        minutes_to_ready=ready,
        adverse_events=tuple(adverse),
        outcomes=outcomes,
        anxiety=anxiety,
        alerts=tuple(alerts),
        simulated=session.simulated,
    )


def measure_outcome(scale: str, responses: list[OutcomeResponse]) -> MeasureOutcome:
    """Baseline (first), latest, response (>= 50 % drop) and remission of one measure."""
    measure = get_measure(scale)
    points = tuple((r.at, r.total) for r in sorted(responses, key=lambda r: r.at))
    baseline = points[0][1] if points else None
    latest = points[-1][1] if points else None
    change = None
    response = False
    if baseline and latest is not None and len(points) > 1:
        change = (latest - baseline) / baseline * 100.0
        response = latest <= baseline * (1 - RESPONSE_DROP)
    below = measure.remission_below
    remission = latest is not None and below is not None and latest < below and len(points) > 1
    band = measure.scale.interpret(latest) if latest is not None else None
    return MeasureOutcome(
        scale=scale,
        short=measure.short,
        points=points,
        baseline=baseline,
        latest=latest,
        response=response,
        remission=remission,
        remission_below=below,
        band=band,
        change_pct=change,
    )


#: A held session counts for the nearest planned date at most this many days away (the usual
#: +/- 3 day visit window of trial schedules; docs/decisions/course.md). Validated setting:
#: 0 to 14 days.
SCHEDULE_TOLERANCE_DAYS = 3


def check_tolerance(days: int) -> int:
    """``days`` if it is a valid schedule tolerance (0-14 whole days).

    Raises
    ------
    ValueError
        If it is not.
    """
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 14:
        raise ValueError(f"schedule tolerance must be 0 to 14 whole days, not {days!r}")
    return days


def _windows(planned: list[date], tolerance: int) -> list[tuple[int, int]]:
    """Each planned date's window as (days early, days late): ``tolerance`` days, but early at
    most half the gap to the previous planned date and late at most half the gap to the next
    (at least 1 day), so the windows of twice-weekly sessions do not overlap."""

    def half(gap: int | None) -> int:
        return tolerance if gap is None else min(tolerance, max(1, gap // 2))

    windows = []
    for i, p in enumerate(planned):
        before = (p - planned[i - 1]).days if i > 0 else None
        after = (planned[i + 1] - p).days if i + 1 < len(planned) else None
        windows.append((half(before), half(after)))
    return windows


def _inside(day: date, planned: date, window: tuple[int, int]) -> bool:
    early, late = window
    return -early <= (day - planned).days <= late


def _held(sessions: list[Session]) -> list[Session]:
    return [s for s in sessions if s.dose_at is not None or s.phase is not SessionPhase.PLANNED]


def schedule_status(
    course: Course,
    sessions: list[Session],
    today: date,
    tolerance_days: int = SCHEDULE_TOLERANCE_DAYS,
) -> ScheduleStatus:
    """Match each held session (in order) to the nearest planned date still free within its
    window (``tolerance_days`` either side, but at most half the gap to the neighbouring planned
    date on that side, at least 1; a tie goes to the earlier date), so one late session does
    not shift every later one; then list what is due (window open today), missed (window
    passed) and next. A closed course has
    nothing due or next, and misses only dates whose window passed before it was closed."""
    tolerance = check_tolerance(tolerance_days)
    planned = course.planned_dates()
    windows = _windows(planned, tolerance)
    held = _held(sessions)
    taken: dict[int, date] = {}
    unplanned = 0
    for session in held:
        day = session.created_at.date()  # the same calendar as started_on
        free = [
            (abs((p - day).days), i)
            for i, p in enumerate(planned)
            if i not in taken and _inside(day, p, windows[i])
        ]
        if free:
            taken[min(free)[1]] = day
        else:
            unplanned += 1
    open_ = [(p, windows[i]) for i, p in enumerate(planned) if i not in taken]
    closed = course.status is CourseStatus.CLOSED
    if closed:  # nothing is due after the close; only dates whose window passed before it
        today = min(today, course.closed_on or today)
    missed = tuple(p for p, w in open_ if (today - p).days > w[1])
    due = () if closed else tuple(p for p, w in open_ if _inside(today, p, w))
    upcoming = [] if closed else [p for p, w in open_ if (today - p).days <= w[1]]
    return ScheduleStatus(
        planned=len(planned),
        held=len(held),
        next_due=upcoming[0] if upcoming else None,
        missed=missed,
        due=due,
        matched=tuple((p, taken.get(i)) for i, p in enumerate(planned)),
        unplanned=unplanned,
        tolerance_days=tolerance,
    )


def _slope(values: list[tuple[int, float]]) -> float | None:
    """Least-squares change per session (None with fewer than 3 points)."""
    if len(values) < 3:
        return None
    n = len(values)
    mx = sum(x for x, _ in values) / n
    my = sum(y for _, y in values) / n
    den = sum((x - mx) ** 2 for x, _ in values)
    if den == 0:
        return None
    return round(sum((x - mx) * (y - my) for x, y in values) / den, 3)


def summarise_course(
    store: CourseStore,
    course: Course,
    today: date,
    tolerance_days: int = SCHEDULE_TOLERANCE_DAYS,
) -> CourseSummary:
    """The course's summary: sessions, outcome measures (the indication's primary measure
    first), schedule and trends."""
    sessions = store.course_sessions(course)
    figures = [session_figures(store, s) for s in sessions]
    responses: list[OutcomeResponse] = list(store.course_responses(course.id))
    for session in sessions:
        for event in _checklists(store.events(session.id)):
            found = response_from_event(session, event)
            if found is not None:
                responses.append(found)
    responses.sort(key=lambda r: r.at)
    primary = PRIMARY_MEASURE[course.indication]
    scales = [s for s in MEASURES if MEASURES[s].context == "outcome"]
    scales.sort(key=lambda s: s != primary)  # the indication's measure first
    measures = tuple(
        measure_outcome(s, [r for r in responses if r.scale == s])
        for s in scales
        if any(r.scale == s for r in responses)
    )
    trends: dict[str, float | None] = {
        "peak_bp_rise_per_session": _slope(
            [(i, f.peak_bp_rise) for i, f in enumerate(figures) if f.peak_bp_rise is not None]
        ),
        "highest_cadss_per_session": _slope(
            [(i, f.highest_cadss) for i, f in enumerate(figures) if f.highest_cadss is not None]
        ),
        "minutes_to_ready_per_session": _slope(
            [
                (i, f.minutes_to_ready)
                for i, f in enumerate(figures)
                if f.minutes_to_ready is not None
            ]
        ),
    }
    return CourseSummary(
        course=course,
        patient=store.get_patient(course.pseudonym),
        sessions=tuple(figures),
        measures=measures,
        responses=tuple(responses),
        schedule=schedule_status(course, sessions, today, tolerance_days),
        trends=trends,
    )


def summary_json(summary: CourseSummary) -> dict[str, Any]:
    """The summary as plain data (``sessionmon course --json``); no name, DOB or MRN."""
    course = summary.course
    return {
        "patient": course.pseudonym,
        "deidentified": summary.deidentified,
        "course": {
            "id": str(course.id),
            "indication": course.indication.value,
            "indication_other": course.indication_other,
            "primary_measure": PRIMARY_MEASURE[course.indication],
            "schedule": format_schedule(course.schedule),
            "closed_reason": None if course.closed_reason is None else course.closed_reason.value,
            "closed_note": course.closed_note,
            "closed_on": None if course.closed_on is None else course.closed_on.isoformat(),
            "treatment": course.treatment.value,
            "started_on": course.started_on.isoformat(),
            "status": course.status.value,
            "migrated": course.migrated,
        },
        "sessions": [
            {
                "session_id": str(f.session_id),
                "start": f.start.isoformat(),
                "treatment": f.treatment,
                "dose_mg": f.dose_mg,
                "phase": f.phase,
                "outcomes": f.outcomes,
                "anxiety": f.anxiety,
                "peak_bp_rise": f.peak_bp_rise,
                "highest_cadss": f.highest_cadss,
                "lowest_spo2": f.lowest_spo2,
                "minutes_to_ready": None
                if f.minutes_to_ready is None
                else round(f.minutes_to_ready, 1),
                "adverse_events": list(f.adverse_events),
                "alerts": list(f.alerts),
            }
            for f in summary.sessions
        ],
        "measures": {
            m.scale: {
                "baseline": m.baseline,
                "latest": m.latest,
                "change_pct": None if m.change_pct is None else round(m.change_pct, 1),
                "response": m.response,
                "remission": m.remission,
                "remission_below": m.remission_below,
                "band": m.band,
                "points": [{"at": at.isoformat(), "total": t} for at, t in m.points],
            }
            for m in summary.measures
        },
        "schedule": {
            "planned": summary.schedule.planned,
            "held": summary.schedule.held,
            "next_due": None
            if summary.schedule.next_due is None
            else summary.schedule.next_due.isoformat(),
            "missed": [d.isoformat() for d in summary.schedule.missed],
            "due": [d.isoformat() for d in summary.schedule.due],
            "unplanned": summary.schedule.unplanned,
            "tolerance_days": summary.schedule.tolerance_days,
            "slots": [
                {"planned": p.isoformat(), "held": None if h is None else h.isoformat()}
                for p, h in summary.schedule.matched
            ],
        },
        "trends": summary.trends,
    }
