"""The chaos run's invariant checks, each shown catching the fault it is for on small hand-made rows
(and passing what is right), so a green chaos run means something."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.devtools.chaos_checks import (
    CardRow,
    Case,
    SeenNotice,
    card_problems,
    citizen_notice_problems,
    notice_problems,
    path_problems,
    reply_problems,
)
from shared.devtools.simulation import Did

T0 = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
SCALE = 60.0  # a 5-minute standard passes in 5 s


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def row(step: int, role: str, handed: float, done: float | None, level: int = 0) -> CardRow:
    standard = {1: 300, 2: 180, 3: 300, 4: 300, 5: 300, 6: 300, 7: 180, 8: 120}[step]
    return CardRow(
        inquiry_id="case-a",
        step=step,
        to_role=role,
        handed_at=at(handed),
        due_at=at(handed + standard / SCALE),
        done_at=None if done is None else at(done),
        standard_seconds=standard,
        escalation_level=level,
    )


def notice(of: CardRow, level: int, role: str, sent: float, notice_id: str | None = None) -> SeenNotice:
    return SeenNotice(
        notice_id or f"notice-{level}-{sent}", of.inquiry_id, of.step, role, of.due_at, at(sent), level
    )


# --- breach notices ----------------------------------------------------------------------------

# The admin holds step 3 from 0 s; due at 5 s. Answered at 12 s: notices at 5 s (kasi) and 10 s (kabid).
LATE = row(3, "admin", 0, 12, level=2)
RIGHT = [notice(LATE, 1, "kasi", 5.4), notice(LATE, 2, "kabid", 10.6)]


def test_one_notice_per_level_reached_passes_and_a_redelivered_notice_is_not_a_second() -> None:
    assert notice_problems([LATE], RIGHT, SCALE) == []
    assert notice_problems([LATE], [*RIGHT, RIGHT[0]], SCALE) == []  # the same notice, redelivered


def test_a_doubled_notice_is_caught() -> None:
    doubled = [*RIGHT, notice(LATE, 1, "kasi", 5.9, notice_id="another")]
    assert any("2 notices at level 1" in p for p in notice_problems([LATE], doubled, SCALE))


def test_a_notice_the_card_counts_but_no_head_received_is_caught() -> None:
    assert any("notice 2 counted on the card" in p for p in notice_problems([LATE], RIGHT[:1], SCALE))


def test_a_step_the_scan_passed_over_while_it_stayed_open_is_caught() -> None:
    # The card counts no notice for a step due at 5 s and answered at 25 s; meanwhile the scan,
    # which takes steps in the order of their due times, sent the first notice of a step due at
    # 6 s, at 6.5 s: it went past this one.
    passed_over = row(3, "admin", 0, 25, level=0)
    other = row(3, "admin", 1, 20, level=1)
    witness = notice(other, 1, "kasi", 6.5)
    assert any("notice 1 missing" in p for p in notice_problems([passed_over, other], [witness], SCALE))
    # With no sign that the scan ran between 5 s and 15 s (the broker away, say), this step is not
    # claimed missed: the ladder resumes when the scan does. But a run with no notice at all,
    # though steps stayed open long past due, had no scan.
    assert notice_problems([passed_over, other], [notice(other, 1, "kasi", 16)], SCALE) == []
    assert notice_problems([passed_over], [], SCALE) == [
        "no breach notice at all, though 1 step(s) closed long past due"
    ]
    # Nor when the step closed soon after the scan passed (a router copy killed mid-scan leaves
    # its rows to the next scan).
    soon = row(3, "admin", 0, 12, level=0)
    assert notice_problems([soon, other], [witness], SCALE) == []


def test_the_ladder_resumes_from_when_the_scan_ran_not_from_the_due_time() -> None:
    # Notice 1 came late (at 9 s, after an outage): notice 2 is due a standard later, at 14 s, so a
    # step answered at 13 s reached level 1 only, with nothing missing.
    late_scan = row(3, "admin", 0, 13, level=1)
    assert notice_problems([late_scan], [notice(late_scan, 1, "kasi", 9.0)], SCALE) == []


def test_a_notice_sent_before_its_time_or_to_the_wrong_head_is_caught() -> None:
    early = [notice(LATE, 1, "kasi", 4.0), RIGHT[1]]
    assert any("sent before it was due" in p for p in notice_problems([LATE], early, SCALE))
    wrong_head = [notice(LATE, 1, "kabid", 5.4), RIGHT[1]]
    assert any("went to kabid" in p for p in notice_problems([LATE], wrong_head, SCALE))


def test_a_notice_for_a_step_written_closed_or_for_no_step_on_the_card_is_caught() -> None:
    step1 = row(1, "admin", 0, 1)
    assert notice_problems([step1], [notice(step1, 1, "kasi", 6)], SCALE) != []
    assert any("no handover" in p for p in notice_problems([], RIGHT[:1], SCALE))


def test_the_top_of_the_ladder_ends_the_notices() -> None:
    # A kabid's late step: its one notice goes to the kadis, and there is no level above.
    kabid = row(4, "kabid", 0, 30, level=1)
    assert notice_problems([kabid], [notice(kabid, 1, "kadis", 5.2)], SCALE) == []


# --- control cards -----------------------------------------------------------------------------


def did(step: int, role: str, outcome: str = "answered", topic: str | None = None) -> Did:
    return Did("case-a", f"{role}-{step}-{outcome}", step, role, outcome, topic)


CARD = [row(1, "admin", -1, 0), row(2, "admin", 0, 0), row(3, "kasi", 0.1, 2), row(4, "kabid", 2.1, 3)]
CARD += [row(8, "pemohon", 3.1, 3.2)]
ACTS = {"case-a": [did(3, "kasi", "escalated"), did(4, "kabid")]}


def test_a_whole_control_card_passes() -> None:
    assert card_problems(["case-a"], {"case-a": CARD}, ACTS) == []


def test_a_doubled_handover_is_caught() -> None:
    doubled = [*CARD, row(4, "kabid", 2.2, 3.0)]
    problems = card_problems(["case-a"], {"case-a": doubled}, ACTS)
    assert any("(doubled)" in p for p in problems)
    assert any("open at the same time" in p for p in problems)


def test_a_missing_handover_and_a_second_reply_step_are_caught() -> None:
    missing = [r for r in CARD if r.step != 4]
    assert any("(missing)" in p for p in card_problems(["case-a"], {"case-a": missing}, ACTS))
    two_replies = [*CARD, row(8, "pemohon", 3.3, 3.4)]
    assert any("step 8 2 times" in p for p in card_problems(["case-a"], {"case-a": two_replies}, ACTS))


def test_a_card_left_open_or_a_case_with_no_card_is_caught() -> None:
    still_open = [*CARD[:-1], row(8, "pemohon", 3.1, None)]
    assert any("still open" in p for p in card_problems(["case-a"], {"case-a": still_open}, ACTS))
    assert card_problems(["case-a"], {}, ACTS) == ["case-a: no control card"]


# --- paths -------------------------------------------------------------------------------------


def test_the_path_staff_worked_passes() -> None:
    assert path_problems([Case("case-a", "kebijakan", "3-4")], ACTS) == []
    data_error = {"case-a": [did(3, "admin", "escalated", "kesalahan_data"), did(5, "editor", "done")]}
    assert path_problems([Case("case-a", "informasi", "3-5")], data_error) == []


def test_a_path_other_than_what_staff_did_is_caught() -> None:
    assert any("path 3 on the case" in p for p in path_problems([Case("case-a", "kebijakan", "3")], ACTS))
    # The admin sent a data error on, but the case went to the section head.
    wrong_unit = {"case-a": [did(3, "admin", "escalated", "kesalahan_data"), did(3, "kasi")]}
    assert any("after admin 3 escalated" in p for p in path_problems([Case("case-a", None, "3")], wrong_unit))


def test_a_case_worked_again_after_its_answer_or_never_answered_is_caught() -> None:
    twice = {"case-a": [did(3, "admin"), did(3, "admin")]}
    problems = path_problems([Case("case-a", "informasi", "3")], twice)
    assert any("after admin 3 answered" in p for p in problems)
    unanswered = {"case-a": [did(3, "kasi", "escalated")]}
    problems = path_problems([Case("case-a", "kebijakan", "3")], unanswered)
    assert any("never answered" in p for p in problems)


def test_a_case_sent_first_to_the_wrong_unit_for_its_topic_is_caught() -> None:
    first = {"case-a": [did(3, "admin")]}
    assert any("first went to admin" in p for p in path_problems([Case("case-a", "kebijakan", "3")], first))


# --- replies and citizen notices ---------------------------------------------------------------


def reply(reply_id: str, upstream: str) -> dict[str, str]:
    return {"reply_id": reply_id, "in_reply_to": upstream}


def test_one_reply_per_inquiry_passes_a_redelivery_and_catches_a_second_or_a_missing_reply() -> None:
    assert reply_problems(["u1"], [reply("r1", "u1"), reply("r1", "u1")]) == []
    assert reply_problems(["u1"], [reply("r1", "u1"), reply("r2", "u1")]) == ["u1: 2 replies"]
    assert reply_problems(["u1", "u2"], [reply("r1", "u1")]) == ["u2: no reply"]


def test_one_acknowledgement_and_one_survey_per_case_as_recorded() -> None:
    received = [
        {"notice_id": "n1", "inquiry_id": "case-a", "kind": "acknowledged"},
        {"notice_id": "n2", "inquiry_id": "case-a", "kind": "survey"},
    ]
    recorded = [("n1", "acknowledged"), ("n2", "survey")]
    assert citizen_notice_problems(["case-a"], received, recorded) == []
    second = {"notice_id": "n3", "inquiry_id": "case-a", "kind": "survey"}
    problems = citizen_notice_problems(["case-a"], [*received, second], [*recorded, ("n3", "survey")])
    assert problems == ["case-a: 2 survey notices"]
    assert citizen_notice_problems(["case-a"], received, recorded[:1]) != []
