"""An officer's day in the console, in a real browser (Debian's chromium, headless): log in, a case
arriving live (the keyboard focus staying where it was), take, answer with a template (the reply
leaving on bamsos.outbound), escalation kasi -> kabid, the control card, another seksi refused, a
citizen's script shown as text, the keyboard, and a name for every control in the browser's
accessibility tree.

With `BAMSOS_SCREENSHOTS=docs/console` the tests also write the README's screenshots (1280x800).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Dialog, Page, expect

from shared.runtime import topology
from tests.browser.conftest import BUDI, DEDI, PASSWORD, RINA, SRI, Pipeline, log_in, screenshot
from tests.helpers import Got, drain, wait_for

pytestmark = pytest.mark.e2e

KIA_TEMPLATE = "Syarat Kartu Identitas Anak (KIA)"
POLICY_QUESTION = "Anak saya lahir di rumah tanpa surat bidan, apakah tetap bisa dibuatkan akta kelahiran?"


def take_next(page: Page) -> str:
    """Press "Ambil kasus berikutnya" on the queue page: the task id of the case it opens."""
    page.get_by_role("button", name="Ambil kasus berikutnya").click()
    page.wait_for_url(re.compile(r"/kasus/[^/]+$"))
    return page.url.rsplit("/", 1)[1]


def queue_row(page: Page, text: str) -> Any:
    return page.get_by_role("row").filter(has_text=text)


def test_an_officer_logs_in_at_masuk_and_lands_on_the_queue_of_their_unit(page: Page) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/masuk$"))
    expect(page.get_by_role("heading", name="Masuk", level=1)).to_be_visible()
    expect(page).to_have_title(re.compile("BAMSOS"))
    screenshot(page, "masuk")
    # A wrong password: said plainly, on the same page.
    page.get_by_label("Nama pengguna").fill(RINA.username)
    page.get_by_label("Kata sandi").fill("bukan-kata-sandinya")
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_role("alert")).to_have_text("Nama pengguna atau kata sandi salah.")
    log_in(page, RINA)
    expect(page.get_by_role("heading", level=1)).to_have_text("Antrean Admin/Petugas BAMSOS")
    expect(page.get_by_role("banner")).to_contain_text(f"Masuk sebagai {RINA.name}")
    expect(page.get_by_role("heading", name="Menunggu: 0 kasus")).to_be_visible()


def test_a_case_arriving_shows_on_the_open_queue_without_a_reload(page: Page, pipeline: Pipeline) -> None:
    log_in(page, RINA)
    expect(page.get_by_text("Tidak ada kasus yang menunggu.")).to_be_visible()
    page.evaluate("window.belumDimuatUlang = true")
    pipeline.send(topic="informasi", service="kia", text="Min, KIA untuk bayi bisa dibuat di kecamatan?")
    row = queue_row(page, "Min, KIA untuk bayi bisa dibuat di kecamatan?")
    expect(row).to_be_visible()
    expect(row).to_contain_text("Instagram")
    expect(row).to_contain_text("Kartu Identitas Anak")
    expect(row).to_contain_text(re.compile(r"BMS-\d{6}-\d{4}"))
    expect(row).to_contain_text("Dalam baku")
    expect(page.get_by_role("heading", name="Menunggu: 1 kasus")).to_be_visible()
    assert page.evaluate("window.belumDimuatUlang") is True, "the page was reloaded"


def test_a_case_arriving_leaves_the_keyboard_focus_where_it_was(page: Page, pipeline: Pipeline) -> None:
    log_in(page, RINA)
    held = pipeline.inquire(topic="informasi", service="kia")
    expect(queue_row(page, held.ticket)).to_be_visible()
    take_next(page)
    page.goto(f"/antrean/{RINA.unit}")
    resume = page.get_by_role("link", name=f"Lanjutkan {held.ticket}")
    expect(resume).to_be_visible()
    # Tab into the list, to the case the officer holds.
    for _ in range(40):
        page.keyboard.press("Tab")
        if _focused(page)["label"] == f"Lanjutkan {held.ticket}":
            break
    expect(resume).to_be_focused()
    page.evaluate("document.activeElement.tetapSama = true")
    arriving = pipeline.inquire(topic="informasi", service="kia", text="Min, KIA hilang, urusnya di mana?")
    expect(queue_row(page, arriving.ticket)).to_be_visible()
    # The list changed around it; the link is the same element and keeps the focus.
    expect(resume).to_be_focused()
    assert page.evaluate("document.activeElement.tetapSama === true")


def test_taking_the_next_case_puts_the_officers_name_on_the_control_card(
    page: Page, pipeline: Pipeline
) -> None:
    first = pipeline.inquire(topic="informasi", service="kia")
    pipeline.inquire(
        topic="informasi", service="ktp_el", channel="whatsapp", text="Rekam KTP-el hari Sabtu buka?"
    )
    pipeline.inquire(
        topic="informasi",
        service="akta_kelahiran",
        channel="facebook",
        text="Selamat pagi, untuk akta kelahiran anak kedua syaratnya apa saja ya?",
    )
    log_in(page, RINA)
    expect(page.get_by_role("heading", name="Menunggu: 3 kasus")).to_be_visible()
    # Oldest first: the first citizen's case, received by the officer logged in.
    assert take_next(page) == first.task_id
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Kasus {first.ticket}")
    expect(page.locator("blockquote")).to_have_text("Min, syarat bikin KIA apa aja?")
    expect(page.get_by_role("definition").filter(has_text=f"{RINA.name} sejak")).to_be_visible()
    page.get_by_role("link", name="Lihat kartu kendali kasus ini").click()
    receipt = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="3. Informasi pelayanan"))
    expect(receipt).to_contain_text(RINA.name)
    expect(receipt).to_contain_text("Berjalan")
    # Back on the queue: two waiting, hers held with the way back to it.
    page.get_by_role("link", name="Antrean Admin/Petugas BAMSOS").click()
    expect(page.get_by_role("heading", name="Menunggu: 2 kasus")).to_be_visible()
    expect(page.get_by_role("heading", name="Sedang dipegang: 1 kasus")).to_be_visible()
    expect(page.get_by_role("link", name=f"Lanjutkan {first.ticket}")).to_be_visible()
    screenshot(page, "antrean")


def test_an_answer_from_a_template_leaves_on_bamsos_outbound_as_sent(page: Page, pipeline: Pipeline) -> None:
    case = pipeline.inquire(topic="informasi", service="kia")
    log_in(page, RINA)
    take_next(page)
    page.get_by_label("Templat jawaban sesuai peraturan").select_option(label=KIA_TEMPLATE)
    expect(page.get_by_text("Dasar: Permendagri 2/2016 tentang Kartu Identitas Anak")).to_be_visible()
    page.get_by_role("button", name="Sisipkan templat").click()
    answer = page.get_by_label("Teks jawaban untuk pemohon")
    expect(answer).to_have_value(re.compile(r"^Terima kasih telah bertanya\. Syarat KIA"))
    expect(answer).to_be_focused()
    # The officer edits it: a greeting by name before the template's text.
    sent = "Halo Kak Siti. " + answer.input_value().strip()
    answer.fill(sent)
    screenshot(page, "jawab-templat", page.get_by_role("region", name="Jawab pemohon"))
    page.get_by_role("button", name="Kirim jawaban").click()
    page.wait_for_url("**/antrean/admin")
    expect(page.get_by_role("status")).to_contain_text(f"Jawaban terkirim (tiket {case.ticket}).")
    replies: list[Got] = []

    def the_reply() -> list[Got]:
        got = drain(pipeline.settings.amqp_url, topology.REPLIES_QUEUE)
        replies.extend(g for g in got if g.routing_key == "reply.instagram")
        return replies

    [reply] = wait_for(the_reply, what="the reply on bamsos.outbound (bamsos.replies)")
    body = reply.json()
    assert body["text"].startswith(sent), body["text"]
    assert body["ticket"] == case.ticket


def test_a_kasi_escalates_to_the_kabid_who_sees_the_case_in_their_queue(
    new_page: Callable[[], Page], pipeline: Pipeline
) -> None:
    case = pipeline.inquire(topic="kebijakan", service="akta_kelahiran", text=POLICY_QUESTION)
    kasi = new_page()
    log_in(kasi, BUDI)
    assert take_next(kasi) == case.task_id
    expect(kasi.get_by_role("button", name="Kirim jawaban")).to_be_visible()
    kasi.get_by_role("button", name="Eskalasi ke kepala bidang").click()
    kasi.wait_for_url(f"**/antrean/{BUDI.unit}")
    expect(kasi.get_by_role("status")).to_contain_text(
        f"Kasus diteruskan ke kepala bidang (tiket {case.ticket})."
    )
    kabid = new_page()
    log_in(kabid, SRI)
    row = queue_row(kabid, case.ticket)
    expect(row).to_be_visible()
    expect(row).to_contain_text("4. Konsultasi kepala bidang")
    expect(row).to_contain_text(POLICY_QUESTION[:40])
    # The kabid answers; there is nobody above to escalate to.
    pipeline.queued(SRI.unit)
    take_next(kabid)
    expect(kabid.get_by_role("button", name="Kirim jawaban")).to_be_visible()
    expect(kabid.get_by_role("button", name=re.compile("Eskalasi"))).to_have_count(0)


def test_the_control_card_found_by_ticket_shows_each_step_and_who_initialled_it(
    new_page: Callable[[], Page], pipeline: Pipeline
) -> None:
    case = pipeline.inquire(topic="kebijakan", service="akta_kelahiran", text=POLICY_QUESTION)
    kasi = new_page()
    log_in(kasi, BUDI)
    take_next(kasi)
    kasi.get_by_role("button", name="Eskalasi ke kepala bidang").click()
    kasi.wait_for_url(f"**/antrean/{BUDI.unit}")
    kabid = new_page()
    log_in(kabid, SRI)
    expect(queue_row(kabid, case.ticket)).to_be_visible()
    pipeline.queued(SRI.unit)
    take_next(kabid)
    kabid.get_by_label("Templat jawaban sesuai peraturan").select_option(
        label="Akta kelahiran tanpa surat keterangan kelahiran (SPTJM)"
    )
    kabid.get_by_role("button", name="Sisipkan templat").click()
    kabid.get_by_role("button", name="Kirim jawaban").click()
    kabid.wait_for_url(f"**/antrean/{SRI.unit}")
    pipeline.replied(case)  # the router has closed step 4 and opened step 8
    # The kasi looks the case up by its ticket.
    kasi.get_by_role("link", name="Kartu kendali").click()
    kasi.get_by_role("searchbox", name="Cari kasus").fill(case.ticket)
    kasi.get_by_role("button", name="Cari").click()
    expect(kasi.get_by_role("heading", level=1)).to_have_text(f"Kartu kendali {case.ticket}")

    def step(name: str) -> Any:
        return kasi.get_by_role("row").filter(has=kasi.get_by_role("rowheader", name=name))

    expect(step("1. Pengajuan permohonan")).to_be_visible()
    expect(step("3. Informasi pelayanan")).to_contain_text(BUDI.name)
    expect(step("4. Konsultasi kepala bidang")).to_contain_text(SRI.name)
    expect(step("4. Konsultasi kepala bidang")).to_contain_text("Dalam baku")
    expect(step("8. Jawaban kepada pemohon")).to_be_visible()
    expect(kasi.get_by_role("term").filter(has_text="Dijawab")).to_be_visible()
    screenshot(kasi, "kartu-kendali", kasi.get_by_role("table"), whole=True)


def test_a_kasi_of_another_seksi_opening_a_case_by_its_url_is_refused(
    new_page: Callable[[], Page], pipeline: Pipeline
) -> None:
    case = pipeline.inquire(topic="kebijakan", service="akta_kelahiran", text=POLICY_QUESTION)
    owner = new_page()
    log_in(owner, BUDI)
    take_next(owner)
    other = new_page()
    log_in(other, DEDI)
    # Not offered by the page...
    expect(other.get_by_role("navigation")).not_to_contain_text("Kelahiran dan Kematian")
    # ...nor by a typed URL: the case, the queue, the control card.
    for path in (f"/kasus/{case.task_id}", f"/antrean/{BUDI.unit}", f"/kartu/{case.ticket}"):
        response = other.goto(path)
        assert response is not None and response.status == 403, path
        expect(other.get_by_role("heading", level=1)).to_have_text("Akses ditolak")
        expect(other.get_by_role("alert")).to_be_visible()
        expect(other.get_by_text(POLICY_QUESTION)).to_have_count(0)
        expect(other.get_by_role("button", name="Kirim jawaban")).to_have_count(0)
    other.get_by_role("link", name="Kembali ke antrean Anda").click()
    expect(other).to_have_url(re.compile(rf"/antrean/{re.escape(DEDI.unit)}$"))
    # The owner still holds it.
    owner.reload()
    expect(owner.get_by_role("definition").filter(has_text=f"{BUDI.name} sejak")).to_be_visible()


def test_a_citizens_script_is_shown_as_text_and_never_runs(page: Page, pipeline: Pipeline) -> None:
    dialogs: list[str] = []

    def seen(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", seen)
    log_in(page, RINA)
    hostile = "<script>alert(1)</script><img src=x onerror=alert(2)> syarat KIA?"
    # Arriving live (swapped in by htmx's SSE extension)...
    upstream = pipeline.send(topic="informasi", service="kia", text=hostile, name="<b>Siti</b>")
    expect(page.get_by_role("cell", name=hostile, exact=True)).to_be_visible()
    # ...and on the case's page, loaded whole (its images and their errors before `load`).
    pipeline.case(upstream)
    take_next(page)
    expect(page.locator("blockquote")).to_have_text(hostile)
    expect(page.get_by_role("heading", name="Pertanyaan pemohon (<b>Siti</b>)")).to_be_visible()
    assert page.locator("main script:not([type='application/json']), main img").count() == 0
    assert dialogs == [], dialogs


def _focused(page: Page) -> dict[str, Any]:
    """The element with the keyboard focus: its visible label (a control's <label>, a button's or
    a link's text), whether it is on screen, whether a focus ring shows, and whether Tab has been
    on it before (the end of the round)."""
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            const style = getComputedStyle(el);
            const box = el.getBoundingClientRect();
            const field = ["INPUT", "SELECT", "TEXTAREA"].includes(el.tagName);
            const labels = field ? [...el.labels].map((l) => l.innerText.trim()).join(" ") : "";
            window.tabSeen = window.tabSeen || new WeakSet();
            const again = window.tabSeen.has(el);
            window.tabSeen.add(el);
            return {
                tag: el.tagName.toLowerCase(),
                label: field ? labels : (el.innerText || "").trim(),
                visible: box.width > 0 && box.height > 0 && box.bottom > 0 && box.top < innerHeight,
                ring: style.outlineStyle !== "none" || style.boxShadow !== "none",
                again: again,
            };
        }"""
    )


