"""The console's pages: log in, the queue (live), a case and its forms, the control card, breach
notices, the day's summary, the laporan.

Every page but `/masuk` needs a logged-in officer, read again from the database on each request (a
deactivated officer is out at once); a queue or a case of a unit that is not theirs is 403, by link
or by typed URL alike. Every POST form carries the session's CSRF token (`security`). What an
officer does goes through `shared.staff.actions` with their own name from their account, and is
logged as who, which task, what — never the citizen's text or account.
"""

from __future__ import annotations

import re
import secrets
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jinja2
import pika.exceptions
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sse_starlette import EventSourceResponse
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from services.console import live, queries, views
from services.console.answers import AnswerBook, load_answers
from services.console.metrics import ACTIONS, ConsoleMetrics, build_console_metrics
from services.console.security import CSRF_FIELD, LoginLimiter, SecurityHeaders, csrf_ok, csrf_token
from shared.laporan import Office, Period, write_laporan
from shared.runtime import logs
from shared.runtime.settings import Settings
from shared.sop.clock import SopClock
from shared.sop.contracts import Outcome, Service, Topic
from shared.sop.office_calendar import make_clock
from shared.sop.orgchart import OrgChart, load_chart
from shared.staff.actions import (
    Refused,
    StaffTask,
    control_card,
    find_case,
    find_task,
    office_time,
    open_tasks,
    queue_view,
    reroute,
    send_result,
    take_next,
)
from shared.staff.officers import Officer, authenticate, find_officer

log = logs.get("bamsos.console")
HERE = Path(__file__).parent
SESSION_COOKIE = "bamsos_konsol"
SESSION_HOURS = 12  # a working day; then log in again
MAX_BODY_BYTES = 64 * 1024
MAX_NOTICES_READ = 100  # breach notices read in front of a case by one "Ambil"
_LAPORAN = re.compile(r"^(\d{4}-\d{2})\.(pdf|xlsx)$")


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
    poll_seconds: float = 1.0
    limiter: LoginLimiter = field(default_factory=LoginLimiter)

    def amqp_url(self, unit: str) -> str:
        """The broker URL a unit's takes and results go through: `BAMSOS_AMQP_URL`, as the terminal
        does (the settings name no per-unit broker users' passwords)."""
        return self.settings.amqp_url


def console_engine(database_url: str) -> Engine:
    """A pool for a web server: more connections than a worker's, checked before use (a console
    sits idle at night and its connections may have been closed)."""
    return sa.create_engine(database_url, pool_size=5, max_overflow=10, pool_pre_ping=True)


def build_console(
    settings: Settings,
    *,
    secret: str | None = None,
    metrics: ConsoleMetrics | None = None,
    poll_seconds: float = 1.0,
) -> Console:
    metrics = metrics or build_console_metrics()
    metrics.start_at_zero()
    return Console(
        settings=settings,
        engine=console_engine(settings.database_url),
        chart=load_chart(settings.org_chart),
        clock=make_clock(settings),
        answers=load_answers(),
        metrics=metrics,
        secret=secret or secrets.token_urlsafe(32),
        poll_seconds=poll_seconds,
    )


class LoginNeeded(Exception):
    """No officer is logged in: to `/masuk`."""


class Denied(Exception):
    """Not this officer's unit (or not a head for a head's page): 403."""


class Missing(Exception):
    """No such task, case or page: 404."""


class BadForm(Exception):
    """A POST form without the session's CSRF token: 403, nothing done."""


# What an officer holding a task may do with it, by who holds it and the step (the router and the
# bridges refuse anything else; the console does not offer it).
def allowed_actions(task: StaffTask) -> tuple[str, ...]:
    role, step = task.to_role, task.step
    if role == "admin":
        return ("jawab", "eskalasi")
    if role == "kasi":
        return ("jawab", "eskalasi", "alihkan") if step == 6 else ("jawab", "eskalasi")
    if role == "kabid":
        return ("jawab", "alihkan") if step == 6 else ("jawab",)
    if role == "editor":
        return ("selesai",)
    if role == "pickup":
        return ("selesai", "alihkan")
    return ()


