"""The Prometheus rules and the Grafana dashboard, written from the SOP's standards in one place.

`bamsos deploy-files` writes `deploy/prometheus/rules/bamsos.rules.yml` and
`deploy/grafana/dashboards/bamsos-sla-sop.json`; `--check` fails when they drift from this module.
Every expression here is evaluated against a real Prometheus in `tests/observability/`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from services import catalog
from services.generators import DOCS_URL, REPO_ROOT
from shared.sop.citizen import GRADES, SCALE_WORDS, SKM_SCALE, skm_index
from shared.sop.rules import STANDARD_MINUTES

DEPLOY_DIR = REPO_ROOT / "deploy"
RULES_FILE = DEPLOY_DIR / "prometheus" / "rules" / "bamsos.rules.yml"
DASHBOARD_FILE = DEPLOY_DIR / "grafana" / "dashboards" / "bamsos-sla-sop.json"

# The service level objective: this share of every step's cases finishes within its standard.
SLO = 0.95
ERROR_BUDGET = 1 - SLO
# A small office has few cases an hour; below this many finished steps in the long window a burn
# rate says nothing and must not page anyone.
MIN_STEPS = 10
WINDOW_SECONDS = {"5m": 300, "30m": 1800, "1h": 3600, "2h": 7200, "6h": 21600, "1d": 86400}
WINDOWS = tuple(WINDOW_SECONDS)
# Multi-window, multi-burn-rate (Google SRE workbook, ch. 5): (long, short, burn rate, severity).
BURN_ALERTS = (
    ("1h", "5m", 14.4, "page"),
    ("6h", "30m", 6.0, "page"),
    ("1d", "2h", 3.0, "ticket"),
)
# Absolute: Alertmanager's and Grafana's links open from anywhere, not from the repository.
RUNBOOK = f"{DOCS_URL}README.md#operations-runbook"

# A chat channel failing (BamsosChannelSendsFailing): replies the platform refused for good
# (`refused`: an expired or revoked token, a bad recipient), past the 24-hour window with no template
# (`window_closed`), on a channel that is off (`no_platform`), or accepted and then reported
# undeliverable (delivery failures). Every one of them is a citizen left without an answer.
# - One refusal now and then is normal (a citizen blocked the number, deleted the account): it is
#   dead-lettered and on the dashboard, and must not call anyone; so at least 3 in the window.
# - What needs a person is systemic: a token that expired refuses every send, a missing or unapproved
#   template fails every late reply; more than 20% of the replies that ended in the window catches
#   those even when only the late replies fail, and stays above the background of one-off refusals.
# - 30 minutes, because a small office sends a few replies an hour and a shorter window would rarely
#   hold 3; held for 10 minutes, so a short burst of refusals (a platform's bad minute) passes by.
CHANNEL_WINDOW = "30m"
CHANNEL_WINDOW_TEXT = "30 menit"
CHANNEL_MIN_FAILURES = 3
CHANNEL_MAX_FAILING = 0.2
FAILED_SENDS = "refused|window_closed|no_platform"
# What became of a reply in the end (`retried` counts attempts, not replies).
ENDED_SENDS = f"sent|template|{FAILED_SENDS}"


def service_queues() -> str:
    """The services' queues, as a label regex (read from their specs)."""
    # A backslash escapes the dot in the regex, and another escapes that one in the PromQL string.
    return "|".join(spec.queue.replace(".", r"\\.") for spec in catalog.specs())


def bucket_bound(seconds: float) -> str:
    """A bucket bound as prometheus_client writes it (300 -> "300.0")."""
    return repr(float(seconds))


def within_standard(window: str) -> str:
    """Finished steps per second within their own standard: each step's bucket at its standard."""
    by_standard: dict[int, list[int]] = defaultdict(list)
    for step, minutes in STANDARD_MINUTES.items():
        by_standard[minutes * 60].append(step)
    parts = []
    for seconds, steps in sorted(by_standard.items()):
        selector = f'step=~"{"|".join(map(str, steps))}", le="{bucket_bound(seconds)}"'
        parts.append(
            f"sum by (step, role) (rate(bamsos_step_duration_seconds_bucket{{{selector}}}[{window}]))"
        )
    return "\n  or\n".join(parts)


