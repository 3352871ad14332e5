"""Publication times: relative times (`5 uur geleden`, `2 hours ago`, `vor 5 Stunden`,
`il y a 5 heures`, `hace 5 horas`, `5 ore fa`, `há 5 horas`, `gisteren`, `hier`), clock times,
ISO timestamps (HTML `<time datetime>`) and dateline dates, resolved against the envelope's
`fetched_at` into a UTC instant and a precision.

Calendar days ("gisteren", "2 Tage", "3 februari", "08 MAG") are Europe/Amsterdam (Central
European) days when the words are continental and UTC days when they are English; a day is
published at its local midnight.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

from wirestream.core.item import Precision
from wirestream.normalizer.dateline import DatelineDate

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
# Every spelling of a unit in nl/en/de/fr/es/it/pt, by its letter above.
_UNIT_WORDS = {
    "s": "seconde seconden second seconds sec secs sekunde sekunden secondes segundo segundos "
    "secondo secondi",
    "m": "minuut minuten minute minutes min mins minuto minutos minuti",
    "h": "uur uren hour hours hr hrs stunde stunden std heure heures hora horas ora ore h",
    "d": "dag dagen day days tag tagen jour jours día días dia dias giorno giorni",
    "w": "week weken weeks woche wochen semaine semaines semana semanas settimana settimane",
}
_UNITS = {word: unit for unit, words in _UNIT_WORDS.items() for word in words.split()}
_ONE_WORDS = "een één a an one einer einem une un una uno um uma un'"
_ONE = frozenset(_ONE_WORDS.split())
_DAYS_BACK = {
    **dict.fromkeys(("gisteren", "yesterday", "gestern", "hier", "ayer", "ieri", "ontem"), 1),
    **dict.fromkeys(("eergisteren", "vorgestern", "avant-hier", "anteayer", "anteontem"), 2),
}
_NOW = ("zojuist", "just now", "net binnen", "gerade eben", "à l'instant", "ahora mismo", "agora")
# Words of English copy count in UTC days; the continental languages' in Central European days.
_UTC_WORDS = frozenset(("ago", "yesterday", "just now"))

_UNIT_RE = "|".join(sorted(_UNITS, key=len, reverse=True))
_AMOUNT = r"\d{1,4}|één|een|an?|one|einer|einem|une|un'?|una|uno|uma|um"
_ISO = r"\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:?\d{2})?)?"
# A time expression; `TIME_AT_START` finds one opening a line (glued to the next teaser).
_EXPRESSION = (
    rf"(?P<amount>{_AMOUNT})\s*(?P<unit>{_UNIT_RE})\.?\s+(?P<ago>geleden|ago|fa)"
    rf"|(?P<before>vor|il y a|hace|há)\s+(?P<amount2>{_AMOUNT})\s*(?P<unit2>{_UNIT_RE})\.?"
    rf"|(?P<days_back>{'|'.join(sorted(_DAYS_BACK, key=len, reverse=True))})"
    rf"|(?P<now>{'|'.join(_NOW)})"
    rf"|(?P<iso>{_ISO})"
    r"|(?P<clock>[012]?\d[:.][0-5]\d)(?:\s*uur)?"
)
TIME_AT_START = re.compile(rf"(?i:{_EXPRESSION})")
_TIME_LINE = re.compile(rf"(?i:{_EXPRESSION})")
# A relative time trailing a teaser on its own line: "... gevallen. 5 uur geleden".
_TIME_AT_END = re.compile(rf"(?<=[.!?\"”’)])\s*(?i:{_EXPRESSION})$")
_TRAILING_WORDS = (
    *("geleden", "ago", "fa", *_DAYS_BACK, *_NOW),
    *(unit for unit in _UNITS if len(unit) > 3),
)
_TRAILING_WINDOW = 40  # longer than any relative time expression


# Cached like `dateline.parse_opening`: the same teaser lines come back on every page.
@lru_cache(maxsize=8192)
def time_prefix_length(line: str) -> int:
    """Length of the time expression opening `line` (0 when there is none)."""
    match = TIME_AT_START.match(line)
    return match.end() if match else 0


def split_trailing_time(text: str) -> tuple[str, str | None]:
    """`text` without a relative time at its end, and that time (or None)."""
    if not text[-_TRAILING_WINDOW:].lower().endswith(_TRAILING_WORDS):
        return text, None
    match = _TIME_AT_END.search(text, max(0, len(text) - _TRAILING_WINDOW))
    if match is None:
        return text, None
    return text[: match.start()], match.group().strip()


@lru_cache(maxsize=8192)
def is_time_line(line: str) -> bool:
    """Whether the whole line is one time expression."""
    return _TIME_LINE.fullmatch(line) is not None


def resolve(
    time_text: str | None, dateline_date: DatelineDate | None, fetched_at: datetime
) -> tuple[datetime | None, Precision]:
    """The publication instant (UTC) and its precision; the more precise source wins."""
    if time_text is not None:
        match = _TIME_LINE.fullmatch(time_text.strip())
        if match is not None:
            resolved = _resolve_expression(match, fetched_at)
            if resolved[0] is not None:
                return resolved
    if dateline_date is not None:
        return _resolve_date(dateline_date, fetched_at)
    return None, "none"


def _resolve_expression(
    match: re.Match[str], fetched_at: datetime
) -> tuple[datetime | None, Precision]:
    if match["unit"] or match["unit2"]:
        amount_text = (match["amount"] or match["amount2"]).lower()
        amount = 1 if amount_text in _ONE else int(amount_text)
        unit = _UNITS[(match["unit"] or match["unit2"]).lower()]
        zone = _zone((match["ago"] or match["before"]).lower())
        if unit in "dw":
            return _local_midnight(fetched_at, zone, amount * _UNIT_SECONDS[unit] // 86400)
        instant = _floor_minute(fetched_at - timedelta(seconds=amount * _UNIT_SECONDS[unit]))
        return instant, "hour" if unit == "h" else "minute"
    if match["days_back"]:
        word = match["days_back"].lower()
        return _local_midnight(fetched_at, _zone(word), _DAYS_BACK[word])
    if match["now"]:
        return _floor_minute(fetched_at), "minute"
    if match["iso"]:
        return _resolve_iso(match["iso"])
    return _resolve_clock(match["clock"], fetched_at)


def _resolve_iso(text: str) -> tuple[datetime | None, Precision]:
    text = text.replace("t", "T").replace("z", "+00:00").replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None, "none"
    if len(text) == 10:  # a date only
        return datetime(parsed.year, parsed.month, parsed.day, tzinfo=UTC), "day"
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return _floor_minute(parsed.astimezone(UTC)), "minute"


def _resolve_clock(text: str, fetched_at: datetime) -> tuple[datetime | None, Precision]:
    """A bare clock time (`14:35`) on a Dutch page: today, or yesterday if that is later."""
    hour, minute = (int(part) for part in re.split("[:.]", text))
    if hour > 23:
        return None, "none"
    local_fetch = fetched_at.astimezone(AMSTERDAM)
    local = datetime.combine(local_fetch.date(), time(hour, minute), tzinfo=AMSTERDAM)
    if local > local_fetch + timedelta(minutes=5):
        local = datetime.combine(
            local_fetch.date() - timedelta(days=1), time(hour, minute), tzinfo=AMSTERDAM
        )
    return local.astimezone(UTC), "minute"


def _resolve_date(value: DatelineDate, fetched_at: datetime) -> tuple[datetime | None, Precision]:
    zone = AMSTERDAM if value.central_european else UTC
    local_fetch = fetched_at.astimezone(zone).date()
    year = value.year or local_fetch.year
    try:
        day = date(year, value.month, value.day)
        # Without a year, a date more than a day ahead of the fetch is last year's.
        if value.year is None and day > local_fetch + timedelta(days=1):
            day = date(year - 1, value.month, value.day)
    except ValueError:  # 31 February and the like
        return None, "none"
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC), "day"


def _local_midnight(
    fetched_at: datetime, zone: tzinfo, days_back: int
) -> tuple[datetime, Precision]:
    day = fetched_at.astimezone(zone).date() - timedelta(days=days_back)
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC), "day"


def _zone(word: str) -> tzinfo:
    return UTC if word in _UTC_WORDS else AMSTERDAM


def _floor_minute(instant: datetime) -> datetime:
    return instant.replace(second=0, microsecond=0)
