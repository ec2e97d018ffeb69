"""Masking what reads as a NIK or KK number, a phone number or an e-mail address in free text.

A pure function for whatever shows citizen text to someone who does not need it in full (the
console's queue and pages, copies of the laporan): enough is left to tell two numbers apart on a
page (`3271••••••••0004`, `0812•••••890`, `b•••@contoh.id`), not to find the person.

What counts (the forms citizens write in chats):
- a NIK or KK number: 16 digits, written together or in groups (`3271 0465 0487 0002`, dots,
  dashes);
- an Indonesian phone number: mobile `08…`, `+628…`, `628…` (10-13 digits from the 0), landlines as
  `+62 21 …`, groups separated by one space, dash or dot;
- an e-mail address: the local part goes, the domain stays (it is the provider, not the person).

A longer or shorter run of digits (a registration number, a year) is left as it is.
"""

from __future__ import annotations

import re

BULLET = "\u2022"

_SEP = r"[ .\-]?"  # one separator between digit groups, as people type them
# Not glued to another digit, before or after (allowing one separator): 17 digits are no NIK.
_START = r"(?<!\d)(?<!\d[ .\-])"
_END = rf"(?!{_SEP}\d)"
_NIK = re.compile(rf"{_START}\d(?:{_SEP}\d){{15}}{_END}")
_PHONE = re.compile(
    rf"{_START}(?:"
    rf"(?:\+62|62|0){_SEP}8(?:{_SEP}\d){{8,11}}"  # mobile: 08xx, +628xx, 628xx
    rf"|\+62{_SEP}\(?[2-7]\d?\)?(?:{_SEP}\d){{5,9}}"  # a landline written with +62
    rf"){_END}"
)
_EMAIL = re.compile(r"(?<![\w.+-])([\w.+-]+)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _mask_nik(match: re.Match[str]) -> str:
    digits = _digits(match.group())
    return digits[:4] + BULLET * 8 + digits[-4:]


def _mask_phone(match: re.Match[str]) -> str:
    number = match.group()
    digits = _digits(number)
    plus = "+" if number.startswith("+") else ""
    return plus + digits[:4] + BULLET * (len(digits) - 7) + digits[-3:]


def _mask_email(match: re.Match[str]) -> str:
    return match.group(1)[0] + BULLET * 3 + "@" + match.group(2)


def mask_personal(text: str) -> str:
    """The text with every NIK or KK number, phone number and e-mail address masked; the rest as
    it was. Masking masked text changes nothing."""
    text = _EMAIL.sub(_mask_email, text)
    text = _NIK.sub(_mask_nik, text)
    return _PHONE.sub(_mask_phone, text)
