"""What the history says: per-session summaries as a table, JSON, CSV, a chart, and a spoken week."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from voice.content import Content
from voice.content.numbers import number_words
from voice.history.store import EventKind, HistoryError, SessionRecord
from voice.private import open_private

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
"""Day names for the spoken summary, Monday first like ``date.weekday``."""

MOST_PAIN_REPORTS_SPOKEN = 3
"""The spoken summary names at most this many pain reports, the latest first."""


@dataclass
class ExerciseRun:
    """One exercise as far as it went in a session."""

    exercise: str
    """Exercise id."""
    sides: list[str] = field(default_factory=list)
    """Sides started, in order (empty for one-sided exercises)."""
    holds: int = 0
    """Holds counted to their end."""
    seconds_held: int = 0
    """Seconds of those holds."""
    sets: int = 0
    """Sets of repetitions counted to their end."""
    repetitions: int = 0
    """Repetitions in those sets."""
    skipped: bool = False
    """The person skipped it."""
    completed: bool = False
    """Every side reached the end of its last step."""
    pain: int = 0
    """Pain reports during it."""


@dataclass(frozen=True)
class PainReport:
    """Pain reported during a session."""

    exercise: str | None
    """The exercise running, if any."""
    side: str | None
    """Its side, if two-sided."""
    step: int | None
    """Its step number, if on a step."""
    t: float
    """Seconds from the session start."""
    at: datetime
    """Wall-clock time."""
    words: str
    """What the person said."""


@dataclass(frozen=True)
class SessionSummary:
    """One session, summarised."""

    start: datetime
    """When it started."""
    end: datetime
    """When it ended (its last event if the coach was stopped abruptly)."""
    engine: str
    """The recogniser in use."""
    exercises: tuple[ExerciseRun, ...]
    """Exercises in the order they were started."""
    pain: tuple[PainReport, ...]
    """Pain reports in order."""
    pauses: int
    """Times the session was paused."""
    not_understood: int
    """Times the coach heard something that was not a command."""


def summarise(record: SessionRecord) -> SessionSummary:
    """Fold a stored session's events into its summary."""
    runs: list[ExerciseRun] = []
    pain: list[PainReport] = []
    pauses = not_understood = 0
    for event in record.events:
        run = runs[-1] if runs and runs[-1].exercise == event.exercise else None
        match event.kind:
            case EventKind.EXERCISE if event.exercise:
                runs.append(ExerciseRun(event.exercise))
            case EventKind.SIDE if run and event.side:
                run.sides.append(event.side)
            case EventKind.HOLD if run:
                run.holds += 1
                run.seconds_held += event.amount or 0
            case EventKind.REPS if run:
                run.sets += 1
                run.repetitions += event.amount or 0
            case EventKind.SKIP if run:
                run.skipped = True
            case EventKind.DONE if run:
                run.completed = True
            case EventKind.PAUSE:
                pauses += 1
            case EventKind.NOT_UNDERSTOOD:
                not_understood += 1
            case EventKind.PAIN:
                if run:
                    run.pain += 1
                at = record.started + timedelta(seconds=event.t)
                words = event.words or ""
                pain.append(PainReport(event.exercise, event.side, event.step, event.t, at, words))
    last = record.events[-1].t if record.events else 0.0
    end = record.ended or record.started + timedelta(seconds=last)
    return SessionSummary(
        record.started, end, record.engine, tuple(runs), tuple(pain), pauses, not_understood
    )


# ----- JSON, table, CSV ---------------------------------------------------------------------


def session_json(summary: SessionSummary) -> dict[str, Any]:
    """The JSON object of one session."""
    return {
        "start": summary.start.isoformat(),
        "end": summary.end.isoformat(),
        "engine": summary.engine,
        "exercises": [
            {"exercise": run.exercise, "sides": run.sides, "holds": run.holds,
             "seconds_held": run.seconds_held, "sets": run.sets, "repetitions": run.repetitions,
             "skipped": run.skipped, "completed": run.completed}
            for run in summary.exercises
        ],
        "pain": [
            {"exercise": report.exercise, "side": report.side, "step": report.step,
             "t": round(report.t, 3), "at": report.at.isoformat(), "words": report.words}
            for report in summary.pain
        ],
        "pauses": summary.pauses,
        "not_understood": summary.not_understood,
    }


def _run_text(run: ExerciseRun) -> str:
    details = [" ".join(side[0].upper() for side in run.sides)] if run.sides else []
    if run.holds:
        details.append(f"{run.holds} hold{'s' * (run.holds != 1)} {run.seconds_held}s")
    if run.sets:
        details.append(f"{run.repetitions} reps")
    details.append("done" if run.completed else "skipped" if run.skipped else "stopped")
    return f"{run.exercise} ({', '.join(details)})"


def _pain_text(report: PainReport) -> str:
    where = " ".join(str(part) for part in (report.exercise, report.side) if part) or "between exercises"
    step = f" step {report.step}" if report.step else ""
    return f"{report.at:%H:%M} {where}{step}: \"{report.words}\""


def table(summaries: list[SessionSummary]) -> str:
    """A readable table, one session per block."""
    if not summaries:
        return "No sessions recorded in this period."
    rows = []
    for summary in summaries:
        exercises = "; ".join(_run_text(run) for run in summary.exercises) or "no exercise"
        rows.append(f"{summary.start:%a %d %b %Y  %H:%M}-{summary.end:%H:%M}  {exercises}")
        rows.extend(f"    pain {_pain_text(report)}" for report in summary.pain)
    header = f"{'Date':<17}{'Time':<13}Exercises (sides, holds, reps, outcome)"
    return "\n".join([header, *rows])


