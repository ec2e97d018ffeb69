"""A sticker or a message of emoji only, after an answer and within the survey's window, is the
citizen's thanks: no case, no acknowledgement, counted. Before any answer, or after the window, it
is a message like any other (a citizen may open with a sticker)."""

from __future__ import annotations

import pytest

from services.intake.service import SPEC as INTAKE
from shared.runtime import topology
from shared.runtime.storage import inquiries
from shared.runtime.worker.harness import run_route
from shared.sop.citizen import thank_you
from shared.sop.context import Context, HandlerSetup
from shared.sop.contracts import Inquiry, MediaKind, schema_name
from tests.helpers import FrozenTime
from tests.unit.services.intake.test_citizen_side import count, inquiry, send, surveyed

THANKS = ["👍", "🙏🙏", "👍🏽", "❤️", " 🙏 👍 ", "👨\u200d👩\u200d👧"]
NOT_THANKS = ["terima kasih 🙏", "4", "?", "👍 syarat KIA apa?", "", ":)"]


@pytest.mark.parametrize("text", THANKS)
def test_emoji_only_is_a_thank_you(text: str) -> None:
    assert thank_you(text, None)


@pytest.mark.parametrize("text", NOT_THANKS)
def test_words_digits_or_punctuation_are_not(text: str) -> None:
    assert not thank_you(text, None)


def test_a_sticker_is_a_thank_you_and_other_media_is_not() -> None:
    assert thank_you("[stiker]", MediaKind.sticker)
    assert not thank_you("[gambar tanpa keterangan]", MediaKind.image)


@pytest.mark.parametrize(
    ("text", "media_kind"), [("👍", None), ("🙏🙏", None), ("[stiker]", MediaKind.sticker)]
)
def test_after_the_survey_a_thumbs_up_or_a_sticker_opens_no_case(
    ctx: Context, now: FrozenTime, text: str, media_kind: MediaKind | None
) -> None:
    surveyed(ctx, now)
    now.advance(hours=2)
    assert send(ctx, text, media_kind=media_kind) == []
    assert count(ctx, inquiries) == 1


def test_thank_yous_are_counted_by_channel_after_the_commit(
    ctx: Context, now: FrozenTime, handler_setup: HandlerSetup
) -> None:
    surveyed(ctx, now)
    route = INTAKE.routes[schema_name(Inquiry)]
    route.handle(inquiry(text="👍"), ctx)
    counter = handler_setup.metrics.thank_yous.labels("instagram")
    assert counter._value.get() == 0
    for action in ctx.after_commit:  # the commit
        action()
    assert counter._value.get() == 1


def test_a_sticker_before_any_answer_is_a_message_with_its_ticket(ctx: Context) -> None:
    outgoing = run_route(INTAKE, inquiry(text="[stiker]", media_kind=MediaKind.sticker), ctx)
    assert [o.routing_key for o in outgoing] == [topology.REGISTERED, "notice.instagram"]


def test_a_thumbs_up_after_the_window_is_a_new_case(ctx: Context, now: FrozenTime) -> None:
    surveyed(ctx, now)
    now.advance(hours=24, seconds=1)
    assert [o.routing_key for o in send(ctx, "👍")] == [topology.REGISTERED, "notice.instagram"]
    assert count(ctx, inquiries) == 2
