"""The public `extract` entry point: input sniffing, dispatch to the HTML or text path, drop reasons."""

from __future__ import annotations

import re

from pipeline.extract.decode import decode_html
from pipeline.models import Article, Drop, ExtractResult

EXTRACTOR_VERSION = "0.3.1"

MIN_BODY_CHARS = 100
_HTML_SNIFF = re.compile(
    r"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]|<(?:p|div|article|title|meta)[\s>/]",
    re.IGNORECASE,
)


_MAGIC = (
    b"%PDF",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"RIFF",
    b"\x00\x00\x01\x00",
    b"OggS",
    b"ID3",
    b"fLaC",
    b"\x1a\x45\xdf\xa3",
)
BINARY_SHARE = 0.1  # control characters (NUL included) in the first 4 KiB past which it is not text


def looks_binary(data: bytes | str) -> bool:
    """A file format, or more than 10% control characters in the first 4 KiB (one stray NUL in a
    page is not enough: it is stripped, and the page extracted)."""
    head = data[:4096]
    if not head:
        return False
    if isinstance(head, str):
        odd = len(_ODD_CHARS.findall(head))
        return odd > len(head) * BINARY_SHARE
    if head.startswith(_MAGIC):
        return True
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 text has NULs by design
        return False
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return controls > len(head) * BINARY_SHARE


# control characters but tab, newline, carriage return and form feed (and U+FFFD in text)
_ODD_CHARS = re.compile("[\x00-\x08\x0b\x0e-\x1f\ufffd]")
_CONTROL_BYTES = bytes(b for b in range(32) if b < 9 or 13 < b)


def body_chars(body: str) -> int:
    """Length in characters, a spaceless-script character counting twice (it carries a word's
    worth of text where Latin script spends 5-6 characters)."""
    from pipeline.extract.lang import _NOSPACE

    return len(body) + len(_NOSPACE.findall(body))


def guess_kind(text: str) -> str:
    """'html' when the start of the text looks like markup, else 'text'."""
    return "html" if _HTML_SNIFF.search(text[:4096]) else "text"


def extract(
    content: bytes | str, *, url: str | None = None, kind: str | None = None
) -> ExtractResult:
    """Extract the article from a page (HTML or a plain-text dump); never raises."""
    try:
        return _extract(content, url=url, kind=kind)
    except RecursionError:
        return Drop("too-deep")
    except Exception as exc:  # noqa: BLE001 - a pure function over untrusted bytes must not raise
        return Drop(f"error: {type(exc).__name__}")


def decode_input(content: bytes | str) -> str | Drop:
    """Text of the input, or a Drop when it is empty or binary."""
    if content is None:
        return Drop("empty")
    if isinstance(content, (bytes, bytearray, memoryview)):
        data = bytes(content)
        if not data.strip():
            return Drop("empty")
        if looks_binary(data):
            return Drop("binary")
        return decode_html(data)
    return content


def _extract(content: bytes | str, *, url: str | None, kind: str | None) -> ExtractResult:
    text = decode_input(content)
    if isinstance(text, Drop):
        return text
    if not text.strip():
        return Drop("empty")
    if looks_binary(text):
        return Drop("binary")
    text = text.replace("\x00", "")
    kind = kind or guess_kind(text)
    if kind == "html":
        from pipeline.extract.html import extract_html

        result = extract_html(text, url=url)
    elif kind == "text":
        from pipeline.extract.text import extract_text

        result = extract_text(text, url=url)
    else:
        return Drop(f"unknown-kind: {kind}")
    if isinstance(result, Article) and body_chars(result.body) < MIN_BODY_CHARS:
        return Drop("too-short")
    return result