def _tab_stops(page: Page, most: int = 40) -> list[dict[str, Any]]:
    """Where Tab goes from the top of the page, in order, until it leaves the page."""
    page.evaluate("window.tabSeen = new WeakSet(); document.activeElement?.blur()")
    stops = []
    for _ in range(most):
        page.keyboard.press("Tab")
        here = _focused(page)
        if here["tag"] == "body" or here["again"]:
            break
        stops.append(here)
    return stops


def _assert_labelled(stops: list[dict[str, Any]], *wanted: str) -> None:
    labels = [s["label"] for s in stops]
    for label in wanted:
        assert label in labels, labels
    for stop in stops:
        assert stop["label"] and stop["visible"] and stop["ring"], stop


def test_the_keyboard_alone_logs_in_and_reaches_every_control_by_its_visible_label(
    page: Page, pipeline: Pipeline
) -> None:
    page.goto("/masuk")
    # The name field has the focus on arrival; Tab goes name -> password -> "Masuk".
    expect(page.get_by_label("Nama pengguna")).to_be_focused()
    page.keyboard.type(RINA.username)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Kata sandi")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Masuk")).to_be_focused()
    here = _focused(page)
    assert here["label"] == "Masuk" and here["visible"] and here["ring"], here
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/antrean/{RINA.unit}")
    # On the queue: the skip link first (shown when focused), then every control, each labelled
    # in visible words and ringed when focused.
    stops = _tab_stops(page)
    assert stops and stops[0]["label"] == "Langsung ke isi halaman" and stops[0]["visible"], stops
    _assert_labelled(
        stops, "Keluar", "Antrean Admin/Petugas BAMSOS", "Kartu kendali", "Ambil kasus berikutnya"
    )
    # Enter on "Ambil kasus berikutnya" takes the next case; on its page, the same for every control.
    case = pipeline.inquire(topic="informasi", service="kia")
    expect(queue_row(page, case.ticket)).to_be_visible()
    page.get_by_role("button", name="Ambil kasus berikutnya").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/kasus/{case.task_id}")
    _assert_labelled(
        _tab_stops(page),
        "Templat jawaban sesuai peraturan",
        "Sisipkan templat",
        "Teks jawaban untuk pemohon",
        "Kirim jawaban",
        "Topik",
        "Layanan",
        "Teruskan kasus",
    )


