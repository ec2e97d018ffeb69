"""Masking NIK/KK-like numbers, phone numbers and e-mail addresses in a past case's texts.

The same behaviour as `shared.privacy.masking.mask_personal` (branch `pdp`), which is to replace
this module at merge: 16 digits (in groups or not) keep their first and last four
(`3271••••••••0004`), a phone number its first four and last three digits (`0812•••••890`), an
e-mail address the first letter and the domain (`b•••@contoh.id`). Other runs of digits stay.
"""

from __future__ import annotations

import re

BULLET = "\u2022"
_SEP = r"[ .\-]?"  # one separator between digit groups, as people type them
_START = r"(?<!\d)(?<!\d[ .\-])"  # not glued to another digit: 17 digits are no NIK
_END = rf"(?!{_SEP}\d)"
_NIK = re.compile(rf"{_START}\d(?:{_SEP}\d){{15}}{_END}")
_PHONE = re.compile(
    rf"{_START}(?:(?:\+62|62|0){_SEP}8(?:{_SEP}\d){{8,11}}|\+62{_SEP}\(?[2-7]\d?\)?(?:{_SEP}\d){{5,9}}){_END}"
)
_EMAIL = re.compile(r"(?<![\w.+-])([\w.+-]+)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def mask_personal(text: str) -> str:
    """The text with every NIK/KK-like number, phone number and e-mail address masked."""
    text = _EMAIL.sub(lambda m: m.group(1)[0] + BULLET * 3 + "@" + m.group(2), text)
    text = _NIK.sub(lambda m: (d := _digits(m.group()))[:4] + BULLET * 8 + d[-4:], text)

    def phone(m: re.Match[str]) -> str:
        d = _digits(m.group())
        return ("+" if m.group().startswith("+") else "") + d[:4] + BULLET * (len(d) - 7) + d[-3:]

    return _PHONE.sub(phone, text)