def channel_failures(window: str) -> str:
    """Per channel: replies that did not go out, or went out and were not delivered, in `window`."""
    # One sum over both (`or`: their label sets differ by `outcome`), so a channel missing one of
    # the two series still counts; `a + b` would drop it.
    return (
        f'sum by (channel) (\n  increase(bamsos_gateway_sends_total{{outcome=~"{FAILED_SENDS}"}}[{window}])\n'
        f"  or increase(bamsos_gateway_delivery_failures_total[{window}])\n)"
    )


def channel_sends_ended(window: str) -> str:
    """Per channel: replies whose send ended (sent, as template, or refused) in `window`."""
    return f'sum by (channel) (increase(bamsos_gateway_sends_total{{outcome=~"{ENDED_SENDS}"}}[{window}]))'


def skm_index_expr(by: str = "") -> str:
    """The satisfaction index (SKM, 25-100) of the ratings received in the last day, per `by` labels:
    the mean points (1-4) x 25. No ratings, no series (not NaN): "no data", honestly."""
    total = f"sum by ({by}) " if by else "sum"
    points = f"{total}(increase(bamsos_survey_rating_points_total[1d]))"
    ratings = f"({total}(increase(bamsos_survey_ratings_total[1d])) > 0)"
    return f"{points} / {ratings} * {skm_index(1):g}"


SCALE_TEXT = ", ".join(f"{score} {word}" for score, word in SCALE_WORDS.items())
GRADE_TEXT = (
    ", ".join(
        f"Mutu {letter} ({words}) mulai {bound:.2f}".replace(".", ",")
        for bound, letter, words in GRADES
        if bound
    )
    + ", di bawahnya D (Tidak Baik)"
)
# The SKM's grades as the stat's colours: D red, C orange, B light green, A green.
SKM_COLOURS = {"D": "red", "C": "orange", "B": "light-green", "A": "green"}


def skm_steps() -> tuple[tuple[str, float | None], ...]:
    return tuple(
        (SKM_COLOURS[letter], bound or None) for bound, letter, _ in sorted(GRADES, key=lambda g: g[0])
    )


def recording_rules() -> list[dict[str, str]]:
    rules = []
    for w in WINDOWS:
        rules += [
            {
                "record": f"bamsos:step_finished:rate{w}",
                "expr": f"sum by (step, role) (rate(bamsos_step_duration_seconds_count[{w}]))",
            },
            {"record": f"bamsos:step_within_standard:rate{w}", "expr": within_standard(w)},
            {
                "record": f"bamsos:step_compliance:ratio_rate{w}",
                "expr": f"bamsos:step_within_standard:rate{w} / bamsos:step_finished:rate{w}",
            },
            {
                "record": f"bamsos:step_breach:ratio_rate{w}",
                "expr": f"1 - bamsos:step_compliance:ratio_rate{w}",
            },
        ]
    return rules


def _alert(name: str, expr: str, for_: str, severity: str, summary: str, runbook: str) -> dict[str, Any]:
    return {
        "alert": name,
        "expr": expr,
        "for": for_,
        "labels": {"severity": severity},
        "annotations": {"summary": summary, "runbook": runbook, "runbook_url": RUNBOOK},
    }