# The browser's own accessibility tree (Chromium's, through the DevTools protocol): every control
# must have a name a screen reader can say.
CONTROLS = ("button", "textbox", "searchbox", "combobox", "listbox", "checkbox", "radio", "link")


def _unnamed_controls(page: Page) -> tuple[int, list[dict[str, Any]]]:
    cdp = page.context.new_cdp_session(page)
    try:
        nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        cdp.detach()
    controls = [n for n in nodes if not n.get("ignored") and n.get("role", {}).get("value") in CONTROLS]
    unnamed = [n for n in controls if not str(n.get("name", {}).get("value", "")).strip()]
    return len(controls), unnamed


# The same in Playwright's ARIA snapshot: a control line with no quoted name after its role.
_UNNAMED_LINE = re.compile(rf"^\s*- '?(?:{'|'.join(CONTROLS)})(?!\s+\")")


def test_every_control_on_every_page_has_a_name_in_the_accessibility_tree(
    new_page: Callable[[], Page], pipeline: Pipeline
) -> None:
    admin_case = pipeline.inquire(topic="informasi", service="kia")
    kasi_case = pipeline.inquire(topic="kebijakan", service="akta_kelahiran", text=POLICY_QUESTION)
    checked: dict[str, int] = {}

    def check(page: Page, what: str) -> None:
        count, unnamed = _unnamed_controls(page)
        assert count > 0, f"{what}: no controls found in the accessibility tree"
        assert not unnamed, f"{what}: controls without a name: {unnamed}"
        snapshot = page.locator("body").aria_snapshot()
        lines = [line for line in snapshot.splitlines() if _UNNAMED_LINE.match(line)]
        assert not lines, f"{what}: {lines}"
        checked[what] = count

    admin = new_page()
    admin.goto("/masuk")
    check(admin, "masuk")
    admin.get_by_label("Nama pengguna").fill(RINA.username)
    admin.get_by_label("Kata sandi").fill("salah-salah-salah")
    admin.get_by_role("button", name="Masuk").click()
    expect(admin.get_by_role("alert")).to_be_visible()
    check(admin, "masuk, salah")
    log_in(admin, RINA)
    expect(queue_row(admin, admin_case.ticket)).to_be_visible()
    check(admin, "antrean")
    take_next(admin)
    check(admin, "kasus (admin: jawab, triase)")
    admin.goto("/kartu")
    check(admin, "kartu kendali, cari")
    admin.goto(f"/kartu/{admin_case.inquiry_id}")
    check(admin, "kartu kendali")
    admin.goto(f"/antrean/{BUDI.unit}")
    check(admin, "akses ditolak")

    kasi = new_page()
    log_in(kasi, BUDI)
    take_next(kasi)
    check(kasi, "kasus (kasi: jawab, eskalasi)")
    kasi.goto("/peringatan")
    check(kasi, "peringatan")
    kasi.goto("/ringkasan")
    check(kasi, "ringkasan")
    assert kasi_case.unit == BUDI.unit
    assert len(checked) == 10, checked
