"""An office (kantor): everything that makes one Dinas's BAMSOS its own.

Its name and kop surat, organisation chart, time zone, office hours and closed dates, ticket prefix,
the notices' and answers' templates, and the channel accounts that receive its citizens' messages.
A deployment of one office builds it from today's settings (`office_from_settings`: BAMSOS_TIMEZONE,
BAMSOS_OFFICE_HOURS, BAMSOS_REPORT_*, …); offices written as files (`BAMSOS_OFFICES_DIR`) are read
by shared/sop/offices.py. Everything that needs the office takes this object, built once at start.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from shared.runtime.settings import Settings
from shared.sop.hours import WeekHours, parse_hours, zone_named
from shared.sop.orgchart import OrgChart, load_chart

# The office a deployment of one office has when no office file names it.
DEFAULT_CODE = "utama"
# Tickets read BMS-<yymmdd>-<nnnn> unless an office has its own prefix.
DEFAULT_TICKET_PREFIX = "BMS"


@dataclass(frozen=True)
class Letterhead:
    """The laporan's kop surat and signature block; an empty name or NIP leaves a dotted line."""

    government: str
    name: str
    address: str
    sop_number: str
    city: str
    head_title: str
    head_name: str = ""
    head_nip: str = ""


@dataclass(frozen=True)
class Channels:
    """The accounts on which the office's citizens write to it; None: not one of its channels."""

    whatsapp_phone_number_id: str | None = None
    telegram_bot: str | None = None
    facebook_page: str | None = None
    instagram_account: str | None = None

    def accounts(self) -> dict[str, str]:
        """Each account set, by its channel: what must not belong to two offices."""
        named = {
            "whatsapp_phone_number_id": self.whatsapp_phone_number_id,
            "telegram_bot": self.telegram_bot,
            "facebook_page": self.facebook_page,
            "instagram_account": self.instagram_account,
        }
        return {k: v for k, v in named.items() if v}


@dataclass(frozen=True)
class Office:
    """One office, checked: its chart, calendar, letterhead, templates and channels."""

    code: str
    chart: OrgChart
    letterhead: Letterhead
    zone: ZoneInfo
    hours: WeekHours
    closed: frozenset[date] = frozenset()
    ticket_prefix: str = DEFAULT_TICKET_PREFIX
    # The notices' and answers' template files; None: the packaged ones.
    notice_templates: Path | None = None
    answer_templates: Path | None = None
    channels: Channels = field(default_factory=Channels)
    # The file the office was read from; None: built from the settings.
    source: Path | None = None

    @property
    def name(self) -> str:
        return self.chart.kantor

    def unit_names(self) -> dict[str, str]:
        """Seksi and bidang codes -> their names in the chart ("Seksi Identitas Penduduk")."""
        return {code: unit.nama for code, unit in (self.chart.seksi | self.chart.bidang).items()}


def office_from_settings(settings: Settings) -> Office:
    """The one office of a deployment without office files, exactly as the settings describe it."""
    return Office(
        code=DEFAULT_CODE,
        chart=load_chart(settings.org_chart),
        letterhead=Letterhead(
            government=settings.report_government,
            name=settings.report_office,
            address=settings.report_address,
            sop_number=settings.report_sop_number,
            city=settings.report_city,
            head_title=settings.report_head_title,
            head_name=settings.report_head_name,
            head_nip=settings.report_head_nip,
        ),
        zone=zone_named(settings.timezone),
        hours=parse_hours(settings.office_hours),
        closed=frozenset(settings.closed_dates),
        notice_templates=settings.notice_templates,
        channels=Channels(whatsapp_phone_number_id=settings.whatsapp_phone_number_id),
    )
