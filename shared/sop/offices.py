"""The offices a deployment serves: one office file (or folder) each in `BAMSOS_OFFICES_DIR`, or,
without that setting, the one office today's settings describe.

An office is `<code>.yaml`, or a folder `<code>/` holding `kantor.yaml` beside its chart and
templates; the code (lower case, digits, `_`) names it everywhere. Paths in the file are relative to
its folder. Every problem is reported with the file and the field, all at once
(`bamsos kantor periksa`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError, field_validator

from shared.runtime.errors import ConfigError
from shared.runtime.settings import Settings
from shared.sop.citizen import load_templates
from shared.sop.hours import DEFAULT_HOURS, parse_hours, zone_named
from shared.sop.office import DEFAULT_TICKET_PREFIX, Channels, Letterhead, Office, office_from_settings
from shared.sop.orgchart import load_chart

OFFICE_FILE = "kantor.yaml"  # inside an office's folder
CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class Kop(BaseModel):
    """The kop surat and who signs the laporan (BAMSOS_REPORT_* for a deployment of one office)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    pemerintah: Text
    kantor: Text
    alamat: str = ""
    nomor_sop: Text
    kota: Text
    jabatan_kepala: Text
    nama_kepala: str = ""
    nip_kepala: str = ""


class Kanal(BaseModel):
    """The office's channel accounts: WhatsApp phone_number_id, Telegram bot, Facebook page and
    Instagram account ids."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    whatsapp_phone_number_id: Text | None = None
    telegram_bot: Text | None = None
    facebook_page: Text | None = None
    instagram_account: Text | None = None


class OfficeFile(BaseModel):
    """An office file as written; `nama` and `sebutan` name the office over its chart's."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    nama: Text
    sebutan: Text | None = None
    kop: Kop
    bagan: Path | None = None  # the organisation chart; the packaged one if unset
    zona_waktu: str = "WIB"
    jam_kerja: str = DEFAULT_HOURS
    tanggal_tutup: list[date] = []
    awalan_tiket: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,6}$")] = DEFAULT_TICKET_PREFIX
    templat_pemberitahuan: Path | None = None
    templat_jawaban: Path | None = None
    kanal: Kanal = Kanal()

    @field_validator("zona_waktu")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zone_named(value)
        except ConfigError as e:  # as a ValueError, pydantic names the field
            raise ValueError(str(e)) from None
        return value

    @field_validator("jam_kerja")
    @classmethod
    def _readable_hours(cls, value: str) -> str:
        try:
            parse_hours(value)
        except ConfigError as e:
            raise ValueError(str(e)) from None
        return value


def office_files(directory: Path) -> dict[str, Path]:
    """Each office's code -> its file, in code order."""
    if not directory.is_dir():
        raise ConfigError(f"offices {directory}: not a directory")
    found: dict[str, Path] = {}
    for entry in sorted(directory.iterdir()):
        if entry.is_dir() and (entry / OFFICE_FILE).is_file():
            found[entry.name] = entry / OFFICE_FILE
        elif entry.is_file() and entry.suffix in (".yaml", ".yml"):
            found[entry.stem] = entry
    return found


def read_office(code: str, path: Path) -> Office:
    """One office from its file; ConfigError naming the file and each field that is wrong."""
    if not CODE.match(code):
        raise ConfigError(
            f"{path}: the office code '{code}' (its file's name) must be lower case, digits and _"
        )
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        spec = OfficeFile.model_validate(raw)
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"{path}: cannot read it: {e}") from e
    except ValidationError as e:
        lines = [
            f"{path}: {'.'.join(str(p) for p in err['loc']) or '(top)'}: {_message(err['msg'])}"
            for err in e.errors(include_input=False, include_url=False)
        ]
        raise ConfigError("\n".join(lines)) from e
    return _built(code, path, spec)


def _message(msg: str) -> str:
    return msg.removeprefix("Value error, ")


def _built(code: str, path: Path, spec: OfficeFile) -> Office:
    def beside(field: str, file: Path | None) -> Path | None:
        if file is None:
            return None
        full = file if file.is_absolute() else path.parent / file
        if not full.is_file():
            raise ConfigError(f"{path}: {field}: no such file {full}")
        return full

    chart_file = beside("bagan", spec.bagan)
    notices = beside("templat_pemberitahuan", spec.templat_pemberitahuan)
    answers = beside("templat_jawaban", spec.templat_jawaban)
    try:
        chart = load_chart(chart_file)
    except ConfigError as e:
        raise ConfigError(f"{path}: bagan: {e}") from e
    try:
        load_templates(notices)
    except ConfigError as e:
        raise ConfigError(f"{path}: templat_pemberitahuan: {e}") from e
    k = spec.kop
    return Office(
        code=code,
        chart=chart.model_copy(update={"kantor": spec.nama, "sebutan": spec.sebutan or chart.sebutan}),
        letterhead=Letterhead(
            k.pemerintah,
            k.kantor,
            k.alamat,
            k.nomor_sop,
            k.kota,
            k.jabatan_kepala,
            k.nama_kepala,
            k.nip_kepala,
        ),
        zone=zone_named(spec.zona_waktu),
        hours=parse_hours(spec.jam_kerja),
        closed=frozenset(spec.tanggal_tutup),
        ticket_prefix=spec.awalan_tiket,
        notice_templates=notices,
        answer_templates=answers,
        channels=Channels(**spec.kanal.model_dump()),
        source=path,
    )


def load_offices(directory: Path) -> list[Office]:
    """Every office in `directory`, checked one by one and against each other (no ticket prefix or
    channel account shared by two); ConfigError listing every problem."""
    offices: list[Office] = []
    problems: list[str] = []
    for code, path in office_files(directory).items():
        try:
            offices.append(read_office(code, path))
        except ConfigError as e:
            problems.append(str(e))
    problems += _clashes(offices)
    if problems:
        raise ConfigError("\n".join(problems))
    if not offices:
        raise ConfigError(f"offices {directory}: no office file (<code>.yaml or <code>/{OFFICE_FILE})")
    return offices


def _clashes(offices: list[Office]) -> list[str]:
    """What two offices may not share: a ticket series, a channel account."""
    owners: dict[tuple[str, str], list[Office]] = defaultdict(list)
    for office in offices:
        owners["awalan_tiket", office.ticket_prefix].append(office)
        for channel, account in office.channels.accounts().items():
            owners[f"kanal.{channel}", account].append(office)
    return [
        f"{first.source}: {field}: '{value}' is also {', '.join(str(o.source) for o in others)}'s"
        for (field, value), (first, *others) in owners.items()
        if others
    ]


def configured_offices(settings: Settings) -> list[Office]:
    """The offices in `BAMSOS_OFFICES_DIR`, or the one office the settings describe."""
    if settings.offices_dir is None:
        return [office_from_settings(settings)]
    return load_offices(settings.offices_dir)


def the_office(settings: Settings) -> Office:
    """The office this deployment serves. Serving several needs each message to find its office
    (issue 23, item 3); until then a deployment with several refuses to start, saying so."""
    offices = configured_offices(settings)
    if len(offices) > 1:
        codes = ", ".join(o.code for o in offices)
        raise ConfigError(
            f"offices {settings.offices_dir}: {len(offices)} offices ({codes}); this version serves"
            " one office per deployment (routing messages to their office is not built yet)"
        )
    return offices[0]
