"""The SOP's routing rules, checked without a broker."""

from __future__ import annotations

import pytest

from shared.runtime.errors import Rejected
from shared.sop.contracts import Outcome, Role, Service, Topic
from shared.sop.orgchart import OrgChart
from shared.sop.rules import (
    STANDARD_MINUTES,
    Assignment,
    first_assignment,
    next_assignment,
    notice_for,
    path_of,
)


@pytest.mark.parametrize(
    ("topic", "step", "role"),
    [
        (Topic.informasi, 3, Role.admin),
        (None, 3, Role.admin),
        (Topic.kebijakan, 3, Role.kasi),
        (Topic.kesalahan_data, 5, Role.editor),
        (Topic.belum_terbit, 6, Role.kasi),
        (Topic.dokumen_terbit, 7, Role.pickup),
    ],
)
def test_each_topic_goes_to_the_unit_the_sop_names(
    topic: Topic | None, step: int, role: Role, chart: OrgChart
) -> None:
    first = first_assignment(topic, Service.ktp_el, chart)
    assert (first.step, first.role) == (step, role)


def test_a_policy_question_goes_to_the_head_of_the_section_that_owns_the_service(
    chart: OrgChart,
) -> None:
    first = first_assignment(Topic.kebijakan, Service.akta_kematian, chart)
    assert first.seksi == "kelahiran_kematian"
    assert first.bidang == "pcs"
    assert first.queue_key == "kasi.kelahiran_kematian"


def test_a_policy_question_with_no_service_goes_to_the_section_for_other_services(
    chart: OrgChart,
) -> None:
    first = first_assignment(Topic.kebijakan, None, chart)
    assert first.seksi == chart.seksi_of_service(Service.lainnya)


def test_a_section_head_in_doubt_sends_the_case_to_the_division_head_as_step_4(
    chart: OrgChart,
) -> None:
    kasi = first_assignment(Topic.kebijakan, Service.kk, chart)
    after = next_assignment(kasi, Outcome.escalated, topic=Topic.kebijakan, service=Service.kk, chart=chart)
    assert after == Assignment(step=4, role=Role.kabid, seksi=kasi.seksi, bidang=kasi.bidang)
    assert after.queue_key == f"kabid.{kasi.bidang}"


def test_an_unsigned_document_goes_on_to_the_division_head_within_step_6(chart: OrgChart) -> None:
    kasi = first_assignment(Topic.belum_terbit, Service.ktp_el, chart)
    after = next_assignment(
        kasi, Outcome.escalated, topic=Topic.belum_terbit, service=Service.ktp_el, chart=chart
    )
    assert after is not None
    assert (after.step, after.role, after.bidang) == (6, Role.kabid, "pdp")


@pytest.mark.parametrize("outcome", [Outcome.answered, Outcome.done])
def test_an_answer_ends_the_routing_so_the_reply_goes_out(outcome: Outcome, chart: OrgChart) -> None:
    admin = Assignment(step=3, role=Role.admin)
    assert next_assignment(admin, outcome, topic=None, service=None, chart=chart) is None


def test_an_admin_who_triages_routes_the_case_by_the_topic_they_set(chart: OrgChart) -> None:
    admin = Assignment(step=3, role=Role.admin)
    after = next_assignment(
        admin, Outcome.escalated, topic=Topic.kesalahan_data, service=Service.kk, chart=chart
    )
    assert after == Assignment(step=5, role=Role.editor)


def test_an_admin_escalation_without_a_topic_is_a_policy_question_for_the_section_head(
    chart: OrgChart,
) -> None:
    admin = Assignment(step=3, role=Role.admin)
    after = next_assignment(admin, Outcome.escalated, topic=None, service=Service.kia, chart=chart)
    assert after is not None
    assert (after.step, after.role, after.seksi) == (3, Role.kasi, "identitas_penduduk")


@pytest.mark.parametrize("role", [Role.kabid, Role.editor, Role.pickup])
def test_roles_at_the_top_of_their_ladder_cannot_escalate(role: Role, chart: OrgChart) -> None:
    with pytest.raises(Rejected) as caught:
        next_assignment(
            Assignment(step=4, role=role), Outcome.escalated, topic=None, service=None, chart=chart
        )
    assert caught.value.reason == "escalation_not_allowed"


def test_the_standards_are_the_sops_minutes() -> None:
    assert STANDARD_MINUTES == {1: 5, 2: 3, 3: 5, 4: 5, 5: 5, 6: 5, 7: 3, 8: 2}


@pytest.mark.parametrize(
    ("steps", "path"),
    [
        ([1, 2, 3, 8], "3"),
        ([1, 2, 3, 4, 8], "3-4"),
        ([1, 2, 6, 6, 8], "6"),
        ([1, 2, 3, 5, 8], "3-5"),
        ([1, 2], "none"),
    ],
)
def test_the_path_names_the_sop_steps_a_case_took(steps: list[int], path: str) -> None:
    assert path_of(steps) == path


def test_a_late_admin_step_is_told_to_the_section_head_then_the_division_head_then_kadis(
    chart: OrgChart,
) -> None:
    ladder = [
        notice_for(3, Role.admin, level, service=Service.akta_kematian, seksi=None, chart=chart)
        for level in (1, 2, 3, 4)
    ]
    assert ladder == [
        Assignment(step=3, role=Role.kasi, seksi="kelahiran_kematian", bidang="pcs"),
        Assignment(step=3, role=Role.kabid, bidang="pcs"),
        Assignment(step=3, role=Role.kadis),
        None,
    ]
    assert [a.queue_key for a in ladder if a] == ["kasi.kelahiran_kematian", "kabid.pcs", "kadis"]


def test_a_late_section_head_is_told_to_their_own_division_head_then_kadis(chart: OrgChart) -> None:
    first = notice_for(4, Role.kasi, 1, service=None, seksi="pindah_datang", chart=chart)
    assert first == Assignment(step=4, role=Role.kabid, bidang="pdp")
    assert notice_for(4, Role.kasi, 2, service=None, seksi="pindah_datang", chart=chart) == Assignment(
        step=4, role=Role.kadis
    )


def test_an_unconfirmed_reply_is_told_to_the_admin_first(chart: OrgChart) -> None:
    first = notice_for(8, Role.pemohon, 1, service=Service.kk, seksi=None, chart=chart)
    assert first == Assignment(step=8, role=Role.admin)


def test_a_late_division_head_is_told_to_kadis_and_no_one_after(chart: OrgChart) -> None:
    assert notice_for(4, Role.kabid, 1, service=None, seksi="identitas_penduduk", chart=chart) == Assignment(
        step=4, role=Role.kadis
    )
    assert notice_for(4, Role.kabid, 2, service=None, seksi="identitas_penduduk", chart=chart) is None
