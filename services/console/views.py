"""How the console writes things for officers: units, steps, roles, times in WIB, clocks.

Times are on the office's clock (`BAMSOS_TIMEZONE`, WIB), as the terminal prints them; a step's
clock is counted in SOP time on the office calendar (nights and holidays don't count), green within
its standard, amber in its last minute, red past it — always said in words too, not by colour only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from shared.laporan.bahasa import CHANNELS, ROLES, SERVICES, TOPICS
from shared.laporan.period import MONTHS
from shared.privacy.access_log import Action as PrivacyAction
from shared.privacy.masking import mask_personal
from shared.sop.clock import SopClock
from shared.sop.contracts import ANSWER_LIMIT, Role
from shared.sop.orgchart import OrgChart
from shared.sop.rules import STEP_NAMES
from shared.sop.units import Unit
from shared.staff.actions import office_time

AMBER_SECONDS = 60.0  # "the last minute" of a step's standard


def minutes_text(seconds: float) -> str:
    """5,2 — minutes with one decimal, as Indonesian writes decimals."""
    return f"{seconds / 60:.1f}".replace(".", ",")


def step_text(step: int) -> str:
    return f"{step}. {STEP_NAMES.get(step, '')}"


def service_text(code: str | None) -> str:
    return SERVICES.get(code, code) if code else "Belum ditentukan"


def topic_text(code: str | None) -> str:
    return TOPICS.get(code, code) if code else "Belum ditentukan"


def channel_text(code: str | None) -> str:
    return CHANNELS.get(code, code) if code else "-"


def unit_text(unit: str, chart: OrgChart) -> str:
    """`kasi.kelahiran_kematian` -> "Kepala Seksi Kelahiran dan Kematian"; `admin` -> its SOP name."""
    parsed = Unit.parse(unit)
    if parsed.role is Role.kasi and parsed.code in chart.seksi:
        return "Kepala " + chart.seksi[parsed.code].nama
    if parsed.role is Role.kabid and parsed.code in chart.bidang:
        return "Kepala " + chart.bidang[parsed.code].nama
    return ROLES.get(parsed.role.value, unit)


# Who holds a step, as the control card's columns name them (short: a table cell).
SHORT_ROLES = {
    "pemohon": "Pemohon",
    "admin": "Admin",
    "kasi": "Kepala seksi",
    "kabid": "Kepala bidang",
    "editor": "Operator editor",
    "pickup": "Loket pengambilan",
    "kadis": "Kepala dinas",
}


def holder_text(role: str, seksi: str | None, bidang: str | None, chart: OrgChart) -> str:
    """`kasi` of `kelahiran_kematian` -> "Kepala Seksi Kelahiran dan Kematian"; `admin` -> "Admin"."""
    if role == "kasi" and seksi in chart.seksi:
        return "Kepala " + chart.seksi[seksi].nama
    if role == "kabid" and bidang in chart.bidang:
        return "Kepala " + chart.bidang[bidang].nama
    return SHORT_ROLES.get(role, role)


@dataclass(frozen=True)
class Clock:
    """A step's clock now: `state` is hijau (within), kuning (last minute) or merah (over)."""

    state: str
    label: str
    text: str


def whole_minutes_text(seconds: float) -> str:
    """4 — whole minutes gone by, "kurang dari 1" under a minute (a list refreshed each minute)."""
    whole = int(seconds // 60)
    return str(whole) if whole else "kurang dari 1"


def step_clock(
    clock: SopClock, due_at: datetime, standard_seconds: int, now: datetime, *, whole: bool = False
) -> Clock:
    """The clock of a step handed over with its due time; `whole` minutes for the live list."""
    standard = standard_seconds // 60
    amount = whole_minutes_text if whole else minutes_text
    if now >= due_at:
        late = clock.sop_seconds(due_at, now)
        return Clock("merah", "Terlambat", f"lewat {amount(late)} menit (baku {standard})")
    left = clock.sop_seconds(now, due_at)
    if left <= AMBER_SECONDS:
        # The live list counts whole minutes: in the last one, say so plainly.
        text = (
            f"sisa kurang dari 1 menit (baku {standard})"
            if whole
            else f"sisa {amount(left)} dari {standard} menit"
        )
        return Clock("kuning", "Menit terakhir", text)
    return Clock("hijau", "Dalam baku", f"sisa {amount(left)} dari {standard} menit")


def summary(text: str, limit: int = 120) -> str:
    """The first words of a citizen's text, on one line, NIK/KK, phone numbers and e-mail addresses
    masked (escaped by the template, as everything). Masked before it is cut: a number cut short
    would no longer read as one and would show."""
    flat = mask_personal(" ".join(text.split()))
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def action_text(code: str) -> str:
    """An access-log action in words ("buka kasus"), the code itself if unknown."""
    try:
        return PrivacyAction(code).label
    except ValueError:
        return code


def short_time(moment: datetime | None, zone: ZoneInfo, now: datetime) -> str:
    """For a list: "08.15 WIB" today, "30-11 16.55 WIB" another day."""
    if moment is None:
        return "-"
    local = moment.astimezone(zone)
    if local.date() == now.astimezone(zone).date():
        return local.strftime("%H.%M %Z")
    return local.strftime("%d-%m %H.%M %Z")


def time_parts(moment: datetime | None, zone: ZoneInfo) -> tuple[str, str] | None:
    """("01-12-2026", "08.15.02") for a table cell in two lines; the zone is in the caption."""
    if moment is None:
        return None
    local = moment.astimezone(zone)
    return local.strftime("%d-%m-%Y"), local.strftime("%H.%M.%S")


def month_text(month: str) -> str:
    """ "2026-11" -> "November 2026"."""
    year, number = month.split("-")
    return f"{MONTHS[int(number) - 1]} {year}"


def jinja_globals(zone: ZoneInfo, chart: OrgChart) -> dict[str, Any]:
    """The helpers every template may call."""
    return {
        "wib": lambda moment: office_time(moment, zone, named=True),
        "wib_short": lambda moment: short_time(moment, zone, datetime.now(UTC)),
        "wib_parts": lambda moment: time_parts(moment, zone),
        "month_text": month_text,
        "step_text": step_text,
        "service_text": service_text,
        "topic_text": topic_text,
        "channel_text": channel_text,
        "unit_text": lambda unit: unit_text(unit, chart),
        "holder_text": lambda role, seksi, bidang: holder_text(role, seksi, bidang, chart),
        "minutes_text": minutes_text,
        "summary": summary,
        "action_text": action_text,
        "answer_limit": ANSWER_LIMIT,
    }
