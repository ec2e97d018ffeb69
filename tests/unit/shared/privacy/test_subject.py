"""Which message bodies are a data subject's: their account on their channel, or one of their cases."""

from __future__ import annotations

import json

from shared.privacy.access_log import Account
from shared.privacy.subject import Matcher

BUDI = Account("telegram", "budi_santoso88")
matcher = Matcher(BUDI, {"case-1"})


def body(**fields: object) -> bytes:
    return json.dumps(fields).encode()


def test_a_reply_or_notice_to_the_account_on_its_channel_is_theirs() -> None:
    assert matcher(body(schema="bamsos.reply/1", channel="telegram", account="budi_santoso88", text="x"))


def test_the_same_account_name_on_another_channel_is_someone_else() -> None:
    assert not matcher(body(channel="instagram", account="budi_santoso88"))


def test_a_task_about_one_of_their_cases_is_theirs_though_it_names_no_account() -> None:
    assert matcher(body(schema="bamsos.task/1", inquiry_id="case-1", summary="NIK 3271046504870002"))
    assert not matcher(body(schema="bamsos.task/1", inquiry_id="case-2", summary="..."))


def test_a_message_refused_for_its_channel_still_names_them_by_the_account() -> None:
    assert matcher(body(channel="myspace", account="budi_santoso88"))


def test_a_body_that_is_not_json_is_theirs_when_it_holds_the_account() -> None:
    assert matcher(b'{"account": "budi_santoso88", broken')
    assert not matcher(b"\xff\xfe not json at all")
    assert not Matcher(Account("telegram", "bu"), set())(b"bu bu bu"), "too short to tell"


def test_the_needles_are_the_json_forms_of_the_account_and_the_case_ids() -> None:
    quoting = Matcher(Account("web", 'sari "w"'), {"case-9"})
    assert quoting.needles() == [b'sari \\"w\\"', b"case-9"]