def alert_rules() -> list[dict[str, Any]]:
    step = "Langkah {{ $labels.step }} ({{ $labels.role }})"
    burns = [
        _alert(
            f"BamsosSlaBurn{long_}",
            f"bamsos:step_breach:ratio_rate{long_} > {rate * ERROR_BUDGET:.3f}\n"
            f"and bamsos:step_breach:ratio_rate{short} > {rate * ERROR_BUDGET:.3f}\n"
            f"and bamsos:step_finished:rate{long_} * {WINDOW_SECONDS[long_]} >= {MIN_STEPS}",
            "2m" if severity == "page" else "15m",
            severity,
            f"{step}: kepatuhan standar SOP turun terlalu cepat — anggaran {ERROR_BUDGET:.0%} "
            f"terpakai {rate:g}x lebih cepat dari batas (jendela {long_}/{short})",
            "Lihat panel 'Kepatuhan standar' dan 'Langkah terbuka'; cari unit yang menumpuk dengan "
            "`bamsos staff antrean --unit <unit>`, tambah petugas atau alihkan kasus; jika durasi "
            "tinggi di semua langkah, periksa apakah layanan pipeline tertinggal (panel 'Latensi').",
        )
        for long_, short, rate, severity in BURN_ALERTS
    ]
    return [
        _alert(
            "BamsosStepOverdue",
            "max by (step, role) (bamsos_open_steps_overdue) > 0",
            "1m",
            "warning",
            f"{step}: {{{{ $value }}}} kasus melewati standar waktu SOP saat ini",
            "Petugas unit membuka `bamsos staff antrean --unit <unit>` dan mengambil kasus tertua; "
            "peringatan berjenjang (kasi, kabid, kadis) sudah dikirim otomatis oleh router.",
        ),
        *burns,
        _alert(
            "BamsosDeadLetters",
            "sum by (service, reason) (increase(bamsos_dead_letters_total[10m])) > 0",
            "0m",
            "warning",
            "Pesan ditolak ke antrean dead letter oleh {{ $labels.service }}: {{ $labels.reason }}",
            "`bamsos dlq list` menunjukkan alasan dan asal pesan; perbaiki penyebabnya (konektor, "
            "bagan organisasi), lalu `bamsos dlq replay --reason <alasan>`.",
        ),
        _alert(
            "BamsosWorkerDown",
            'up{job="bamsos"} == 0',
            "2m",
            "page",
            "Layanan BAMSOS {{ $labels.worker }} tidak menjawab",
            "Periksa proses/kontainer layanan itu dan lognya; `bamsos run <layanan>` menjalankannya "
            "lagi. Pesan menunggu di antreannya, tidak ada yang hilang.",
        ),
        _alert(
            "BamsosQueueBacklog",
            f'max by (queue) (bamsos_queue_messages{{queue=~"{service_queues()}"}}) > 500',
            "5m",
            "warning",
            "Antrean {{ $labels.queue }} menumpuk: {{ $value }} pesan menunggu",
            "Periksa panel 'Antrean' dan 'Latensi pipeline'; jalankan salinan tambahan layanan itu "
            "(`bamsos run <layanan>`), periksa beban PostgreSQL.",
        ),
        _alert(
            "BamsosQueueUnattended",
            f'max by (queue) (bamsos_queue_consumers{{queue=~"{service_queues()}"}}) == 0',
            "2m",
            "page",
            "Tidak ada layanan yang membaca antrean {{ $labels.queue }}",
            "Layanan pembaca antrean itu mati atau terputus dari RabbitMQ; jalankan lagi layanannya.",
        ),
        _alert(
            "BamsosChannelSendsFailing",
            f"{channel_failures(CHANNEL_WINDOW)} >= {CHANNEL_MIN_FAILURES}\n"
            f"and\n{channel_failures(CHANNEL_WINDOW)}\n"
            f"/ {channel_sends_ended(CHANNEL_WINDOW)} > {CHANNEL_MAX_FAILING}",
            "10m",
            "warning",
            'Kanal {{ $labels.channel }}: {{ $value | printf "%.0f" }} jawaban gagal dikirim atau '
            f"tidak sampai dalam {CHANNEL_WINDOW_TEXT} terakhir",
            "`bamsos dlq list` menunjukkan alasannya (platform_refused, window_closed, channel_off); "
            "periksa token akses platform, templat WhatsApp (BAMSOS_WHATSAPP_TEMPLATE) dan status "
            "nomor/halaman di dasbor Meta atau BotFather, lalu `bamsos dlq replay --reason <alasan>`.",
        ),
    ]


