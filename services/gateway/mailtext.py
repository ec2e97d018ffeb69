"""A mail's text: HTML turned into plain text, hostile HTML told, quoted history and signatures cut.

The HTML is only parsed (the standard library's parser), never rendered or fetched from; what a
script, a style sheet or the head holds is dropped. A citizen's mail program writes no scripts,
frames or plug-ins: a mail that has them is refused, not read into a case.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

HOSTILE_TAGS = {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "form", "base"}
HOSTILE_ATTRIBUTE = re.compile(r"^on[a-z]+$")
HOSTILE_URL = re.compile(r"^\s*(javascript|vbscript|data:text/html)", re.IGNORECASE)
SKIPPED = {"script", "style", "head", "title", "template", "noscript"}
BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "hr"}
# Where the quoted history of a reply begins (the usual clients, in Indonesian and English).
QUOTE_STARTS = re.compile(
    r"^(On .{4,200} wrote:|Pada .{4,200} menulis:|-{2,}\s*(Original Message|Pesan Asli|Forwarded message|"
    r"Pesan yang diteruskan)\s*-{2,}|_{10,}|(From|Dari): .+)\s*$",
    re.IGNORECASE,
)
SIGNATURE_STARTS = re.compile(
    r"^(-- ?|Dikirim dari .{2,60}|Sent from my .{2,60}|Get Outlook for .{2,40}|Kirim dari .{2,60})$",
    re.IGNORECASE,
)


class _Scan(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.hostile = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HOSTILE_TAGS or any(
            HOSTILE_ATTRIBUTE.match(name) or (value and name in ("href", "src") and HOSTILE_URL.match(value))
            for name, value in attrs
        ):
            self.hostile = True
        if tag in SKIPPED:
            self.skipping += 1
        elif tag in BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def _scan(html: str) -> _Scan:
    scan = _Scan()
    scan.feed(html)
    scan.close()
    return scan


def hostile(html: str) -> bool:
    """Whether the HTML has what no citizen's mail program writes: scripts, frames, plug-ins, forms,
    event handlers, script URLs."""
    return _scan(html).hostile


def html_to_text(html: str) -> str:
    """The HTML's text, a line per block, without what scripts, styles and the head hold."""
    lines = ("".join(_scan(html).parts)).splitlines()
    text = "\n".join(" ".join(line.split()) for line in lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def trim(text: str) -> str:
    """The text the sender wrote: without the quoted history of a reply, and without the signature."""
    kept: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        bare = line.strip()
        if QUOTE_STARTS.match(bare) or SIGNATURE_STARTS.match(line.rstrip()) or bare.startswith(">"):
            break
        kept.append(line.rstrip())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()