def create_app(console: Console) -> Starlette:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(views.jinja_globals(console.clock.zone, console.chart))
    templates = Jinja2Templates(env=env)
    chart, engine, zone = console.chart, console.engine, console.clock.zone

    # --- helpers ----------------------------------------------------------------------------

    async def officer_of(request: Request) -> Officer | None:
        username = request.session.get("u")
        if not isinstance(username, str):
            return None
        officer = await run_in_threadpool(find_officer, engine, username)
        if officer is None:
            request.session.clear()  # deactivated since: out
        return officer

    async def need(request: Request) -> Officer:
        officer = await officer_of(request)
        if officer is None:
            raise LoginNeeded
        return officer

    def need_unit(officer: Officer, unit: str) -> None:
        if not officer.holds(unit):
            raise Denied(f"Antrean {unit} bukan unit Anda.")

    def need_head(officer: Officer) -> list[str]:
        units = queries.heads(officer)
        if not units:
            raise Denied("Halaman ini untuk kepala seksi, kepala bidang dan kepala dinas.")
        return units

    async def checked_form(request: Request) -> FormData:
        form = await request.form(max_files=0, max_fields=20)
        if not csrf_ok(request.session, form.get(CSRF_FIELD)):
            raise BadForm
        return form

    def flash(request: Request, kind: str, text: str) -> None:
        request.session["flash"] = [*request.session.get("flash", []), [kind, text]][-5:]

    def nav(officer: Officer | None, path: str) -> list[tuple[str, str, bool]]:
        if officer is None:
            return []
        links = [(f"/antrean/{u}", f"Antrean {views.unit_text(u, chart)}") for u in officer.units]
        if queries.heads(officer):
            links.append(("/peringatan", "Peringatan"))
        links.append(("/kartu", "Kartu kendali"))
        if queries.heads(officer):
            links.append(("/ringkasan", "Ringkasan"))
        return [(href, label, path == href or path.startswith(href + "/")) for href, label in links]

    def render(
        request: Request,
        name: str,
        officer: Officer | None,
        status: int = 200,
        **context: Any,
    ) -> Response:
        flashes = request.session.pop("flash", []) if "flash" in request.session else []
        base = {
            "officer": officer,
            "csrf": csrf_token(request.session),
            "csrf_field": CSRF_FIELD,
            "flashes": flashes,
            "nav": nav(officer, request.url.path),
            "title": "",
        }
        return templates.TemplateResponse(request, name, base | context, status_code=status)

    def landing(officer: Officer) -> RedirectResponse:
        return RedirectResponse(f"/antrean/{officer.units[0]}", status_code=303)

    def client_of(request: Request) -> str:
        return request.client.host if request.client else "-"

    # --- log in, log out ------------------------------------------------------------------

    async def home(request: Request) -> Response:
        officer = await officer_of(request)
        return landing(officer) if officer else RedirectResponse("/masuk", status_code=303)

    async def login_form(request: Request) -> Response:
        officer = await officer_of(request)
        if officer is not None:
            return landing(officer)
        return render(request, "masuk.html", None, title="Masuk", error=None, username="")

    async def login(request: Request) -> Response:
        form = await checked_form(request)
        username = str(form.get("username", "")).strip().lower()[:40]
        password = str(form.get("password", ""))[:1024]
        key = (username, client_of(request))
        if console.limiter.blocked(key):
            console.metrics.logins.labels("limited").inc()
            log.warning("login_limited", user=username, client=key[1])
            return render(
                request,
                "galat.html",
                None,
                status=429,
                title="Terlalu banyak percobaan",
                message="Terlalu banyak percobaan masuk yang gagal untuk nama pengguna ini. "
                "Tunggu beberapa menit, lalu coba lagi.",
            )
        officer = await run_in_threadpool(authenticate, engine, username, password) if username else None
        if officer is None:
            console.limiter.fail(key)
            console.metrics.logins.labels("bad").inc()
            log.warning("login_failed", user=username, client=key[1])
            return render(
                request,
                "masuk.html",
                None,
                status=401,
                title="Masuk",
                error="Nama pengguna atau kata sandi salah.",
                username=username,
            )
        console.limiter.reset(key)
        request.session.clear()  # a new session: a new CSRF token, nothing carried over
        request.session["u"] = officer.username
        csrf_token(request.session)
        console.metrics.logins.labels("ok").inc()
        log.info("login", user=officer.username, client=key[1])
        return landing(officer)

    async def logout(request: Request) -> Response:
        await checked_form(request)
        username = request.session.get("u")
        request.session.clear()
        if username:
            log.info("logout", user=username)
        flash(request, "info", "Anda sudah keluar.")
        return RedirectResponse("/masuk", status_code=303)

    # --- the queue ----------------------------------------------------------------------------

    def queue_items(unit: str) -> dict[str, Any]:
        tasks = open_tasks(engine, unit, chart)
        return live.queue_context(console, tasks, datetime.now(UTC))

    async def queue_page(request: Request) -> Response:
        officer = await need(request)
        unit = request.path_params["unit"]
        need_unit(officer, unit)
        items = await run_in_threadpool(queue_items, unit)
        unread = await run_in_threadpool(unread_notices, unit, len(items["waiting"]))
        return render(
            request,
            "antrean.html",
            officer,
            title=f"Antrean {views.unit_text(unit, chart)}",
            unit=unit,
            me=officer.name,
            unread=unread,
            **items,
        )

    def unread_notices(unit: str, waiting_tasks: int) -> int | None:
        """Breach notices waiting on the unit's queue: its messages less its waiting tasks."""
        try:
            view = queue_view(engine, console.amqp_url(unit), unit, chart)
        except (pika.exceptions.AMQPError, Refused):
            return None
        return max(0, view.waiting - waiting_tasks)

    def take(unit: str, officer: Officer) -> tuple[StaffTask | None, list[str]]:
        """The next case (notices in front of it are read on the way), and the notices read."""
        read: list[str] = []
        for _ in range(MAX_NOTICES_READ):
            task = take_next(engine, console.amqp_url(unit), unit, officer.name, chart)
            if task is None:
                return None, read
            if task.kind == "notice":
                read.append(task.summary)
                continue
            return find_task(engine, task.task_id), read
        return None, read

    async def take_page(request: Request) -> Response:
        officer = await need(request)
        unit = request.path_params["unit"]
        need_unit(officer, unit)
        await checked_form(request)
        try:
            task, read = await run_in_threadpool(take, unit, officer)
        except Refused as e:
            console.metrics.actions.labels("ambil", "refused").inc()
            flash(request, "galat", str(e))
            return RedirectResponse(f"/antrean/{unit}", status_code=303)
        if read:
            log.info("notices_read", user=officer.username, unit=unit, count=len(read))
            for text in read[:3]:
                flash(request, "peringatan", text)
            if len(read) > 3:
                flash(request, "peringatan", f"… dan {len(read) - 3} peringatan lain (lihat Peringatan).")
        if task is None:
            flash(request, "info", "Antrean kosong: tidak ada kasus untuk diambil.")
            return RedirectResponse(f"/antrean/{unit}", status_code=303)
        console.metrics.actions.labels("ambil", "ok").inc()
        log.info("take", user=officer.username, unit=unit, task_id=task.task_id)
        return RedirectResponse(f"/kasus/{task.task_id}", status_code=303)

    async def queue_live(request: Request) -> Response:
        officer = await officer_of(request)
        if officer is None:
            return PlainTextResponse("masuk dulu", status_code=401)
        unit = request.path_params["unit"]
        if not officer.holds(unit):
            console.metrics.denied.labels("forbidden").inc()
            return PlainTextResponse("bukan unit Anda", status_code=403)
        template = env.get_template("_daftar.html")
        stream = live.queue_stream(console, template, officer.username, officer.name, unit)
        return EventSourceResponse(stream, ping=15, headers={"Cache-Control": "no-store"})

    # --- a case -------------------------------------------------------------------------------

    async def task_for(officer: Officer, task_id: str) -> StaffTask:
        task = await run_in_threadpool(find_task, engine, task_id)
        if task is None:
            raise Missing(f"Tugas {task_id} tidak ditemukan.")
        if not officer.holds(task.unit):
            raise Denied("Kasus ini milik unit lain.")
        return task

    def case_page(
        request: Request,
        officer: Officer,
        task: StaffTask,
        *,
        status: int = 200,
        error: str | None = None,
        text: str = "",
    ) -> Response:
        answers = console.answers.for_service(task.service)
        mine = task.done_at is None and task.taken_at is not None and task.officer == officer.name
        if not text and mine:
            picked = request.query_params.get("templat", "")
            if picked.isdigit() and int(picked) < len(answers):
                text = answers[int(picked)][1].teks
        groups: dict[str, list[tuple[int, Any]]] = {}
        for n, (group, answer) in enumerate(answers):
            groups.setdefault(group, []).append((n, answer))
        now = datetime.now(UTC)
        return render(
            request,
            "kasus.html",
            officer,
            status=status,
            title=f"Kasus {task.ticket or task.task_id}",
            task=task,
            mine=mine,
            actions=allowed_actions(task) if mine else (),
            clock=None
            if task.done_at
            else views.step_clock(console.clock, task.due_at, task.standard_seconds, now),
            answers=answers,
            answer_groups=list(groups.items()),
            answers_data=[{"judul": a.judul, "dasar": a.dasar, "teks": a.teks} for _, a in answers],
            topics=[(t.value, views.topic_text(t.value)) for t in Topic],
            services=[(s.value, views.service_text(s.value)) for s in Service],
            error=error,
            text=text,
        )

    async def case_view(request: Request) -> Response:
        officer = await need(request)
        task = await task_for(officer, request.path_params["task_id"])
        return case_page(request, officer, task)

    async def case_action(request: Request) -> Response:
        officer = await need(request)
        action = request.path_params["action"]
        if action not in ACTIONS or action == "ambil":
            raise Missing("Tindakan itu tidak dikenal.")
        task = await task_for(officer, request.path_params["task_id"])
        form = await checked_form(request)
        text = str(form.get("teks", ""))[:3900]
        problem = None
        if task.done_at is not None:
            problem = f"Tugas ini sudah selesai pada {office_time(task.done_at, zone, named=True)}."
        elif task.taken_at is None:
            problem = "Kasus ini belum diambil: ambil kasus dari antrean (yang terlama lebih dulu)."
        elif task.officer != officer.name:
            problem = f"Kasus ini sedang dipegang {task.officer}."
        elif action not in allowed_actions(task):
            problem = "Tindakan ini tidak tersedia untuk langkah ini."
        if problem is not None:
            console.metrics.actions.labels(action, "refused").inc()
            return case_page(request, officer, task, status=409, error=problem, text=text)
        try:
            done = await run_in_threadpool(act, task, officer, action, form, text)
        except Refused as e:
            console.metrics.actions.labels(action, "refused").inc()
            return case_page(request, officer, task, status=400, error=str(e), text=text)
        console.metrics.actions.labels(action, "ok").inc()
        log.info("action", user=officer.username, action=action, task_id=task.task_id, unit=task.unit)
        flash(request, "ok", done)
        return RedirectResponse(f"/antrean/{task.unit}", status_code=303)

    def choice(form: FormData, name: str, kind: type[Topic] | type[Service]) -> Any:
        value = str(form.get(name, "")).strip()
        if not value:
            return None
        try:
            return kind(value)
        except ValueError:
            raise Refused(f"pilihan {name} '{value}' tidak dikenal") from None

    def act(task: StaffTask, officer: Officer, action: str, form: FormData, text: str) -> str:
        """Do it through the staff actions; what to tell the officer when it is sent."""
        url, now = console.amqp_url(task.unit), datetime.now(UTC)
        ticket = f" (tiket {task.ticket})" if task.ticket else ""
        if action in ("jawab", "selesai"):
            outcome = Outcome.answered if action == "jawab" else Outcome.done
            send_result(
                engine,
                url,
                task.task_id,
                officer=officer.name,
                outcome=outcome,
                text=text,
                now=now,
                zone=zone,
            )
            return (
                ("Jawaban terkirim" if action == "jawab" else "Tugas selesai, jawaban terkirim")
                + ticket
                + "."
            )
        if action == "eskalasi":
            topic = choice(form, "topik", Topic) if task.to_role == "admin" else None
            service = choice(form, "layanan", Service) if task.to_role == "admin" else None
            send_result(
                engine,
                url,
                task.task_id,
                officer=officer.name,
                outcome=Outcome.escalated,
                topic=topic,
                service=service,
                now=now,
                zone=zone,
            )
            if task.to_role == "kasi":
                return "Kasus diteruskan ke kepala bidang" + ticket + "."
            return "Kasus diteruskan" + ticket + "."
        to = "kasi" if task.to_role == "pickup" else "loket"
        service = choice(form, "layanan", Service) if to == "kasi" else None
        reroute(engine, url, task.task_id, officer=officer.name, to=to, service=service, now=now, zone=zone)
        if to == "loket":
            return "Kasus dialihkan ke loket pengambilan dokumen (dokumen sudah terbit)" + ticket + "."
        return "Kasus dikembalikan ke kasi terkait (dokumen belum terbit)" + ticket + "."

    # --- control cards ------------------------------------------------------------------------

    async def card_search(request: Request) -> Response:
        officer = await need(request)
        q = request.query_params.get("q", "").strip()
        found = None
        if q:
            found = await run_in_threadpool(queries.search_cases, engine, officer, chart, q, zone)
            if found.exact is not None:
                return RedirectResponse(f"/kartu/{found.exact}", status_code=303)
        return render(request, "kartu_cari.html", officer, title="Kartu kendali", q=q, found=found)

    def card_of(officer: Officer, named: str) -> dict[str, Any] | bool | None:
        with engine.connect() as db:
            found = find_case(db, queries.normal_ticket(named) or named)
        if found is None:
            return None
        inquiry_id = found[0]
        if not queries.may_see_case(engine, officer, chart, inquiry_id):
            return False
        loaded = queries.card_rows(engine, inquiry_id)
        if loaded is None:
            return None
        head, rows = loaded
        now = datetime.now(UTC)
        worst: tuple[float, int] | None = None
        for r in rows:
            over = (
                r.duration_seconds - r.standard_seconds
                if r.duration_seconds is not None
                else (now - r.due_at).total_seconds()
            )
            if r.breached and (worst is None or over > worst[0]):
                worst = (over, r.id)
        try:
            lines = control_card(engine, inquiry_id, zone)
        except Refused:
            lines = []
        return {
            "head": head,
            "rows": rows,
            "worst": worst[1] if worst else None,
            "notes": lines[2 + len(rows) :],
        }

    async def card_view(request: Request) -> Response:
        officer = await need(request)
        card = await run_in_threadpool(card_of, officer, request.path_params["case"])
        if card is None:
            raise Missing("Kasus, tugas atau tiket itu tidak ditemukan.")
        if card is False:
            raise Denied("Kartu kendali ini milik kasus unit lain.")
        assert isinstance(card, dict)
        title = f"Kartu kendali {card['head'].ticket or card['head'].inquiry_id}"
        return render(request, "kartu.html", officer, title=title, **card)

    # --- heads: notices, the day, the laporan -----------------------------------------------

    async def notices_page(request: Request) -> Response:
        officer = await need(request)
        units = need_head(officer)
        found = await run_in_threadpool(queries.open_breaches, engine, officer, chart, units)
        now = datetime.now(UTC)
        rows = [(b, views.step_clock(console.clock, b.due_at, b.standard_seconds, now)) for b in found]
        return render(
            request, "peringatan.html", officer, title="Peringatan keterlambatan", rows=rows, units=units
        )

    async def summary_page(request: Request) -> Response:
        officer = await need(request)
        units = need_head(officer)
        now = datetime.now(UTC)
        day = console.clock.office_day(now)
        received, steps = await run_in_threadpool(
            queries.steps_of_day, engine, officer, chart, units, day, zone
        )
        found = await run_in_threadpool(queries.open_breaches, engine, officer, chart, units)
        month = day.strftime("%Y-%m")
        last_month = (day.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
        return render(
            request,
            "ringkasan.html",
            officer,
            title="Ringkasan hari ini",
            day=day,
            day_text=f"{day.day:02d}-{day.month:02d}-{day.year}",
            units=units,
            received=received,
            steps=steps,
            breaches=[(b, views.step_clock(console.clock, b.due_at, b.standard_seconds, now)) for b in found],
            months=[month, last_month],
        )

    async def laporan(request: Request) -> Response:
        officer = await need(request)
        need_head(officer)
        wanted = _LAPORAN.match(request.path_params["name"])
        if wanted is None:
            raise Missing("Laporan itu tidak ada: gunakan /laporan/YYYY-MM.pdf atau .xlsx.")
        month, fmt = wanted.group(1), wanted.group(2)
        try:
            period = Period.month(month, zone)
        except ValueError:
            raise Missing(f"Bulan {month} tidak dikenal.") from None
        # The register names citizens: in full for the kadis, who signs it; masked for the heads of
        # a section or division, whose console shows them only their own cases.
        mask = "kadis" not in queries.roles_of(officer)
        folder = Path(tempfile.mkdtemp(prefix="bamsos-laporan-"))
        out = folder / f"laporan-{month}.{fmt}"
        try:
            await run_in_threadpool(
                write_laporan,
                engine,
                period,
                "pdf" if fmt == "pdf" else "xlsx",
                out,
                office=Office.from_settings(console.settings),
                mask=mask,
            )
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        log.info("laporan", user=officer.username, month=month, format=fmt, masked=mask)
        media = (
            "application/pdf"
            if fmt == "pdf"
            else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        return FileResponse(
            out,
            media_type=media,
            filename=out.name,
            background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
        )

    # --- errors -------------------------------------------------------------------------------

    async def login_needed(request: Request, _exc: Exception) -> Response:
        return RedirectResponse("/masuk", status_code=303)

    async def denied(request: Request, exc: Exception) -> Response:
        officer = await officer_of(request)
        console.metrics.denied.labels("forbidden").inc()
        log.warning("denied", user=officer.username if officer else None, path=request.url.path)
        return render(
            request,
            "galat.html",
            officer,
            status=403,
            title="Akses ditolak",
            message=str(exc) or "Akses ditolak.",
        )

    async def bad_form(request: Request, _exc: Exception) -> Response:
        officer = await officer_of(request)
        console.metrics.denied.labels("csrf").inc()
        log.warning("csrf_refused", user=officer.username if officer else None, path=request.url.path)
        return render(
            request,
            "galat.html",
            officer,
            status=403,
            title="Formulir ditolak",
            message="Formulir ini tidak sah atau sudah kedaluwarsa. Muat ulang halaman, lalu coba lagi.",
        )

    async def missing(request: Request, exc: Exception) -> Response:
        officer = await officer_of(request)
        message = str(exc) if isinstance(exc, Missing) else "Halaman tidak ditemukan."
        if isinstance(exc, HTTPException) and exc.status_code != 404:
            return PlainTextResponse(exc.detail, status_code=exc.status_code)
        return render(request, "galat.html", officer, status=404, title="Tidak ditemukan", message=message)

    async def unavailable(request: Request, exc: Exception) -> Response:
        log.warning("unavailable", error=type(exc).__name__, path=request.url.path)
        officer = None  # the database may be the thing that is away
        return render(
            request,
            "galat.html",
            officer,
            status=503,
            title="Layanan sementara tidak tersedia",
            message="Server antrean atau basis data sedang tidak dapat dihubungi. "
            "Tunggu sebentar, lalu coba lagi.",
        )

    async def refused(request: Request, exc: Exception) -> Response:
        officer = await officer_of(request)
        return render(
            request, "galat.html", officer, status=400, title="Tidak dapat dilakukan", message=str(exc)
        )

    handlers: dict[Any, Callable[[Request, Exception], Any]] = {
        LoginNeeded: login_needed,
        Denied: denied,
        BadForm: bad_form,
        Missing: missing,
        HTTPException: missing,
        pika.exceptions.AMQPError: unavailable,
        OperationalError: unavailable,
        InterfaceError: unavailable,
        DisconnectionError: unavailable,
        Refused: refused,
    }
    return Starlette(
        routes=[
            Route("/", home, methods=["GET"]),
            Route("/masuk", login_form, methods=["GET"]),
            Route("/masuk", login, methods=["POST"]),
            Route("/keluar", logout, methods=["POST"]),
            Route("/antrean/{unit}", queue_page, methods=["GET"]),
            Route("/antrean/{unit}/ambil", take_page, methods=["POST"]),
            Route("/antrean/{unit}/live", queue_live, methods=["GET"]),
            Route("/kasus/{task_id}", case_view, methods=["GET"]),
            Route("/kasus/{task_id}/{action:str}", case_action, methods=["POST"]),
            Route("/kartu", card_search, methods=["GET"]),
            Route("/kartu/{case}", card_view, methods=["GET"]),
            Route("/peringatan", notices_page, methods=["GET"]),
            Route("/ringkasan", summary_page, methods=["GET"]),
            Route("/laporan/{name}", laporan, methods=["GET"]),
            Route("/healthz", lambda _request: PlainTextResponse("ok"), methods=["GET"]),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(
                SessionMiddleware,
                secret_key=console.secret,
                session_cookie=SESSION_COOKIE,
                max_age=SESSION_HOURS * 3600,
                same_site="strict",
                https_only=console.settings.console_secure_cookie,
            ),
        ],
        exception_handlers=handlers,
        max_body_size=MAX_BODY_BYTES,
    )
