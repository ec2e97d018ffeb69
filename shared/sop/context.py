"""What a pipeline handler works with: the open transaction, the SOP clock, the org chart, the
SOP's metrics and the classifier, built once at a service's start from the settings.

Every service's spec names `pipeline_context` as its context; tests build a `HandlerSetup` of
their own (a fixed clock, a fresh registry) and run a handler with `shared/runtime/worker/harness.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry
from sqlalchemy.engine import Connection

from shared.runtime.settings import Settings
from shared.runtime.worker import ContextFactory
from shared.runtime.worker.writes import Writes
from shared.sop.citizen import Templates, load_templates
from shared.sop.classify import Classifier, load_rules
from shared.sop.clock import SopClock
from shared.sop.documents import DocumentRegistry, ExportRegistry
from shared.sop.metrics import SopMetrics, build_sop_metrics
from shared.sop.office import DEFAULT_TICKET_PREFIX, Office
from shared.sop.office_calendar import make_clock
from shared.sop.offices import the_office
from shared.sop.orgchart import OrgChart


@dataclass
class Context:
    """What a handler gets besides its message."""

    db: Connection
    clock: SopClock
    chart: OrgChart
    metrics: SopMetrics
    classifier: Classifier
    # Who published the message (its AMQP user_id, checked by RabbitMQ), and when a unit's results
    # must come from that unit's own broker user, the prefix of those users' names (see
    # services/generators/access.py); None: not enforced (a single-user stack).
    sender: str | None = None
    unit_user_prefix: str | None = None
    citizen: CitizenSide = field(default_factory=lambda: CitizenSide())
    # Where citizens' documents stand by registration number (shared/sop/documents.py), read
    # through `db`; None: not consulted.
    documents: DocumentRegistry | None = None
    # Rows to insert and update, written together at the end of the batch (worker/writes.py).
    writes: Writes = field(default_factory=Writes)
    # Rows the batch read ahead for its messages (`Route.preload`), by a key the reader knows.
    preloaded: dict[Any, Any] = field(default_factory=dict)
    after_commit: list[Callable[[], None]] = field(default_factory=list)

    def on_commit(self, action: Callable[[], None]) -> None:
        """Run `action` (e.g. a metric update) only once the transaction has committed."""
        self.after_commit.append(action)


@dataclass(frozen=True)
class CitizenSide:
    """How the pipeline speaks to citizens besides the answer (settings BAMSOS_ACKNOWLEDGE,
    BAMSOS_SURVEY_HOURS, BAMSOS_NOTICE_TEMPLATES; the templates' common fields from the org chart,
    BAMSOS_RETENTION_DAYS and BAMSOS_PRIVACY_CONTACT)."""

    templates: Templates = field(default_factory=load_templates)
    acknowledge: bool = True
    survey_hours: float = 24.0
    # The office's ticket series: what it numbers new cases with and reads in "cek status".
    ticket_prefix: str = DEFAULT_TICKET_PREFIX


@dataclass(frozen=True)
class HandlerSetup:
    """The office's setup every handler of a service shares, built once at its start.

    One office's: its clock, chart and citizen side. Serving several offices (issue 23, item 3)
    makes this a setup per office, chosen for each message by its `office` code.
    """

    clock: SopClock
    chart: OrgChart
    metrics: SopMetrics
    classifier: Classifier
    unit_user_prefix: str | None = None
    citizen: CitizenSide = field(default_factory=CitizenSide)
    # The document registry over a handler's connection, made for each transaction; None: none.
    documents: Callable[[Connection], DocumentRegistry] | None = None

    def context(self, db: Connection, sender: str | None) -> Context:
        return Context(
            db=db,
            clock=self.clock,
            chart=self.chart,
            metrics=self.metrics,
            classifier=self.classifier,
            sender=sender,
            unit_user_prefix=self.unit_user_prefix,
            citizen=self.citizen,
            documents=self.documents(db) if self.documents else None,
        )


def citizen_templates(settings: Settings, office: Office) -> Templates:
    """The office's notices' texts with its name, the retention and privacy contact filled in."""
    return load_templates(office.notice_templates).with_common(
        kantor=office.chart.name_for_citizens,
        retention_days=settings.retention_days,
        contact=settings.privacy_contact,
    )


def pipeline_context(settings: Settings, registry: CollectorRegistry) -> ContextFactory[Context]:
    """The context factory of every pipeline service, from the settings."""
    office = the_office(settings)
    setup = HandlerSetup(
        clock=make_clock(settings, office),
        chart=office.chart,
        metrics=build_sop_metrics(registry),
        classifier=Classifier(load_rules(settings.classify_rules), settings.triage_threshold),
        unit_user_prefix=settings.broker_user_prefix if settings.unit_users else None,
        citizen=CitizenSide(
            templates=citizen_templates(settings, office),
            acknowledge=settings.acknowledge,
            survey_hours=settings.survey_hours,
            ticket_prefix=office.ticket_prefix,
        ),
        documents=ExportRegistry,
    )
    setup.metrics.start_at_zero()
    return setup.context