def rules_document() -> dict[str, Any]:
    return {
        "groups": [
            {"name": "bamsos-sli", "interval": "30s", "rules": recording_rules()},
            {"name": "bamsos-alerts", "rules": alert_rules()},
        ]
    }


@dataclass(frozen=True)
class Target:
    expr: str
    legend: str


@dataclass(frozen=True)
class Panel:
    title: str
    targets: tuple[Target, ...]
    unit: str = "short"
    kind: str = "timeseries"
    width: int = 12
    thresholds: tuple[float, ...] = ()
    description: str = ""
    overrides: list[dict[str, Any]] = field(default_factory=list)
    row: str | None = None  # this panel starts a new row of the dashboard, with this title
    steps: tuple[tuple[str, float | None], ...] = ()  # (colour, from value): instead of thresholds
    no_value: str = ""  # what the panel says when the query has no series
    decimals: int | None = None


def _standard_line() -> list[dict[str, Any]]:
    """The standard series drawn as a dashed line, so the percentiles read against it."""
    return [
        {
            "matcher": {"id": "byRegexp", "options": "^standar.*"},
            "properties": [
                {"id": "custom.lineStyle", "value": {"fill": "dash", "dash": [10, 10]}},
                {"id": "color", "value": {"mode": "fixed", "fixedColor": "red"}},
            ],
        }
    ]


def _failures_red() -> list[dict[str, Any]]:
    """Delivery failures drawn red beside the deliveries."""
    return [
        {
            "matcher": {"id": "byRegexp", "options": "^gagal.*"},
            "properties": [{"id": "color", "value": {"mode": "fixed", "fixedColor": "red"}}],
        }
    ]


