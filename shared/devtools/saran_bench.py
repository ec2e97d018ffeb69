"""Answer suggestions at scale: 100,000 answered cases indexed, latency per suggestion and memory.

    .venv/bin/python -m shared.devtools.saran_bench [--cases 100000] [--queries 2000] [--out FILE]

In a throwaway database on `BAMSOS_DATABASE_URL`'s server: fills `inquiries` with answered cases
(chat questions built from the held-out set's phrasing with misspellings, numbers and place names;
answers from the templates plus a personal line), reads them into `PastAnswers` as the console does
at start (timed; memory by tracemalloc), then asks the held-out questions in turn with a random case
service and times each whole `suggest()` (templates, past answers, reading and masking the three
shown). Writes the figures, with the command, to docs/saran-bench.txt (or --out).
"""

from __future__ import annotations

import argparse
import gc
import platform
import random
import statistics
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from services.console.answers import as_templates, load_answers
from shared.devtools.sandbox import temporary_database
from shared.runtime.settings import Settings
from shared.runtime.storage import inquiries, make_engine
from shared.sop.contracts import Service
from shared.staff.saran import PastAnswers, Suggester

REPO = Path(__file__).resolve().parents[2]
HELD_OUT = REPO / "tests/unit/shared/staff/saran/pertanyaan.yaml"
PLACES = [
    "sukajadi",
    "senapelan",
    "rumbai",
    "tampan",
    "marpoyan",
    "payung",
    "sekaki",
    "bukit-raya",
    "tenayan-raya",
    "lima-puluh",
    "sail",
]
FILLERS = ["min", "kak", "tolong", "mohon infonya", "makasih", "🙏", "udh 2 minggu", "buat sekolah", ""]


def _misspell(word: str, rng: random.Random) -> str:
    vowels = [i for i, c in enumerate(word) if c in "aiueo"]
    if len(word) > 4 and vowels and rng.random() < 0.15:
        i = rng.choice(vowels)
        return word[:i] + word[i + 1 :]
    return word


def _question(base: str, rng: random.Random) -> str:
    words = [_misspell(w, rng) for w in base.split()]
    extra = [rng.choice(FILLERS), f"kel {rng.choice(PLACES)}"]
    if rng.random() < 0.2:
        extra.append(f"nik {rng.randrange(10**15, 10**16)}")
    if rng.random() < 0.1:
        extra.append(f"wa 08{rng.randrange(10**9, 10**10)}")
    return " ".join(words + extra)


def fill(database_url: str, cases: int, seed: int = 26) -> None:
    """Insert `cases` answered cases, in batches."""
    rng = random.Random(seed)
    labelled = yaml.safe_load(HELD_OUT.read_text(encoding="utf-8"))
    templates = {f"{t.layanan or 'umum'}: {t.judul}": t for t in as_templates(load_answers())}
    pairs = [(q, templates[label]) for label, questions in labelled.items() for q in questions]
    start = datetime(2025, 1, 1, tzinfo=UTC)
    engine = make_engine(database_url)
    batch: list[dict[str, object]] = []
    for n in range(cases):
        question, template = rng.choice(pairs)
        at = start + timedelta(seconds=n * 300)
        service = template.layanan if template.layanan else rng.choice(list(Service)).value
        batch.append(
            {
                "inquiry_id": f"bench-{n}",
                "channel": "whatsapp",
                "upstream_id": f"wa-{n}",
                "account": f"62812{n:08d}",
                "text": _question(question, rng),
                "service": service,
                "topic": "informasi",
                "sent_at": at,
                "received_at": at,
                "ticket": f"B-{n:06d}",
                "reply_id": f"reply-{n}",
                "reply_text": f"{template.teks} Untuk kelurahan {rng.choice(PLACES)}, silakan datang.",
                "replied_at": at + timedelta(minutes=3),
            }
        )
        if len(batch) == 5000:
            with engine.begin() as db:
                db.execute(inquiries.insert(), batch)
            batch = []
    if batch:
        with engine.begin() as db:
            db.execute(inquiries.insert(), batch)
    engine.dispose()


def measure(database_url: str, queries: int, seed: int = 26) -> dict[str, float]:
    """Load time, index memory and per-suggestion latency percentiles (ms)."""
    suggester = Suggester(as_templates(load_answers()))
    engine = make_engine(database_url)
    gc.collect()
    tracemalloc.start()
    traced = PastAnswers(engine, suggester.terms)
    traced.refresh(now=time.monotonic())
    memory, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del traced
    gc.collect()
    started = time.perf_counter()
    suggester.past = PastAnswers(engine, suggester.terms)
    suggester.past.refresh(now=time.monotonic())
    load = time.perf_counter() - started
    rng = random.Random(seed)
    labelled = yaml.safe_load(HELD_OUT.read_text(encoding="utf-8"))
    questions = [q for qs in labelled.values() for q in qs]
    services = [None, *(s.value for s in Service)]
    times = []
    for n in range(queries):
        question, service = questions[n % len(questions)], rng.choice(services)
        started = time.perf_counter()
        suggester.suggest(question, service=service)
        times.append((time.perf_counter() - started) * 1000)
    cuts = statistics.quantiles(times, n=100)
    return {
        "cases": len(suggester.past),
        "load_s": round(load, 1),
        "index_mb": round(memory / 1e6, 1),
        "index_arrays_mb": round(suggester.past.memory_bytes() / 1e6, 1),
        "p50_ms": round(cuts[49], 2),
        "p95_ms": round(cuts[94], 2),
        "p99_ms": round(cuts[98], 2),
        "max_ms": round(max(times), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=REPO / "docs/saran-bench.txt")
    args = parser.parse_args()
    settings = Settings()
    with temporary_database(settings.database_url, prefix="bamsos_saran_bench") as url:
        started = time.perf_counter()
        fill(url, args.cases)
        print(f"{args.cases:,} answered cases written in {time.perf_counter() - started:.0f} s", flush=True)
        figures = measure(url, args.queries)
    lines = [
        "# Answer suggestions at scale (README 'Answer suggestions'). Reproduce with:",
        f"#   .venv/bin/python -m shared.devtools.saran_bench --cases {args.cases} --queries {args.queries}",
        f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}, PostgreSQL on localhost, machine shared with other work",
        *(f"{key}: {value}" for key, value in figures.items()),
    ]
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
