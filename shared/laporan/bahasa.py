"""How the laporan writes codes and numbers in Bahasa Indonesia: 1.234 cases, 93,5%, "KTP-el"."""

from __future__ import annotations

from shared.sop.citizen import GRADES, LEGACY_POINTS, LEGACY_WORDS, SCALE_WORDS, SKM_SCALE, skm_index
from shared.sop.rules import STEP_NAMES

UNCLASSIFIED = "Belum diklasifikasi"
DASH = "\u2013"  # an en dash: "no value", as printed tables write it

CHANNELS = {
    "instagram": "Instagram",
    "facebook": "Facebook",
    "whatsapp": "WhatsApp",
    "x": "X (Twitter)",
    "tiktok": "TikTok",
    "telegram": "Telegram",
    "email": "Surel (e-mail)",
    "web": "Situs web",
}

TOPICS = {
    "informasi": "Informasi pelayanan",
    "kebijakan": "Kebijakan",
    "kesalahan_data": "Kesalahan data",
    "belum_terbit": "Dokumen belum terbit",
    "dokumen_terbit": "Dokumen sudah terbit",
}

SERVICES = {
    "ktp_el": "KTP-el",
    "kk": "Kartu Keluarga",
    "kia": "Kartu Identitas Anak",
    "akta_kelahiran": "Akta Kelahiran",
    "akta_kematian": "Akta Kematian",
    "akta_perkawinan": "Akta Perkawinan",
    "akta_perceraian": "Akta Perceraian",
    "pindah_datang": "Pindah Datang",
    "lainnya": "Lainnya",
}

# The SOP's own names of its pelaksana, in the order of its table.
ROLES = {
    "admin": "Admin/Petugas BAMSOS",
    "kasi": "Kepala Seksi",
    "kabid": "Kepala Bidang",
    "editor": "Operator Editor",
    "pickup": "Petugas Pengambilan Dokumen",
    "kadis": "Kepala Dinas",
    "pemohon": "Pemohon (penerimaan jawaban)",
}

PATHS = {
    "3": "Langkah 3",
    "3-4": "Langkah 3 lalu 4",
    "5": "Langkah 5",
    "6": "Langkah 6",
    "7": "Langkah 7",
}


# The columns that time steps against their standard, in the PDF and the XLSX alike.
TIMING_HEADER = (
    "Selesai",
    "Dalam baku",
    "% dalam baku",
    "Median (menit)",
    "P90 (menit)",
    "Terlambat",
    "Terbuka",
)


# The satisfaction survey (SKM): the scores' meaning, in the survey's own words (the regulation's).
RATING_WORDS = {score: word.capitalize() for score, word in SCALE_WORDS.items()}
LEGACY_RATING_WORDS = {score: word.capitalize() for score, word in LEGACY_WORDS.items()}
NO_RATINGS = "Belum ada penilaian kepuasan pada periode ini."
NO_OFFICER = "Tanpa paraf petugas"
# The columns that give ratings per channel, service or officer, in the PDF and the XLSX alike.
RATING_HEADER = ("Penilaian", f"Rata-rata (1-{SKM_SCALE[1]})", "Indeks SKM", "Mutu")


def label(names: dict[str, str], code: str | None) -> str:
    """The Indonesian name of a code; an unknown code shows as itself, a missing one as unclassified."""
    if code is None:
        return UNCLASSIFIED
    return names.get(code, code)


def path_label(path: str | None) -> str:
    return "Belum selesai" if path is None else PATHS.get(path, f"Langkah {path}")


def step_label(step: int) -> str:
    return f"{step}. {STEP_NAMES.get(step, '')}"


def count_text(n: int) -> str:
    """1234567 -> "1.234.567": Indonesian groups thousands with a dot."""
    return f"{n:,}".replace(",", ".")


def decimal_text(x: float | None, digits: int = 1) -> str:
    """2.25 -> "2,3": a decimal comma; a missing value is a dash."""
    if x is None:
        return DASH
    return f"{x:,.{digits}f}".replace(",", "\0").replace(".", ",").replace("\0", ".")


def percent_text(share: float | None) -> str:
    """0.935 -> "93,5%"; no cases -> a dash (not 0%, which would read as a failure)."""
    return DASH if share is None else f"{decimal_text(share * 100)}%"


def grade_text(grade: tuple[str, str] | None) -> str:
    """("B", "Baik") -> "B (Baik)"."""
    return DASH if grade is None else f"{grade[0]} ({grade[1]})"


def skm_note() -> str:
    """The scale and its conversion, in one sentence, from the rules the index is computed by."""
    low, high = SKM_SCALE
    grades = ", ".join(
        f"{letter} ({words}) mulai {decimal_text(bound, 2)}" for bound, letter, words in GRADES if bound
    )
    last = next(f"{letter} ({words})" for bound, letter, words in GRADES if not bound)
    scale = ", ".join(f"{score} {word}" for score, word in SCALE_WORDS.items())
    return (
        f"Pemohon menilai pelayanan setelah jawaban diterima dengan skala {low}{DASH}{high} Survei "
        f"Kepuasan Masyarakat ({scale}); nilai rata-rata dikali {decimal_text(skm_index(1), 0)} menjadi "
        f"Indeks Kepuasan Masyarakat {decimal_text(skm_index(low), 0)}{DASH}"
        f"{decimal_text(skm_index(high), 0)} "
        f"dan diberi mutu pelayanan menurut Peraturan Menteri Pendayagunaan Aparatur Negara dan "
        f"Reformasi Birokrasi Nomor 14 Tahun 2017 tentang Pedoman Penyusunan Survei Kepuasan Masyarakat "
        f"Unit Penyelenggara Pelayanan Publik: {grades}, di bawahnya {last}."
    )


def legacy_note(responses: int) -> str:
    """How the 1-5 ratings of surveys sent before the 4-point scale count, for a period holding some."""
    pairs = ", ".join(
        f"{score} ({LEGACY_WORDS[score]}) menjadi {decimal_text(points, 1 if points % 1 else 0)}"
        for score, points in LEGACY_POINTS.items()
    )
    return (
        f"{count_text(responses)} penilaian pada periode ini menjawab survei lama berskala 1{DASH}5. "
        f"Nilainya tetap tersimpan apa adanya dan dihitung pada skala 1{DASH}4 menurut katanya: {pairs}; "
        f'"cukup", yang tidak ada pada skala peraturan, diletakkan di antara kurang baik dan baik.'
    )
