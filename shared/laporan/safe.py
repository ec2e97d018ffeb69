"""What makes citizen text safe in a spreadsheet, and what hides a citizen's identity.

A cell whose text starts with = + - @ (or a tab or carriage return, which spreadsheet programs
skip) is read as a formula by Excel and LibreOffice: "=HYPERLINK(...)" sent from a chat account
would run in the office's spreadsheet. Such text gets a leading apostrophe, the spreadsheet's own
sign for "this is text" (OWASP's advice for CSV injection).
"""

from __future__ import annotations

import re

# Full-width forms too: some spreadsheet programs read them as the ASCII signs.
FORMULA_STARTS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")

_DIGITS = re.compile(r"(?:\d[ .\-]?){3,}\d")  # 4+ digits: NIK, KK and phone numbers, however spaced
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_HANDLE = re.compile(r"@\w+(?:\.\w+)*")


def neutralise(value: str) -> str:
    """The text as a spreadsheet must show it and never run it."""
    if value[:1] in FORMULA_STARTS or value.lstrip()[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def mask_account(account: str) -> str:
    """ "budi.santoso88" -> "bu****": enough to tell two cases apart on a page, not to find the person."""
    bare = account.lstrip("@")
    return bare[:2] + "****" if len(bare) > 2 else "****"


def mask_name(name: str) -> str:
    """ "Budi Santoso" -> "B*** S***"."""
    return " ".join(word[0] + "***" for word in name.split())


def mask_text(text: str, *, name: str | None, account: str) -> str:
    """The question without numbers (NIK, KK, phone), e-mail addresses, handles, or the asker's name."""
    text = _EMAIL.sub("[surel]", text)
    text = _HANDLE.sub("@****", text)
    text = _DIGITS.sub(lambda m: "*" * len(m.group()), text)
    words = {w for w in [*(name or "").split(), account.lstrip("@")] if len(w) >= 3}
    for word in sorted(words, key=len, reverse=True):
        text = re.sub(rf"\b{re.escape(word)}\b", lambda m: mask_name(m.group()), text, flags=re.IGNORECASE)
    return text
