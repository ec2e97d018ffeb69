"""`python -m shared.devtools.laporan_bench`: time the laporan on generated months of 100k and 1M cases.

Each size gets a throwaway database, filled in SQL (`generate_series`): cases over the month, more
on working days and in office hours, every SOP path, officers per role, some 8% of steps over their
standard, a few cases still open. Each format is then written by a fresh process, which reports its
wall time and peak memory (max RSS): the figures in the README. Not a test: CI does not run it.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared.devtools.sandbox import temporary_database
from shared.laporan import FORMATS, Format, Office, Period, write_laporan
from shared.runtime.settings import Settings
from shared.runtime.storage import make_engine
from shared.sop.contracts import Service
from shared.sop.office_calendar import office_zone
from shared.sop.orgchart import load_chart

MONTH = "2026-11"

# Day weights: working days busy and uneven, weekends quiet. Cases fall on a day by their rank.
_DAYS = """
CREATE TEMP TABLE bench_days ON COMMIT DROP AS
SELECT day,
       (sum(w) OVER (ORDER BY day) - w) / sum(w) OVER () AS lo,
       sum(w) OVER (ORDER BY day) / sum(w) OVER () AS hi
FROM (
    SELECT day::date AS day,
           CASE WHEN extract(isodow FROM day) >= 6 THEN 0.2
                ELSE 1 + 0.35 * sin(extract(day FROM day)) END AS w
    FROM generate_series(CAST(:first AS date), CAST(:last AS date), interval '1 day') AS day
) weights
"""

_CASES = """
CREATE TEMP TABLE bench_cases ON COMMIT DROP AS
SELECT g, r, received_at,
       CASE WHEN r < 0.45 THEN 'informasi' WHEN r < 0.65 THEN 'kebijakan' WHEN r < 0.77 THEN 'kesalahan_data'
            WHEN r < 0.88 THEN 'belum_terbit' ELSE 'dokumen_terbit' END AS topic,
       (ARRAY['ktp_el','kk','akta_kelahiran','kia','pindah_datang','akta_kematian','akta_perkawinan',
              'akta_perceraian','lainnya'])[1 + floor(power(random(), 1.6) * 9)::int] AS service,
       (ARRAY['whatsapp','instagram','facebook','x','tiktok','telegram','email','web'])
           [1 + floor(power(random(), 2) * 8)::int] AS channel,
       g % 67 = 0 AS still_open,
       extract(day FROM received_at AT TIME ZONE CAST(:zone AS text)) AS day_of_month
FROM (
    SELECT g, random() AS r,
           (d.day + time '07:30' + random() * interval '8 hours 30 minutes') AT TIME ZONE CAST(:zone AS text)
               AS received_at
    FROM generate_series(1, CAST(:n AS integer)) AS g
    JOIN bench_days d ON (g - 0.5) / :n > d.lo AND (g - 0.5) / :n <= d.hi
) drawn
"""

_INQUIRIES = """
INSERT INTO inquiries (inquiry_id, channel, upstream_id, account, name, text, service, topic, sent_at,
                       received_at, reply_id, reply_text, replied_at, delivered_at, path)
SELECT md5('bench' || g), channel, 'b' || g, 'warga.' || g, 'Warga Kota ' || g,
       'Selamat pagi, bagaimana cara mengurus ' || service || '? NIK saya 1471' || lpad(g::text, 12, '0'),
       service, topic, received_at - interval '40 seconds', received_at,
       CASE WHEN NOT still_open THEN 'reply' || g END,
       CASE WHEN NOT still_open THEN 'Terima kasih, informasinya sebagai berikut.' END,
       CASE WHEN NOT still_open THEN received_at + interval '20 minutes' END,
       CASE WHEN NOT still_open THEN received_at + interval '21 minutes' END,
       CASE WHEN still_open THEN NULL
            WHEN topic = 'informasi' THEN '3' WHEN topic = 'kebijakan' AND r < 0.52 THEN '3-4'
            WHEN topic = 'kebijakan' THEN '3' WHEN topic = 'kesalahan_data' THEN '5'
            WHEN topic = 'belum_terbit' THEN '6' ELSE '7' END
FROM bench_cases
"""

# One row per step of each case: (step, from, to, officers to draw from, standard, does it apply).
# Durations are the standard times a skewed random factor that is worse on some days, so the
# chart moves; the path step of an open case is still open.
_HANDOVERS = """
INSERT INTO handovers (inquiry_id, step, from_role, to_role, seksi, bidang, officer, handed_at, taken_at,
                       done_at, due_at, standard_seconds, duration_seconds, breached, outcome)
SELECT inquiry_id, step, from_role, to_role, seksi, bidang, officer, received_at, taken_at,
       CASE WHEN is_open THEN NULL ELSE received_at + duration * interval '1 second' END,
       received_at + standard * interval '1 second', standard,
       CASE WHEN is_open THEN NULL ELSE duration END,
       CASE WHEN is_open THEN NULL ELSE duration > standard END,
       CASE WHEN is_open THEN NULL ELSE 'answered' END
