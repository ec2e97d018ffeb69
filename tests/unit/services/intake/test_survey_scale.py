"""The satisfaction survey on the PermenPANRB 14/2017 scale, end to end through intake's handler and
the laporan's figures on the real database: every answer a citizen may give is counted, a rating of
a survey sent on the old 1-5 scale is read and converted by its words, and the privacy notice goes
with an account's first acknowledgement only."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from services.intake.service import SPEC as INTAKE
from shared.laporan.figures import satisfaction
from shared.laporan.period import Period
from shared.runtime.storage import inquiries
from shared.runtime.worker.harness import run_route
from shared.sop.citizen import LEGACY_SCALE, PRIVACY, RATING_WORDS, SCALE_WORDS, SURVEY_SCALE
from shared.sop.context import Context, HandlerSetup
from shared.sop.contracts import CitizenNotice, InquiryRegistered, NoticeKind
from tests.helpers import FrozenTime
from tests.unit.services.intake.test_citizen_side import case_of, inquiry, only_notice, send, surveyed


def accepted_answers() -> list[tuple[str, int]]:
    """Every answer the survey accepts, with its score: the digits alone, out of 4, in stars, and
    every word (the scale's own and the usual others)."""
    scores = range(1, SURVEY_SCALE + 1)
    answers = [(str(n), n) for n in scores]
    answers += [(f"{n}/4", n) for n in scores] + [(f"{n} dari 4", n) for n in scores]
    answers += [(f"{n} bintang", n) for n in scores] + [("⭐" * n, n) for n in scores]
    answers += list(RATING_WORDS[SURVEY_SCALE].items())
    return answers


def the_day(setup: HandlerSetup, now: FrozenTime) -> Period:
    day = setup.clock.office_day(now.at)
    return Period(day, day, setup.clock.zone)


def test_every_answer_the_survey_accepts_is_recorded_counted_and_in_the_laporan(
    ctx: Context, now: FrozenTime, handler_setup: HandlerSetup
) -> None:
    answers = accepted_answers()
    assert {score for _, score in answers} == set(SCALE_WORDS)
    assert all(word in dict(answers) for word in SCALE_WORDS.values()), "the survey's own words"
    for n, (text, score) in enumerate(answers):
        account = f"@warga{n}"
        event, _ = surveyed(ctx, now, account=account)
        thanks = only_notice(send(ctx, text, account=account))
        assert thanks.kind is NoticeKind.thanks, text
        assert f"{score} dari 4, {SCALE_WORDS[score]}" in thanks.text, text
        assert case_of(ctx, event.inquiry_id).rating == score, text
    figures = satisfaction(ctx.db, the_day(handler_setup, now))
    scores = [score for _, score in answers]
    assert figures.responses == len(answers)
    assert figures.distribution == tuple(scores.count(s) for s in SCALE_WORDS)
    assert figures.mean == pytest.approx(sum(scores) / len(scores))
    assert figures.index == pytest.approx(25 * sum(scores) / len(scores))
    metrics = handler_setup.metrics
    counted = metrics.ratings.labels("instagram")._value.get()
    points = metrics.rating_points.labels("instagram")._value.get()
    assert (counted, points) == (len(answers), sum(scores))


def test_a_5_answering_the_4_point_survey_is_no_rating_but_a_new_question(
    ctx: Context, now: FrozenTime
) -> None:
    event, survey = surveyed(ctx, now)
    assert "1 = tidak baik, 2 = kurang baik, 3 = baik, 4 = sangat baik" in survey.text
    [registered, _] = send(ctx, "5")
    assert isinstance(registered.message, InquiryRegistered)
    assert case_of(ctx, event.inquiry_id).rating is None


@pytest.mark.parametrize(("text", "score", "points"), [("5", 5, 4.0), ("cukup", 3, 2.5), ("baik", 4, 3.0)])
def test_a_rating_of_a_survey_sent_on_the_old_scale_keeps_its_value_and_counts_by_its_words(
    ctx: Context, now: FrozenTime, handler_setup: HandlerSetup, text: str, score: int, points: float
) -> None:
    event, _ = surveyed(ctx, now)
    # As migration 0009 marks every survey sent before it.
    ctx.db.execute(sa.update(inquiries).values(survey_scale=LEGACY_SCALE))
    thanks = only_notice(send(ctx, text))
    assert f"{score} dari 5" in thanks.text
    assert case_of(ctx, event.inquiry_id).rating == score
    figures = satisfaction(ctx.db, the_day(handler_setup, now))
    assert figures.responses == 1 and figures.mean == pytest.approx(points)
    assert figures.legacy == tuple(int(s == score) for s in range(1, 6)) and sum(figures.distribution) == 0
    assert handler_setup.metrics.rating_points.labels("instagram")._value.get() == points


# --- the privacy notice at first contact --------------------------------------------------------


def acknowledgement(ctx: Context, **fields: object) -> str:
    outgoing = run_route(INTAKE, inquiry(text="Syarat KK apa?", **fields), ctx)
    notice = outgoing[1].message
    assert isinstance(notice, CitizenNotice) and notice.kind is NoticeKind.acknowledged
    return notice.text


def test_the_first_acknowledgement_of_an_account_carries_the_privacy_notice_once(ctx: Context) -> None:
    privacy = ctx.citizen.templates.render(PRIVACY)
    first = acknowledgement(ctx)
    assert first.endswith(privacy) and "NIK" in first and "komentar publik" in first
    assert privacy not in acknowledgement(ctx)
    assert privacy in acknowledgement(ctx, account="@warga_baru"), "another account is told too"
    assert privacy in acknowledgement(ctx, channel="whatsapp", account="6281234567890")


def test_the_privacy_notice_says_how_long_data_is_kept_and_where_to_ask(
    ctx: Context, handler_setup: HandlerSetup
) -> None:
    told = handler_setup.citizen.templates.with_common(
        kantor="Disdukcapil Kota Pekanbaru", retention_days=180, contact="PPID, telepon (0761) 123456"
    )
    text = told.render(PRIVACY)
    assert "paling lama 180 hari" in text and "PPID, telepon (0761) 123456" in text
    assert "Disdukcapil Kota Pekanbaru" in text
