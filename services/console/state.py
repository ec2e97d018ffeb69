"""The console's state: what every page reads, built once at start and kept on the app
(`request.app.state.console`)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from starlette.requests import Request
from starlette.templating import Jinja2Templates

from services.console import views
from services.console.answers import AnswerBook, load_answers
from services.console.metrics import ConsoleMetrics, build_console_metrics
from services.console.saran import build_suggester
from services.console.security import LoginLimiter
from shared.privacy.access_log import AccessLog
from shared.runtime.settings import Settings
from shared.sop.clock import SopClock
from shared.sop.office_calendar import make_clock
from shared.sop.offices import the_office
from shared.sop.orgchart import OrgChart
from shared.staff.saran import Suggester
from shared.staff.saran.usage import SuggestionMetrics, build_suggestion_metrics

HERE = Path(__file__).parent


@dataclass
class Console:
    """What the pages work with."""

    settings: Settings
    engine: Engine
    chart: OrgChart
    clock: SopClock
    answers: AnswerBook
    metrics: ConsoleMetrics
    secret: str
    templates: Jinja2Templates
    access_log: AccessLog
    suggester: Suggester
    suggestion_metrics: SuggestionMetrics
    poll_seconds: float = 1.0
    limiter: LoginLimiter = field(default_factory=LoginLimiter)

    @property
    def amqp_url(self) -> str:
        """The broker URL every unit's takes and results go through: `BAMSOS_AMQP_URL`, one user
        for all units (`console` in deploy/), as the router expects: it counts the console's
        results for any unit, since the console checks the officer's unit itself."""
        return self.settings.amqp_url


def console_engine(database_url: str) -> Engine:
    """A pool for a web server: more connections than a worker's, checked before use (a console
    sits idle at night and its connections may have been closed)."""
    return sa.create_engine(database_url, pool_size=5, max_overflow=10, pool_pre_ping=True)


def make_templates(clock: SopClock, chart: OrgChart) -> Jinja2Templates:
    """The pages' templates: autoescaped, and an unknown name is an error, not an empty string."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(views.jinja_globals(clock.zone, chart))
    return Jinja2Templates(env=env)


def build_console(
    settings: Settings,
    *,
    secret: str | None = None,
    metrics: ConsoleMetrics | None = None,
    poll_seconds: float = 1.0,
) -> Console:
    # No access log, no console: every look at a case must be recorded (ConfigError without
    # BAMSOS_PDP_KEY, and `bamsos run console` refuses to start).
    access_log = AccessLog.from_settings(settings)
    metrics = metrics or build_console_metrics()
    metrics.start_at_zero()
    office = the_office(settings)
    clock, chart = make_clock(settings, office), office.chart
    engine, answers = console_engine(settings.database_url), load_answers(office.answer_templates)
    return Console(
        settings=settings,
        engine=engine,
        chart=chart,
        clock=clock,
        answers=answers,
        metrics=metrics,
        suggester=build_suggester(settings, engine, answers),
        suggestion_metrics=build_suggestion_metrics(metrics.registry),
        secret=secret or secrets.token_urlsafe(32),
        templates=make_templates(clock, chart),
        access_log=access_log,
        poll_seconds=poll_seconds,
    )


def console_of(request: Request) -> Console:
    """The console the request's app serves."""
    console: Console = request.app.state.console
    return console