FROM (
    SELECT md5('bench' || c.g) AS inquiry_id, s.step, s.from_role, s.to_role,
           CASE WHEN s.to_role IN ('kasi', 'kabid') THEN u.seksi END AS seksi,
           CASE WHEN s.to_role = 'kabid' THEN u.bidang END AS bidang,
           s.officers[1 + (c.g * 3 + s.step) % cardinality(s.officers)] AS officer,
           c.received_at, CASE WHEN s.officers IS NOT NULL THEN c.received_at END AS taken_at,
           s.standard,
           s.standard * (0.2 + 1.05 * power(random(), 4) * (1 + 0.2 * sin(c.day_of_month / 2.0))) AS duration,
           c.still_open AND s.step BETWEEN 3 AND 7 AS is_open
    FROM bench_cases c
    JOIN bench_units u ON u.service = c.service
    CROSS JOIN LATERAL (VALUES
        (1, 'pemohon', 'admin', NULL::text[], 300, true),
        (2, 'pemohon', 'admin', NULL::text[], 180, true),
        (3, 'admin', 'admin', ARRAY['Sari', 'Rahmat', 'Dewi', 'Yusuf', 'Fitri', 'Hendra'], 300,
            c.topic = 'informasi' OR (c.topic = 'kebijakan' AND c.r >= 0.52)),
        (3, 'admin', 'kasi', ARRAY['Budi', 'Rina', 'Agus'], 300, c.topic = 'kebijakan'),
        (4, 'kasi', 'kabid', ARRAY['Irma', 'Syahrul'], 300, c.topic = 'kebijakan' AND c.r < 0.52),
        (5, 'admin', 'editor', ARRAY['Dedi', 'Nur'], 300, c.topic = 'kesalahan_data'),
        (6, 'admin', 'kasi', ARRAY['Budi', 'Rina', 'Agus'], 300, c.topic = 'belum_terbit'),
        (7, 'admin', 'pickup', ARRAY['Wati', 'Eko'], 180, c.topic = 'dokumen_terbit'),
        (8, 'admin', 'pemohon', NULL::text[], 120, NOT c.still_open)
    ) AS s(step, from_role, to_role, officers, standard, applies)
    WHERE s.applies
) steps
"""


def generate(db: Connection, cases: int, period: Period) -> None:
    """Fill an empty, migrated database with `cases` cases received in `period`."""
    chart = load_chart()
    units = [
        (s.value, chart.seksi_of_service(s), chart.bidang_of_seksi(chart.seksi_of_service(s)))
        for s in Service
    ]
    db.execute(sa.text("SELECT setseed(0.42)"))
    db.execute(
        sa.text("CREATE TEMP TABLE bench_units (service text, seksi text, bidang text) ON COMMIT DROP")
    )
    db.execute(
        sa.text("INSERT INTO bench_units VALUES (:s, :k, :b)"),
        [{"s": s, "k": k, "b": b} for s, k, b in units],
    )
    db.execute(sa.text(_DAYS), {"first": period.first, "last": period.last})
    db.execute(sa.text(_CASES), {"n": cases, "zone": period.zone.key})
    db.execute(sa.text(_INQUIRIES))
    db.execute(sa.text(_HANDOVERS))


def measure(database_url: str, fmt: Format, out: Path) -> dict[str, float]:
    """Write one laporan of the bench month; its time, and this process's peak memory."""
    engine = make_engine(database_url)
    settings = Settings()
    period = Period.month(MONTH, office_zone(settings))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    # The register in full, as the figures in docs/results were measured.
    write_laporan(
        engine, period, fmt, out, office=Office.from_settings(settings), mask=False, now=datetime.now(UTC)
    )
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(peak / 1024, 1),
        "rss_before_mb": round(before / 1024, 1),
        "file_mb": round(out.stat().st_size / 1e6, 2),
    }


def run(sizes: list[int], out_dir: Path) -> list[dict[str, object]]:
    results: list[dict[str, object]] = []
    settings = Settings()
    for n in sizes:
        with temporary_database(settings.database_url, prefix="bamsos_laporan_bench") as url:
            engine = make_engine(url)
            started = time.perf_counter()
            with engine.begin() as db:
                generate(db, n, Period.month(MONTH, office_zone(settings)))
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as db:
                db.execute(sa.text("VACUUM ANALYZE"))
            print(f"{n:>9,} cases generated in {time.perf_counter() - started:.1f} s", flush=True)
            engine.dispose()
            for fmt in FORMATS:
                out = out_dir / f"laporan-{n}.{fmt}"
                child = [
                    sys.executable,
                    "-m",
                    "shared.devtools.laporan_bench",
                    "--measure",
                    fmt,
                    "--url",
                    url,
                    "--out",
                    str(out),
                ]
                figures = json.loads(
                    subprocess.run(child, check=True, stdout=subprocess.PIPE, text=True).stdout
                )
                results.append({"cases": n, "format": fmt, **figures})
                print(f"{n:>9,} cases  {fmt:<4}  {figures}", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--out-dir", type=Path, help="Keep the laporan files here (default: a temp dir).")
    parser.add_argument("--measure", choices=FORMATS, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.url, args.measure, args.out)))
        return
    if args.out_dir:
        args.out_dir.mkdir(parents=True, exist_ok=True)
        run(args.cases, args.out_dir)
        return
    with tempfile.TemporaryDirectory() as tmp:
        run(args.cases, Path(tmp))


if __name__ == "__main__":
    main()