CSV_COLUMNS = (
    "date", "start", "end", "exercise", "sides", "holds", "seconds_held", "sets", "repetitions",
    "completed", "skipped", "pain_reports", "pain_words",
)
"""Columns of the CSV export: one row per exercise in a session (and one for pain between exercises)."""


def write_csv(summaries: list[SessionSummary], path: Path) -> None:
    """Write the CSV export for a clinician."""
    try:
        with open_private(path, "w", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(CSV_COLUMNS)
            for summary in summaries:
                writer.writerows(_csv_rows(summary))
    except OSError as error:
        raise HistoryError(f"{path}: cannot write the CSV file: {error.strerror}") from None


def _csv_rows(summary: SessionSummary) -> list[list[object]]:
    when = [summary.start.date().isoformat(), f"{summary.start:%H:%M:%S}", f"{summary.end:%H:%M:%S}"]
    rows: list[list[object]] = []
    for run in summary.exercises:
        words = [report.words for report in summary.pain if report.exercise == run.exercise]
        rows.append([
            *when, run.exercise, " ".join(run.sides), run.holds, run.seconds_held, run.sets,
            run.repetitions, run.completed, run.skipped, run.pain, " / ".join(words) if run.pain else "",
        ])
    loose = [report.words for report in summary.pain if report.exercise is None]
    if loose:
        rows.append([*when, "", "", 0, 0, 0, 0, False, False, len(loose), " / ".join(loose)])
    return rows


# ----- chart --------------------------------------------------------------------------------


def draw_chart(summaries: list[SessionSummary], path: Path, first: date, last: date) -> None:
    """Sessions per day from ``first`` to ``last`` as bars, days with pain reports marked in red."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        raise HistoryError(
            "drawing a chart needs matplotlib; install it with: pip install 'stretch-coach[chart]'"
        ) from None
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    sessions = {day: 0 for day in days}
    pain = {day: 0 for day in days}
    for summary in summaries:
        day = summary.start.date()
        if day in sessions:
            sessions[day] += 1
            pain[day] += len(summary.pain)
    figure, axes = pyplot.subplots(figsize=(min(16.0, max(6.0, len(days) * 0.25)), 3.5))
    axes.bar(range(len(days)), [sessions[day] for day in days], color="tab:blue", label="sessions")
    hurt = [index for index, day in enumerate(days) if pain[day]]
    heights = [sessions[days[index]] + 0.2 for index in hurt]
    axes.scatter(hurt, heights, color="tab:red", marker="v", label="pain reported")
    every = max(1, len(days) // 15)
    axes.set_xticks(range(0, len(days), every), [f"{day:%d %b}" for day in days[::every]])
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel("sessions")
    axes.set_title("Stretch Coach: sessions per day")
    axes.legend(loc="upper left")
    figure.autofmt_xdate()
    kind = path.suffix.lstrip(".").lower() or "png"
    if kind not in figure.canvas.get_supported_filetypes():
        pyplot.close(figure)
        raise HistoryError(f"{path}: cannot draw a chart as '.{kind}'; name it .png, .svg or .pdf")
    try:
        with open_private(path, "wb") as stream:
            figure.savefig(stream, dpi=100, format=kind)
    except OSError as error:
        raise HistoryError(f"{path}: cannot write the chart: {error.strerror}") from None
    finally:
        pyplot.close(figure)


# ----- spoken summary -----------------------------------------------------------------------


def spoken_summary(summaries: list[SessionSummary], now: datetime, content: Content) -> str:
    """A short spoken summary of these sessions (the last seven days up to ``now``)."""
    lines = content.lines
    active = [summary for summary in summaries if summary.exercises or summary.pain]
    if not active:
        return lines.week_empty
    done: dict[str, int] = {}
    for summary in active:
        for run in summary.exercises:
            if run.completed:
                done[run.exercise] = done.get(run.exercise, 0) + 1
    sessions = _counted(len(active), lines.week_one_session, lines.week_sessions)
    if done:
        exercises = [
            lines.week_exercise.format(title=_title(exercise, content), times=_times(count, content))
            for exercise, count in done.items()
        ]
        parts = [lines.week.format(sessions=sessions, exercises=join_words(exercises))]
    else:
        parts = [lines.week_nothing_done.format(sessions=sessions)]
    parts.append(_pain_sentence([report for summary in active for report in summary.pain], now, content))
    return " ".join(parts)


def _pain_sentence(reports: list[PainReport], now: datetime, content: Content) -> str:
    lines = content.lines
    if not reports:
        return lines.week_no_pain
    spoken: list[str] = []
    for report in reversed(reports):
        day = _day(report.at.date(), now.date(), content)
        said = (
            lines.week_pain_report.format(day=day, title=_title(report.exercise, content))
            if report.exercise else day
        )
        if said not in spoken:
            spoken.append(said)
    return lines.week_pain.format(reports=join_words(spoken[:MOST_PAIN_REPORTS_SPOKEN]))


def _title(exercise: str, content: Content) -> str:
    """The spoken name of an exercise in the history; one no longer in the content is named by its id."""
    try:
        return content.exercise(exercise).title
    except KeyError:
        return exercise.replace("_", " ")


def _day(day: date, today: date, content: Content) -> str:
    lines = content.lines
    if day == today:
        return lines.week_today
    if day == today - timedelta(days=1):
        return lines.week_yesterday
    return lines.week_on_day.format(day=WEEKDAYS[day.weekday()])


def _counted(count: int, one: str, many: str) -> str:
    return one if count == 1 else many.format(count=number_words(count))


def _times(count: int, content: Content) -> str:
    lines = content.lines
    if count == 2:
        return lines.week_twice
    return _counted(count, lines.week_once, lines.week_times)


def join_words(parts: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
