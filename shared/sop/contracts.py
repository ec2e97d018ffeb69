"""Every message BAMSOS reads or writes, as frozen pydantic models.

The names and fields of the public messages are fixed by the design brief: add fields, never rename.
`docs/contract/` holds the JSON Schema and AsyncAPI documents generated from this module
(`bamsos contract --write`); a test fails when they drift.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

# Characters in a message's text (an inquiry, a task's summary, a task result, a reply, a notice).
TEXT_LIMIT = 4000
# What an officer's answer may hold: the reply adds the case's ticket after it ("Nomor tiket: ...")
# and must still fit in TEXT_LIMIT.
ANSWER_LIMIT = TEXT_LIMIT - 100


class Channel(StrEnum):
    instagram = "instagram"
    facebook = "facebook"
    whatsapp = "whatsapp"
    x = "x"
    tiktok = "tiktok"
    telegram = "telegram"
    email = "email"
    web = "web"


class Topic(StrEnum):
    """The kind of question, which picks the SOP path."""

    informasi = "informasi"  # step 3: service information, admin answers
    kebijakan = "kebijakan"  # step 3 -> 4: policy, section head (then division head)
    kesalahan_data = "kesalahan_data"  # step 5: data-entry error, data-editing unit
    belum_terbit = "belum_terbit"  # step 6: document not yet signed/issued
    dokumen_terbit = "dokumen_terbit"  # step 7: issued document, pickup desk


class Service(StrEnum):
    ktp_el = "ktp_el"
    kk = "kk"
    kia = "kia"
    akta_kelahiran = "akta_kelahiran"
    akta_kematian = "akta_kematian"
    akta_perkawinan = "akta_perkawinan"
    akta_perceraian = "akta_perceraian"
    pindah_datang = "pindah_datang"
    lainnya = "lainnya"


class Role(StrEnum):
    pemohon = "pemohon"
    admin = "admin"
    kasi = "kasi"
    kabid = "kabid"
    editor = "editor"
    kadis = "kadis"
    pickup = "pickup"


class Outcome(StrEnum):
    answered = "answered"
    escalated = "escalated"
    done = "done"


Step = Annotated[int, Field(ge=1, le=8)]
NonEmpty = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]


class Message(BaseModel):
    """Base of every message: immutable, and unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(frozen=True, extra="forbid")


# --- public contract ------------------------------------------------------------------------


# A case's ticket number, read aloud and typed on a phone: BMS-<yymmdd>-<n, 4 digits or more>, the
# office day it was registered and its number that day (see shared/sop/tickets.py); an office may
# have its own prefix of 2-6 capitals instead of BMS (shared/sop/offices.py).
Ticket = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,6}-\d{6}-\d{4,}$")]


class MediaKind(StrEnum):
    """Non-text messages a chat platform delivers; the gateway keeps what was sent, never drops it."""

    image = "image"
    video = "video"
    document = "document"
    audio = "audio"
    sticker = "sticker"
    location = "location"
    contact = "contact"
    other = "other"


class Inquiry(Message):
    """A citizen's message, published by the chat connector to `bamsos.inbound`, `inquiry.<channel>`."""

    schema_: Literal["bamsos.inquiry/1"] = Field("bamsos.inquiry/1", alias="schema")
    id: NonEmpty = Field(description="Upstream id, unique per channel.")
    channel: Channel
    account: NonEmpty = Field(description="The citizen's social-media account name.")
    name: Annotated[str, StringConstraints(max_length=200)] | None = None
    sent_at: AwareDatetime = Field(description="When the citizen sent it, RFC 3339 with offset.")
    text: Annotated[str, StringConstraints(min_length=1, max_length=TEXT_LIMIT)]
    service: Service | None = None
    topic: Topic | None = None
    media_kind: MediaKind | None = Field(
        None,
        description="What the citizen sent besides text; `text` then holds its caption or a placeholder.",
    )
    media_id: Annotated[str, StringConstraints(max_length=500)] | None = Field(
        None, description="The platform's id of the media (image, document, voice...), for staff to fetch."
    )


class Task(Message):
    """Work for a unit (kind=task) or a breach notice (kind=notice), on `bamsos.tasks`."""

    schema_: Literal["bamsos.task/1"] = Field("bamsos.task/1", alias="schema")
    kind: Literal["task", "notice"]
    task_id: NonEmpty = Field(description="Opaque id; a result names it.")
    inquiry_id: NonEmpty
    step: Step
    role: Role
    seksi: Code | None = None
    bidang: Code | None = None
    service: Service | None
    topic: Topic | None
    summary: Annotated[str, StringConstraints(max_length=TEXT_LIMIT)]
    assigned_at: AwareDatetime
    due_at: AwareDatetime
    ticket: Ticket | None = Field(None, description="The case's ticket, as the citizen knows it.")


class TaskResult(Message):
    """What an officer did with a task, published by staff tools to `bamsos.events`, `task.result`."""

    schema_: Literal["bamsos.task-result/1"] = Field("bamsos.task-result/1", alias="schema")
    task_id: NonEmpty
    officer: NonEmpty = Field(description="The officer's name or initials: the control card's paraf.")
    outcome: Outcome
    text: Annotated[str, StringConstraints(max_length=TEXT_LIMIT)] | None = None
    at: AwareDatetime
    topic: Topic | None = None
    service: Service | None = None