PANELS: tuple[Panel, ...] = (
    Panel(
        "Kepatuhan standar per langkah (1 jam)",
        (Target("bamsos:step_compliance:ratio_rate1h", "langkah {{step}} {{role}}"),),
        unit="percentunit",
        thresholds=(SLO,),
        description=f"Bagian kasus yang selesai dalam standar SOP; sasaran {SLO:.0%}.",
    ),
    Panel(
        "Durasi langkah p50 / p90 terhadap standar",
        (
            Target(
                "histogram_quantile(0.9, sum by (step, le) (rate(bamsos_step_duration_seconds_bucket[15m])))",
                "p90 langkah {{step}}",
            ),
            Target(
                "histogram_quantile(0.5, sum by (step, le) (rate(bamsos_step_duration_seconds_bucket[15m])))",
                "p50 langkah {{step}}",
            ),
            Target("max by (step) (bamsos_step_standard_seconds)", "standar langkah {{step}}"),
        ),
        unit="s",
        thresholds=tuple(sorted({m * 60.0 for m in STANDARD_MINUTES.values()})),
        description="Waktu SOP (jam kantor). Garis putus-putus: standar tiap langkah.",
        overrides=_standard_line(),
    ),
    Panel(
        "Terlambat sekarang",
        (Target("sum(max by (step, role) (bamsos_open_steps_overdue))", "kasus terlambat"),),
        kind="stat",
        width=6,
        thresholds=(1,),
    ),
    Panel(
        "Kepatuhan semua langkah (1 hari)",
        (
            Target(
                "sum(bamsos:step_within_standard:rate1d) / sum(bamsos:step_finished:rate1d)",
                "kepatuhan",
            ),
        ),
        unit="percentunit",
        kind="stat",
        width=6,
        thresholds=(SLO,),
    ),
    Panel(
        "Langkah terbuka per langkah",
        (Target("max by (step, role) (bamsos_open_steps)", "langkah {{step}} {{role}}"),),
        width=12,
    ),
    Panel(
        "Umur langkah terbuka tertua",
        (Target("max by (step, role) (bamsos_oldest_open_step_age_seconds)", "langkah {{step}} {{role}}"),),
        unit="s",
        thresholds=(300.0,),
    ),
    Panel(
        "Pelanggaran standar",
        (
            Target(
                "sum by (step, role) (increase(bamsos_step_breaches_total[5m]))",
                "langkah {{step}} {{role}}",
            ),
        ),
    ),
    Panel(
        "Peringatan eskalasi per jenjang",
        (Target("sum by (role) (increase(bamsos_escalation_notices_total[5m]))", "ke {{role}}"),),
    ),
    Panel(
        "Permohonan per kanal",
        (Target("sum by (channel) (increase(bamsos_inquiries_total[5m]))", "{{channel}}"),),
    ),
    Panel(
        "Permohonan per topik",
        (Target("sum by (topic) (increase(bamsos_inquiries_total[5m]))", "{{topic}}"),),
    ),
    Panel(
        "Jawaban terkirim",
        (Target("sum by (channel) (increase(bamsos_replies_total[5m]))", "{{channel}}"),),
    ),
    Panel(
        "Indeks kepuasan (SKM)",
        (Target(skm_index_expr(), "semua kanal"), Target(skm_index_expr("channel"), "{{channel}}")),
        kind="stat",
        description=f"Indeks Kepuasan Masyarakat (PermenPANRB 14/2017) dari penilaian pemohon dalam 24 jam "
        f"terakhir, skala {SKM_SCALE[0]}-{SKM_SCALE[1]} ({SCALE_TEXT}): rata-rata x 25. {GRADE_TEXT}. "
        "Laporan (bamsos laporan) menghitungnya per tanggal permohonan.",
        steps=skm_steps(),
        no_value="Belum ada penilaian",
        decimals=2,
    ),
    Panel(
        "Antrean",
        (Target("max by (queue) (bamsos_queue_messages)", "{{queue}}"),),
    ),
    Panel(
        "Dead letters",
        (
            Target(
                "sum by (service, reason) (increase(bamsos_dead_letters_total[5m]))",
                "{{service}} {{reason}}",
            ),
        ),
    ),
    Panel(
        "Latensi pipeline p99 per layanan",
        (
            Target(
                "histogram_quantile(0.99, sum by (service, le) (rate(bamsos_handling_seconds_bucket[5m])))",
                "{{service}}",
            ),
        ),
        unit="s",
    ),
    Panel(
        "Pesan diproses",
        (Target("sum by (service, outcome) (rate(bamsos_messages_total[5m]))", "{{service}} {{outcome}}"),),
        unit="reqps",
    ),
    Panel(
        "Layanan hidup",
        (Target('up{job="bamsos"}', "{{worker}}"),),
    ),
    # The chat platforms' side: services/gateway/metrics.py.
    Panel(
        "Webhook masuk per hasil",
        (
            Target(
                "sum by (channel, outcome) (increase(bamsos_gateway_webhooks_total[5m]))",
                "{{channel}} {{outcome}}",
            ),
        ),
        description="Panggilan webhook dari platform: accepted, duplicate, ignored, bad_signature "
        "(tanda tangan palsu), malformed, unavailable (broker/basis data tidak ada: platform mengulang).",
        row="Kanal chat: gateway",
    ),
    Panel(
        "Pengiriman jawaban per hasil",
        (
            Target(
                "sum by (channel, outcome) (increase(bamsos_gateway_sends_total[5m]))",
                "{{channel}} {{outcome}}",
            ),
        ),
        description="sent, template (lewat jendela 24 jam), retried (percobaan ulang), refused, "
        "window_closed dan no_platform (ke dead letter).",
    ),
    Panel(
        "Latensi kirim p95 per kanal",
        (
            Target(
                "histogram_quantile(0.95,"
                " sum by (channel, le) (rate(bamsos_gateway_send_seconds_bucket[5m])))",
                "{{channel}}",
            ),
        ),
        unit="s",
        description="Waktu API kirim platform sampai menerima pesan.",
    ),
    Panel(
        "Jawaban sampai vs gagal sampai",
        (
            Target("sum by (channel) (increase(bamsos_gateway_deliveries_total[5m]))", "sampai {{channel}}"),
            Target(
                "sum by (channel) (increase(bamsos_gateway_delivery_failures_total[5m]))",
                "gagal {{channel}}",
            ),
        ),
        description="Tanda terima dari platform (Telegram: terkirim berarti sampai).",
        overrides=_failures_red(),
    ),
)


