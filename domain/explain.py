"""How a clock's due time was reached: counted and skipped spans, in Arabic and English (§7)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain import calendars, sla
from domain.calendars import DayKind, WorkCalendar
from domain.tickets import Pause


class SpanKind(StrEnum):
    """What a stretch of time between the start and the due time was (§7 Explain)."""

    COUNTED = "counted"
    OUTSIDE_HOURS = "outside_hours"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"
    PAUSED = "paused"


@dataclass(frozen=True, slots=True)
class Span:
    """One stretch, in order; `holiday` names the holiday of a HOLIDAY span."""

    kind: SpanKind
    start: datetime
    end: datetime
    holiday: str | None = None

    @property
    def minutes(self) -> float:
        """Its length in minutes."""
        return (self.end - self.start).total_seconds() / 60


@dataclass(frozen=True, slots=True)
class Explanation:
    """§7 Explain: the due time, the ordered spans that led to it, one sentence per language."""

    due_at: datetime
    zone: str
    spans: tuple[Span, ...]
    sentence_ar: str
    sentence_en: str


def _raw(start: datetime, due: datetime, calendar: sla.Counting) -> list[Span]:
    if not isinstance(calendar, WorkCalendar):
        return [Span(SpanKind.COUNTED, start, due)]
    spans: list[Span] = []
    for day in calendars.days_from(calendar, start):
        if day.start >= due:
            break
        if day.kind is DayKind.WEEKEND:
            spans.append(Span(SpanKind.WEEKEND, day.start, day.end))
        elif day.kind is DayKind.HOLIDAY:
            spans.append(Span(SpanKind.HOLIDAY, day.start, day.end, day.holiday))
        else:
            cursor = day.start
            for low, high in day.working:
                spans += [
                    Span(SpanKind.OUTSIDE_HOURS, cursor, low),
                    Span(SpanKind.COUNTED, low, high),
                ]
                cursor = high
            spans.append(Span(SpanKind.OUTSIDE_HOURS, cursor, day.end))
    clipped = (Span(s.kind, max(s.start, start), min(s.end, due), s.holiday) for s in spans)
    return [span for span in clipped if span.start < span.end]


def _paused(spans: list[Span], pauses: Sequence[Pause]) -> list[Span]:
    """Counted spans inside a pause become PAUSED spans: the due time moved by them."""
    closed = sorted((p.start, p.end) for p in pauses if p.end is not None)
    out: list[Span] = []
    for span in spans:
        low = span.start
        if span.kind is SpanKind.COUNTED:
            for paused_from, paused_to in closed:
                if paused_to <= low or paused_from >= span.end:
                    continue
                if paused_from > low:
                    out.append(Span(SpanKind.COUNTED, low, paused_from))
                out.append(Span(SpanKind.PAUSED, max(low, paused_from), min(span.end, paused_to)))
                low = min(span.end, paused_to)
        if low < span.end:
            out.append(Span(span.kind, low, span.end, span.holiday))
    return out


def _merged(spans: list[Span]) -> tuple[Span, ...]:
    out: list[Span] = []
    for span in spans:
        last = out[-1] if out else None
        if last and (last.kind, last.holiday, last.end) == (span.kind, span.holiday, span.start):
            out[-1] = Span(span.kind, last.start, span.end, span.holiday)
        else:
            out.append(span)
    return tuple(out)


def explain(
    start: datetime,
    minutes: int,
    calendar: sla.Counting,
    pauses: Sequence[Pause] = (),
    *,
    now: datetime,
) -> Explanation:
    """§7 Explain: how `minutes` of working time from `start` reach the due time (an open pause
    is taken as ending at `now`, as if the customer replied then)."""
    closed = sla.closed_at(pauses, now)
    due = sla.paused_due_at(start, minutes, calendar, closed)
    assert due is not None
    begin = start.astimezone(UTC)
    spans = _merged(_paused(_raw(begin, due, calendar), closed))
    zone = calendar.zone  # round the clock too: the organisation's, where its days fall
    return Explanation(
        due_at=due,
        zone=zone,
        spans=spans,
        sentence_ar=_sentence(spans, begin, due, zone, calendar, _AR),
        sentence_en=_sentence(spans, begin, due, zone, calendar, _EN),
    )


@dataclass(frozen=True, slots=True)
class _Words:
    days: tuple[str, ...]  # Monday first, as Python numbers weekdays
    hours: str
    minutes: str
    due: str
    counted_working: str
    counted_24_7: str
    skipped: str
    kinds: dict[SpanKind, str]
    joiner: str


_EN = _Words(
    days=("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    hours="h",
    minutes="m",
    due="Due {when} ({zone})",
    counted_working="{counted} of working time counted from {start}",
    counted_24_7="{counted} counted round the clock (24/7) from {start}",
    skipped="; skipped {parts}",
    kinds={
        SpanKind.OUTSIDE_HOURS: "{d} outside working hours",
        SpanKind.WEEKEND: "{d} weekend",
        SpanKind.HOLIDAY: "{d} holiday ({names})",
        SpanKind.PAUSED: "{d} paused waiting on the customer",
    },
    joiner=", ",
)
_AR = _Words(
    days=("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد"),
    hours=" س",
    minutes=" د",
    due="موعد الاستحقاق {when} ({zone})",
    counted_working="احتُسب {counted} من وقت العمل بدءاً من {start}",
    counted_24_7="احتُسب {counted} على مدار الساعة (24/7) بدءاً من {start}",
    skipped="؛ ولم يُحتسب {parts}",
    kinds={
        SpanKind.OUTSIDE_HOURS: "{d} خارج ساعات العمل",
        SpanKind.WEEKEND: "{d} عطلة نهاية الأسبوع",
        SpanKind.HOLIDAY: "{d} إجازة ({names})",
        SpanKind.PAUSED: "{d} إيقاف بانتظار رد العميل",
    },
    joiner="، ",
)


def _duration(seconds: float, words: _Words) -> str:
    minutes = round(seconds / 60)
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours}{words.hours} {rest}{words.minutes}"
    return f"{hours}{words.hours}" if hours else f"{rest}{words.minutes}"


def _when(at: datetime, zone: str, words: _Words) -> str:
    local = at.astimezone(ZoneInfo(zone))
    return f"{words.days[local.weekday()]} {local:%Y-%m-%d %H:%M}"


def _sentence(
    spans: tuple[Span, ...],
    start: datetime,
    due: datetime,
    zone: str,
    calendar: sla.Counting,
    words: _Words,
) -> str:
    totals: dict[SpanKind, timedelta] = {}
    names: list[str] = []
    for span in spans:
        totals[span.kind] = totals.get(span.kind, timedelta(0)) + (span.end - span.start)
        if span.holiday is not None and span.holiday not in names:
            names.append(span.holiday)
    counted = _duration(totals.get(SpanKind.COUNTED, timedelta(0)).total_seconds(), words)
    template = words.counted_working if isinstance(calendar, WorkCalendar) else words.counted_24_7
    text = words.due.format(when=_when(due, zone, words), zone=zone) + ": "
    text += template.format(counted=counted, start=_when(start, zone, words))
    skipped = [
        words.kinds[kind].format(
            d=_duration(totals[kind].total_seconds(), words), names=words.joiner.join(names)
        )
        for kind in (SpanKind.OUTSIDE_HOURS, SpanKind.WEEKEND, SpanKind.HOLIDAY, SpanKind.PAUSED)
        if kind in totals
    ]
    if skipped:
        text += words.skipped.format(parts=words.joiner.join(skipped))
    return text + "."
