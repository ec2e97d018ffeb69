"""Personal data in a real browser (Debian's chromium, headless): the NIK and phone number a citizen
wrote are not in the case page's DOM until the officer holding it reveals them with a reason, and
the reveal is in the access log; the data-protection officer reads that log and opens no queue.

With `BAMSOS_SCREENSHOTS=docs/console` the tests also write the README's screenshots (1280x800).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from shared.privacy.access_log import Account, Action, entries
from tests.browser.conftest import LESTARI, RINA, Pipeline, log_in, screenshot
from tests.browser.test_console import _unnamed_controls

pytestmark = pytest.mark.e2e

NIK = "3271046504870002"
PHONE = "081234567890"
TEXT = f"Selamat pagi, KIA anak saya belum jadi. NIK saya {NIK}, nomor WA {PHONE}. Mohon dicek."


def test_the_full_nik_is_not_in_the_page_until_the_holder_reveals_it_and_the_reveal_is_logged(
    page: Page, pipeline: Pipeline
) -> None:
    case = pipeline.inquire(topic="informasi", service="kia", text=TEXT)
    log_in(page, RINA)
    expect(page.get_by_role("row").filter(has_text=case.ticket)).to_contain_text("3271••••••••0002")
    assert NIK not in page.content() and PHONE not in page.content()
    page.get_by_role("button", name="Ambil kasus berikutnya").click()
    page.wait_for_url(re.compile(r"/kasus/[^/]+$"))
    question = page.locator("blockquote")
    expect(question).to_contain_text("NIK saya 3271••••••••0002, nomor WA 0812•••••890")
    assert NIK not in page.content() and PHONE not in page.content(), "not in the DOM at all"
    screenshot(page, "kasus-disamarkan", page.get_by_role("heading", name="Pertanyaan pemohon"))
    page.get_by_label("Alasan menampilkan data lengkap").select_option(label="perbaikan data")
    page.get_by_role("button", name="Tampilkan data lengkap").click()
    expect(question).to_contain_text(f"NIK saya {NIK}, nomor WA {PHONE}")
    with pipeline.console.engine.connect() as db:
        [reveal] = [e for e in entries(db) if e.action == Action.REVEAL]
    assert (reveal.actor, reveal.case_id, reveal.client) == (RINA.username, case.inquiry_id, "127.0.0.1")
    assert reveal.reference == "alasan: perbaikan data"
    # Opened again: masked again.
    page.goto(f"/kasus/{case.task_id}")
    expect(question).to_contain_text("3271••••••••0002")


def test_the_data_protection_officer_reads_who_looked_and_opens_no_queue(
    page: Page, pipeline: Pipeline
) -> None:
    case = pipeline.inquire(topic="informasi", service="kia", text=TEXT)
    siti, log = Account("instagram", "@sitilestari"), pipeline.console.access_log
    with pipeline.console.engine.begin() as db:
        log.record(
            db, RINA.username, Action.OPEN_CASE, case_id=case.inquiry_id, account=siti, client="10.20.0.15"
        )
        log.record(
            db, RINA.username, Action.REVEAL, case_id=case.inquiry_id, account=siti, client="10.20.0.15",
            reference="alasan: verifikasi data pemohon",
        )  # fmt: skip
        log.record(db, "dedi", Action.CARD_SEARCH, account=siti, client="10.20.0.31")
    log_in(page, LESTARI)
    expect(page.get_by_role("heading", level=1)).to_have_text("Log akses data pribadi")
    expect(page.get_by_role("heading", name="3 catatan")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="buka kasus")
    expect(row).to_contain_text(RINA.username)
    expect(row).to_contain_text("10.20.0.15")
    page.get_by_label("Petugas (nama pengguna)").fill("budi")
    page.get_by_role("button", name="Saring").click()
    expect(page.get_by_text("Tidak ada catatan untuk saringan ini.")).to_be_visible()
    page.get_by_label("Petugas (nama pengguna)").fill(RINA.username)
    page.get_by_role("button", name="Saring").click()
    expect(page.get_by_role("heading", name="2 catatan")).to_be_visible()
    screenshot(page, "pdp-log")
    assert NIK not in page.content()
    page.goto(f"/antrean/{RINA.unit}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Akses ditolak")
    expect(page.get_by_role("alert")).to_contain_text("Petugas pelindungan data tidak membuka antrean")


def test_the_data_protection_officer_handles_a_request_up_to_the_confirmation_every_control_named(
    page: Page, pipeline: Pipeline
) -> None:
    pipeline.inquire(topic="informasi", service="kia", text=TEXT)
    log_in(page, LESTARI)
    page.get_by_role("link", name="Permohonan subjek data").click()
    page.get_by_label("Kanal").select_option(label="Instagram")
    page.get_by_label("Akun pemohon").fill("@sitilestari")
    page.get_by_label("Nomor permohonan").fill("PDP/2026/017")
    assert not _unnamed_controls(page)[1]
    page.get_by_role("button", name="Cari data").click()
    expect(page.get_by_text("1 pertanyaan, 1 masih terbuka")).to_be_visible()
    assert NIK not in page.content(), "counts and tickets, no content"
    assert not _unnamed_controls(page)[1]
    page.get_by_role("button", name="Hapus data pribadi akun ini…").click()
    expect(page.get_by_role("heading", name="Konfirmasi penghapusan")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("1 kasus yang masih terbuka dibiarkan")
    assert not _unnamed_controls(page)[1]
    page.get_by_role("button", name="Ya, hapus sekarang").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Permohonan PDP/2026/017: data pribadi 0 kasus dihapus"
    )
    with pipeline.console.engine.connect() as db:
        [erased] = [e for e in entries(db) if e.action == Action.SUBJECT_ERASURE]
    assert (erased.actor, erased.reference, erased.client) == (LESTARI.username, "PDP/2026/017", "127.0.0.1")
