"""What is suggested: a template or a past answer, as the console shows it and `bamsos saran` prints."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

Source = Literal["templat", "jawaban"]


@dataclass(frozen=True)
class Suggestion:
    """One suggestion. A past answer carries its case's ticket and date and the question, masked;
    never the citizen's name or account."""

    sumber: Source
    judul: str
    layanan: str | None
    skor: float
    teks: str
    kunci: str  # the template's key, or "jawaban" for a past answer: what the usage metric counts
    dasar: str | None = None
    tiket: str | None = None
    tanggal: date | None = None
    pertanyaan: str | None = None

    def as_json(self) -> dict[str, object]:
        """The JSON object `bamsos saran --json` prints: judul, layanan, skor, sumber, teks, and
        dasar for a template, tiket, tanggal and pertanyaan for a past answer."""
        out: dict[str, object] = {
            "judul": self.judul,
            "layanan": self.layanan,
            "skor": self.skor,
            "sumber": self.sumber,
            "teks": self.teks,
        }
        if self.sumber == "templat":
            out["dasar"] = self.dasar
        else:
            out |= {"tiket": self.tiket, "tanggal": self.tanggal.isoformat() if self.tanggal else None}
            out["pertanyaan"] = self.pertanyaan
        return out
