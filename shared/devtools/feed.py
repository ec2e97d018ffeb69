"""A realistic feed of citizens' inquiries in Indonesian, over every SOP path, for demos and tests.

Names, accounts and numbers are invented.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

from shared.sop.contracts import Channel, Inquiry, Service, Topic

# (topic, service, text): what citizens actually write, informal spelling included.
SAMPLES: list[tuple[Topic | None, Service | None, str]] = [
    (
        Topic.informasi,
        Service.ktp_el,
        "Selamat siang min, mau tanya syarat bikin e-KTP untuk anak yg baru 17 thn apa aja ya?",
    ),
    (
        Topic.informasi,
        Service.kk,
        "Kak, kalau mau tambah anggota keluarga di KK karena anak baru lahir, syaratnya apa saja?",
    ),
    (
        Topic.informasi,
        Service.akta_kelahiran,
        "Permisi, buat akte kelahiran anak pertama bisa online ga ya? gmn caranya?",
    ),
    (
        Topic.informasi,
        Service.kia,
        "Min, KIA buat anak umur 3 tahun bisa diurus di kantor kecamatan atau harus ke dinas?",
    ),
    (
        Topic.informasi,
        Service.pindah_datang,
        "Assalamualaikum, saya mau pindah domisili dari Medan ke Pekanbaru, alurnya gimana ya?",
    ),
    (
        Topic.kebijakan,
        Service.ktp_el,
        "Min, KTP saya hilang pas banjir, surat kehilangan dari polisi blm ada, bisa cetak ulang?",
    ),
    (
        Topic.kebijakan,
        Service.akta_kelahiran,
        "Anak saya lahir di rumah tanpa surat bidan, apakah tetap bisa dibuatkan akta kelahiran?",
    ),
    (
        Topic.kebijakan,
        Service.kk,
        "Saya numpang KK di rumah mertua tapi mau pisah KK, apa boleh walau belum punya rumah?",
    ),
    (
        Topic.kebijakan,
        Service.akta_perkawinan,
        "Nikah siri apa bisa dicatat di KK sebagai suami istri? mohon penjelasannya min",
    ),
    (
        Topic.kesalahan_data,
        Service.kk,
        "Min nama ibu saya di KK salah ketik, harusnya Nurhayati bukan Nurhayani. Mohon dibantu",
    ),
    (
        Topic.kesalahan_data,
        Service.ktp_el,
        "Tgl lahir di e-KTP saya beda dgn ijazah, padahal waktu rekam sudah benar. gmn ini kak?",
    ),
    (
        Topic.kesalahan_data,
        Service.akta_kelahiran,
        "Di akte anak saya nama ayahnya typo, udah dicek berkasnya benar. Mohon diperbaiki",
    ),
    (
        Topic.belum_terbit,
        Service.akta_kematian,
        "Sudah 2 minggu urus akta kematian bapak saya tp blm keluar juga, statusnya gimana ya?",
    ),
    (
        Topic.belum_terbit,
        Service.ktp_el,
        "Rekam KTP bulan lalu, katanya tinggal tanda tangan kepala dinas, kapan bisa jadi min?",
    ),
    (
        Topic.belum_terbit,
        Service.akta_perceraian,
        "Pengajuan akta cerai saya sdh lengkap sejak 10 hari lalu tapi belum ditandatangani",
    ),
    (
        Topic.dokumen_terbit,
        Service.kk,
        "KK baru saya katanya sudah terbit, ambilnya dimana dan jam berapa ya kak?",
    ),
    (
        Topic.dokumen_terbit,
        Service.ktp_el,
        "Min e-KTP saya udh jadi kata petugas, bisa diwakilkan ambilnya ga?",
    ),
    (
        Topic.dokumen_terbit,
        Service.akta_kelahiran,
        "Akte kelahiran anak sudah selesai, apakah bisa dikirim lewat pos atau harus ambil?",
    ),
    (None, None, "Halo, mau nanya kantor disdukcapil buka hari sabtu nggak ya? 🙏"),
    (None, None, "min tolong dong, kok NIK saya tidak terdaftar waktu daftar BPJS?"),
]

FIRST_NAMES = ["Siti", "Budi", "Dewi", "Agus", "Rahmat", "Putri", "Yusuf", "Fitri", "Andi", "Nur"]
LAST_NAMES = ["Lestari", "Saputra", "Wahyuni", "Hidayat", "Siregar", "Nasution", "Harahap"]


def make_inquiries(count: int, seed: int | None = None) -> list[Inquiry]:
    """`count` inquiries cycling through every sample (so every path), in random channels."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    out = []
    for i in range(count):
        topic, service, text = SAMPLES[i % len(SAMPLES)]
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        out.append(
            Inquiry(
                id=uuid.uuid4().hex[:16],
                channel=rng.choice(list(Channel)),
                account=f"@{first.lower()}{last.lower()}{rng.randint(1, 999)}",
                name=f"{first} {last}",
                sent_at=now - timedelta(seconds=rng.uniform(0.2, 6)),
                text=text,
                service=service,
                topic=topic,
            )
        )
    return out
