"""Which suggestion officers insert: one row and one count per answer sent, edited or not, and the
laporan's per-service count of answers sent with a template."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from prometheus_client import CollectorRegistry

from shared.laporan.figures import templates_used
from shared.laporan.period import Period
from shared.runtime.storage import answer_suggestions, make_engine
from shared.staff.saran import Suggestion
from shared.staff.saran.usage import build_suggestion_metrics, record_answer
from tests.helpers import answered_case

pytestmark = pytest.mark.integration

AT = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
TEMPLATE = Suggestion(
    sumber="templat",
    judul="Syarat KTP-el baru",
    layanan="ktp_el",
    skor=9.5,
    teks="Syaratnya KK.",
    kunci="ktp_el/syarat-ktp-el-baru",
    dasar="Perpres 96/2018",
)


def test_each_answer_counts_its_template_once_edited_or_not_and_the_laporan_sees_it(
    database_url: str,
) -> None:
    engine = make_engine(database_url)
    for n, service in ((1, "ktp_el"), (2, "ktp_el"), (3, "kk")):
        answered_case(engine, n, "syarat ktp?", "jawaban", service, AT)
    registry = CollectorRegistry()
    metrics = build_suggestion_metrics(registry)
    with engine.begin() as db:
        kwargs = {"service": "ktp_el", "at": AT}
        assert record_answer(
            db,
            metrics,
            task_id="t1",
            inquiry_id="inq-1",
            inserted=TEMPLATE,
            sent_text=" Syaratnya  KK.\n",
            **kwargs,
        )
        assert record_answer(
            db,
            metrics,
            task_id="t2",
            inquiry_id="inq-2",
            inserted=TEMPLATE,
            sent_text="Syaratnya KK dan KTP lama.",
            **kwargs,
        )
        # The same send again (a retry) is not counted twice.
        assert not record_answer(
            db,
            metrics,
            task_id="t2",
            inquiry_id="inq-2",
            inserted=TEMPLATE,
            sent_text="Syaratnya KK dan KTP lama.",
            **kwargs,
        )
        assert record_answer(
            db,
            metrics,
            task_id="t3",
            inquiry_id="inq-3",
            inserted=None,
            sent_text="Silakan datang.",
            service="kk",
            at=AT,
        )

    def count(template: str, edited: str) -> float | None:
        labels = {"template": template, "edited": edited}
        return registry.get_sample_value("bamsos_answer_suggestions_total", labels)

    assert count("ktp_el/syarat-ktp-el-baru", "tidak") == 1
    assert count("ktp_el/syarat-ktp-el-baru", "ya") == 1
    assert count("tanpa", "tidak") == 1
    with engine.connect() as db:
        assert db.scalar(sa.select(sa.func.count()).select_from(answer_suggestions)) == 3
        november = Period.month("2026-11", ZoneInfo("Asia/Jakarta"))
        assert templates_used(db, november) == {"ktp_el": 2}
