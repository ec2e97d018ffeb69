"""Chat text to search terms: the classifier's normalisation, a few retrieval synonyms, a light stemmer.

"gmn sy bikin ktp el, syarat2nya apa aja min 🙏" -> ["bagaimana", "buat", "ktpel", "syarat", ...]:
the chat spelling is expanded by the classifier's own table (`shared/sop/classify_rules.yaml`, so
an office that teaches the classifier a word teaches the suggestions too), multi-word names become
one term ("ktp el" -> "ktpel", "kartu keluarga" -> "kk"), and each word loses its affixes.

Why a hand-written stemmer and not Sastrawi (MIT, 0.8 MB): Sastrawi stems dictionary words well,
but a word it does not know costs it 0.1-1.5 s of backtracking ("ktpnya" 1.46 s, "ngurusin" 0.56 s,
measured here), chat is mostly such words, and it turns "menikah" into "meni". Retrieval needs the
same term for the same word on both sides, not the dictionary root: stripping the particles, the
possessives and the common prefixes and suffixes, checked against a short list of the roots this
domain uses, does that in microseconds.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.resources import files

from shared.sop.classify import Rules, load_rules, normalise

# Several words that name one thing, as one term (after the classifier's normalisation).
_PHRASES = {
    "ktp el": "ktpel",
    "ktp": "ktpel",
    "bukunikah": "bukunikah",
    "kartu tanda penduduk": "ktpel",
    "kartu keluarga": "kk",
    "kartu identitas anak": "kia",
    "kartu anak": "kia",
    "surat keterangan pindah": "skp",
    "skpwni": "skp",
    "buku nikah": "bukunikah",
    "surat keterangan kelahiran": "skl",
    "surat keterangan lahir": "skl",
    "surat kehilangan": "surat keterangan hilang",
    "e mail": "email",
    # mixed-language chat: the English names of the documents
    "id card": "ktpel",
    "identity card": "ktpel",
    "family card": "kk",
    "birth certificate": "akta lahir",
    "death certificate": "akta mati",
    "marriage certificate": "akta kawin",
    "divorce certificate": "akta cerai",
}
_PHRASE_RE = re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, _PHRASES), key=len, reverse=True)) + r")\b")

# Words that mean the same thing to an officer choosing an answer (after stemming).
_SYNONYMS = {
    "ktp": "ktpel",
    "bukunikah": "bukunikah",
    "nikah": "kawin",
    "menikah": "kawin",
    "meninggal": "mati",
    "kelahiran": "lahir",
    "wafat": "mati",
    "almarhum": "mati",
    "bayar": "biaya",
    "gratis": "biaya",
    "tarif": "biaya",
    "harga": "biaya",
    "duit": "biaya",
    "uang": "biaya",
    "pungli": "biaya",
    "ilang": "hilang",
    "lenyap": "hilang",
    "robek": "rusak",
    "sobek": "rusak",
    "patah": "rusak",
    "pudar": "rusak",
    "luntur": "rusak",
    "retak": "rusak",
    "typo": "salah",
    "keliru": "salah",
    "ganti": "ubah",
    "lahiran": "lahir",
    "bayi": "lahir",
    "pisah": "cerai",
    "talak": "cerai",
    "jadi": "terbit",
    "kelar": "terbit",
    "selesai": "terbit",
    "lama": "cepat",
    "lambat": "cepat",
    "betul": "baik",
    "benar": "baik",
    # mixed-language chat: English words for what is asked
    "requirements": "syarat",
    "requirement": "syarat",
    "lost": "hilang",
    "broken": "rusak",
    "damaged": "rusak",
    "change": "ubah",
    "update": "ubah",
    "cost": "biaya",
    "fee": "biaya",
    "price": "biaya",
    "pay": "biaya",
    "free": "biaya",
    "ready": "terbit",
    "pickup": "ambil",
    "birth": "lahir",
    "newborn": "lahir",
    "baby": "lahir",
    "death": "mati",
    "died": "mati",
    "marriage": "kawin",
    "married": "kawin",
    "divorce": "cerai",
    "move": "pindah",
    "moving": "pindah",
    "moved": "pindah",
    "register": "daftar",
    "new": "baru",
    "address": "alamat",
    "name": "nama",
    "wrong": "salah",
    "misspelled": "salah",
}

# Function words and chat fillers: they say nothing about which answer fits.
_STOPWORD_TEXT = """
ada adalah agar akan aku apa apakah atau bagaimana bagi bahwa bang banget biar bisa boleh bu buat
dan dari dengan di dia dong ini itu jika juga kak kakak kalau kami kan karena ke kenapa kok lagi lah
mas mbak min mimin minta mohon nya nih oleh pak pada para pun punya saja sama saya sekarang selamat
siang sih sore ya tanya tapi terima kasih tersebut tolong untuk yang malam pagi permisi halo hai
assalamualaikum admin gan sis bro deh dulu gitu gimana udah kah tuh the i my please how what is a an
to of for and hello hi thanks thank you info anyone there can do does i we it get need still make
out from here just what much my our on in mau ingin nggak cara caranya
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