def _grafana_panel(panel: Panel, n: int, x: int, y: int) -> dict[str, Any]:
    steps: list[dict[str, Any]] = [{"color": "green", "value": None}]
    steps += [{"color": "red", "value": t} for t in panel.thresholds]
    if panel.unit == "percentunit" and panel.thresholds:
        # Compliance: below the objective is bad, above is good.
        steps = [{"color": "red", "value": None}, {"color": "green", "value": panel.thresholds[0]}]
    if panel.steps:
        steps = [{"color": colour, "value": value} for colour, value in panel.steps]
    custom = {"thresholdsStyle": {"mode": "line"}} if panel.kind == "timeseries" else {}
    extra: dict[str, Any] = {}
    if panel.no_value:
        extra["noValue"] = panel.no_value
    if panel.decimals is not None:
        extra["decimals"] = panel.decimals
    return {
        "id": n,
        "type": panel.kind,
        "title": panel.title,
        "description": panel.description,
        "datasource": {"type": "prometheus", "uid": "prometheus"},
        "gridPos": {"x": x, "y": y, "w": panel.width, "h": 8},
        "fieldConfig": {
            "defaults": {
                "unit": panel.unit,
                "thresholds": {"mode": "absolute", "steps": steps},
                "custom": custom,
                **extra,
            },
            "overrides": panel.overrides,
        },
        "targets": [
            {
                "refId": chr(ord("A") + i),
                "expr": t.expr,
                "legendFormat": t.legend,
                "datasource": {"type": "prometheus", "uid": "prometheus"},
            }
            for i, t in enumerate(panel.targets)
        ],
    }


def dashboard(zone: ZoneInfo) -> dict[str, Any]:
    """The Grafana dashboard, its times on the office's clock (`zone`, from `BAMSOS_TIMEZONE`)."""
    panels: list[dict[str, Any]] = []
    x, y = 0, 0
    for panel in PANELS:
        if panel.row is not None:
            if x > 0:
                x, y = 0, y + 8
            row = {"id": len(panels) + 1, "type": "row", "title": panel.row, "collapsed": False}
            panels.append(row | {"gridPos": {"x": 0, "y": y, "w": 24, "h": 1}, "panels": []})
            y += 1
        if x + panel.width > 24:
            x, y = 0, y + 8
        panels.append(_grafana_panel(panel, len(panels) + 1, x, y))
        x += panel.width
    return {
        "uid": "bamsos-sla-sop",
        "title": "BAMSOS — SLA SOP",
        "tags": ["bamsos", "sla"],
        "timezone": zone.key,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "schemaVersion": 39,
        "editable": True,
        "panels": panels,
    }


class _Dumper(yaml.SafeDumper):
    """Writes multi-line expressions as literal blocks, as a person would write the rules file."""


def _str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|" if "\n" in text else None)


_Dumper.add_representer(str, _str)


def dashboard_text(zone: ZoneInfo) -> str:
    """The dashboard file's text: deploy/grafana/'s file, and the data of deploy/k8s/'s ConfigMap."""
    return json.dumps(dashboard(zone), indent=2, ensure_ascii=False) + "\n"


def render_all(zone: ZoneInfo) -> dict[Path, str]:
    """Every file `bamsos deploy-files` writes from the standards: the rules, the dashboard, and the
    Kubernetes manifests that carry them (services/generators/k8s.py, which builds on this module)."""
    from services.generators import k8s

    source = "services/generators/observability.py"
    header = f"# Generated by `bamsos deploy-files` from {source}; edit that, not this.\n"
    rules = header + yaml.dump(
        rules_document(), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120
    )
    return {RULES_FILE: rules, DASHBOARD_FILE: dashboard_text(zone)} | k8s.render_all(zone)