class Reply(Message):
    """The answer to the citizen, on `bamsos.outbound`, `reply.<channel>`. Exactly one per inquiry."""

    schema_: Literal["bamsos.reply/1"] = Field("bamsos.reply/1", alias="schema")
    reply_id: NonEmpty
    inquiry_id: NonEmpty
    in_reply_to: NonEmpty = Field(description="The upstream id of the inquiry.")
    channel: Channel
    account: NonEmpty
    text: Annotated[str, StringConstraints(min_length=1, max_length=TEXT_LIMIT)]
    created_at: AwareDatetime
    ticket: Ticket | None = Field(None, description="The case's ticket number, also in the text.")


class NoticeKind(StrEnum):
    acknowledged = "acknowledged"  # the question was received, with its ticket
    status = "status"  # where the case stands, asked by chat
    survey = "survey"  # how was the service (SKM), after the answer was delivered
    thanks = "thanks"  # for the rating
    unknown_ticket = "unknown_ticket"  # a status request for no case of this account
    issued = "issued"  # the document a case waited for was issued (the daily document import)


class CitizenNotice(Message):
    """A message to a citizen that is not the SOP's answer, on `bamsos.outbound`, `notice.<channel>`.

    The one `reply.<channel>` per inquiry stays the answer, and step 8 is timed on it alone.
    """

    schema_: Literal["bamsos.citizen-notice/1"] = Field("bamsos.citizen-notice/1", alias="schema")
    notice_id: NonEmpty
    inquiry_id: NonEmpty | None = Field(description="The case meant; null when none is (unknown_ticket).")
    ticket: Ticket | None
    kind: NoticeKind
    channel: Channel
    account: NonEmpty
    text: Annotated[str, StringConstraints(min_length=1, max_length=TEXT_LIMIT)]
    created_at: AwareDatetime


class Receipt(Message):
    """Delivery receipt from the connector (optional), on `bamsos.inbound`, `receipt.<channel>`."""

    schema_: Literal["bamsos.receipt/1"] = Field("bamsos.receipt/1", alias="schema")
    reply_id: NonEmpty
    delivered_at: AwareDatetime


# --- internal events on `bamsos.events` (ids and codes only, never personal data) -----------


class InquiryRegistered(Message):
    """Intake registered an inquiry (step 2 done). Routing key `inquiry.registered`."""

    schema_: Literal["bamsos.inquiry-registered/1"] = Field("bamsos.inquiry-registered/1", alias="schema")
    inquiry_id: NonEmpty
    channel: Channel
    service: Service | None
    topic: Topic | None
    registered_at: AwareDatetime
    ticket: Ticket | None = None


class CaseHandover(Message):
    """The router hands a case to a bridge's unit. Routing key `case.handover.<role>`."""

    schema_: Literal["bamsos.case-handover/1"] = Field("bamsos.case-handover/1", alias="schema")
    inquiry_id: NonEmpty
    role: Literal[Role.editor, Role.pickup]
    step: Step
    handed_at: AwareDatetime
    from_role: Role | None = Field(
        None, description="Who handed the case over when an officer re-routed it here (else the admin)."
    )
    from_task_id: NonEmpty | None = Field(
        None, description="The task whose result re-routed the case here; null on the case's first way."
    )


class CaseResolved(Message):
    """A bridge's unit finished its step; the router sends the reply. Key `case.resolved`."""

    schema_: Literal["bamsos.case-resolved/1"] = Field("bamsos.case-resolved/1", alias="schema")
    inquiry_id: NonEmpty
    task_id: NonEmpty
    text: Annotated[str, StringConstraints(min_length=1, max_length=TEXT_LIMIT)]
    at: AwareDatetime


class CaseRerouted(Message):
    """A bridge's unit sent its case back to a head (the pickup desk found the document not yet
    issued: step 7 -> 6); the router hands it on. Routing key `case.rerouted`."""

    schema_: Literal["bamsos.case-rerouted/1"] = Field("bamsos.case-rerouted/1", alias="schema")
    inquiry_id: NonEmpty
    task_id: NonEmpty = Field(description="The unit's task the re-route closed.")
    step: Step = Field(description="The step the unit held.")
    role: Literal[Role.editor, Role.pickup]
    topic: Topic = Field(description="What the unit found, which picks the next step.")
    service: Service | None = Field(None, description="The service the unit set, if any.")
    at: AwareDatetime


class CaseReplied(Message):
    """The reply went out (step 8 started). Routing key `case.replied`."""

    schema_: Literal["bamsos.case-replied/1"] = Field("bamsos.case-replied/1", alias="schema")
    inquiry_id: NonEmpty
    reply_id: NonEmpty
    channel: Channel
    topic: Topic | None
    path: Annotated[str, StringConstraints(pattern=r"^(none|[3-7](-[3-7])*)$")] = Field(
        description='The SOP path the case took: its steps between 3 and 7, e.g. "3", "3-4", "5".'
    )
    received_at: AwareDatetime
    replied_at: AwareDatetime


PUBLIC_MESSAGES: tuple[type[Message], ...] = (Inquiry, Task, TaskResult, Reply, CitizenNotice, Receipt)
INTERNAL_MESSAGES: tuple[type[Message], ...] = (
    InquiryRegistered,
    CaseHandover,
    CaseResolved,
    CaseReplied,
    CaseRerouted,
)
ALL_MESSAGES = PUBLIC_MESSAGES + INTERNAL_MESSAGES
BY_SCHEMA: dict[str, type[Message]] = {m.model_fields["schema_"].default: m for m in ALL_MESSAGES}


def schema_name(model: type[Message]) -> str:
    """The `schema` value a model's messages carry, e.g. `bamsos.inquiry/1`."""
    return str(model.model_fields["schema_"].default)


def utc(moment: datetime) -> datetime:
    """The same instant in UTC, as the database and the clocks keep it."""
    return moment.astimezone(UTC)