# Sastrawi's dictionary of 29,932 Indonesian root words (read once, about 2 MB in memory).
_DICTIONARY = files("Sastrawi.Stemmer") / "data" / "kata-dasar.txt"
_PARTICLES = ("lah", "kah", "tah", "pun")
_POSSESSIVES = ("nya", "ku", "mu")
_SUFFIXES = ("kan", "an", "in", "i")
_PREFIXES = ("di", "ke", "se", "ter", "ber", "be", "per", "pe", "me")
# A nasal prefix swallows the root's first sound: men+tulis = menulis, mem+pakai = memakai.
_NASALS = (("ng", ("", "k")), ("ny", ("s",)), ("m", ("", "p")), ("n", ("", "t")), ("", ("",)))
_MIN_STEM = 3


@lru_cache(maxsize=1)
def roots() -> frozenset[str]:
    """The root words a stem may be (Sastrawi's dictionary)."""
    return frozenset(_DICTIONARY.read_text(encoding="utf-8").split())


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The word's root, well enough for matching: "persyaratannya" -> "syarat", "dibuatkan" ->
    "buat", "kehilangan" -> "hilang", "perekaman" -> "rekam". Candidates with the affixes taken off
    are checked against the dictionary; a word none of them matches loses one prefix and one suffix,
    the same way on both sides of the search. Cached: chat repeats its words."""
    if word in _SYNONYMS:
        return _SYNONYMS[word]
    if len(word) <= 3 or not word.isalpha() or word in roots():
        return word
    no_particle = _strip_end(word, _PARTICLES)
    bare = _strip_end(no_particle, _POSSESSIVES)
    for body in dict.fromkeys((word, no_particle, bare)):  # "bertanya" is no "berta" + "-nya"
        for stripped in (body, *(body[: -len(s)] for s in _SUFFIXES if body.endswith(s))):
            for candidate in (stripped, *_without_prefixes(stripped)):
                if candidate in roots():
                    return _SYNONYMS.get(candidate, candidate)
    light = _strip_end(bare, _SUFFIXES)
    light = next(iter(_without_prefixes(light)), light)
    return _SYNONYMS.get(light, light)


def _strip_end(word: str, endings: tuple[str, ...]) -> str:
    for ending in endings:
        if word.endswith(ending) and len(word) - len(ending) >= _MIN_STEM:
            return word[: -len(ending)]
    return word


def _without_prefixes(word: str, depth: int = 2) -> list[str]:
    """Every way to take one or two prefixes off, nasal sounds restored: "memperbaiki" -> ["mperbaiki",
    "perbaiki", "baiki", ...]."""
    out: list[str] = []
    for prefix in _PREFIXES:
        if not word.startswith(prefix):
            continue
        rest = word[len(prefix) :]
        for nasal, restored in _NASALS:
            if (prefix not in ("me", "pe") and nasal) or not rest.startswith(nasal):
                continue
            for sound in restored:
                root = sound + rest[len(nasal) :]
                if len(root) >= _MIN_STEM:
                    out.append(root)
                    out += _without_prefixes(root, depth - 1) if depth > 1 else []
    return out


class Terms:
    """Text to search terms with one office's normalisation rules: `Terms(rules)(text)`."""

    def __init__(self, rules: Rules | None = None) -> None:
        self.rules = rules or load_rules()
        # Answers are mostly templates, lightly edited: their sentences recur. Cached per sentence.
        self._sentence = lru_cache(maxsize=16384)(self._sentence_terms)

    def __call__(self, text: str) -> list[str]:
        """The search terms of a text, in order, duplicates kept (BM25 counts them). Pure; no I/O.
        Numbers, emoji and punctuation give none: a text of only those has no terms."""
        out: list[str] = []
        for sentence in _SENTENCE_END.split(text):
            out += self._sentence(sentence)
        return out

    def _sentence_terms(self, sentence: str) -> tuple[str, ...]:
        words = normalise(sentence, self.rules)
        words = _PHRASE_RE.sub(lambda m: _PHRASES[m.group(0)], words)
        out = []
        for word in words.split():
            if word.startswith("ng") and word not in roots():  # chat's nasal verbs: "ngambil", "ngisi"
                word = "me" + word
            if word in STOPWORDS or not word.isalpha():
                continue
            term = stem(word)
            if term not in STOPWORDS and len(term) > 1:
                out.append(term)
        return tuple(out)


_SENTENCE_END = re.compile(r"(?<=[.!?;\n])\s+")


@lru_cache(maxsize=1)
def _default() -> Terms:
    return Terms()


def terms(text: str) -> list[str]:
    """The search terms of a text with the default normalisation rules (see `Terms`)."""
    return _default()(text)
