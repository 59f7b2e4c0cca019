"""Bytes to text for HTML bodies: charset from the Content-Type header, a BOM, <meta>, then detection."""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
# Browsers treat these labels as windows-1252 / utf-8 (WHATWG encoding standard).
_ALIASES = {
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "ascii": "cp1252",
    "us-ascii": "cp1252",
    "utf8": "utf-8",
    "x-sjis": "shift_jis",
    "gb2312": "gb18030",
    "gbk": "gb18030",
}


def _codec(label: str | bytes | None) -> str | None:
    if not label:
        return None
    if isinstance(label, bytes):
        label = label.decode("ascii", "ignore")
    label = label.strip().lower()
    label = _ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _try(body: bytes, codec: str | None) -> str | None:
    if codec is None:
        return None
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Decode an HTTP body: header charset, BOM, <meta charset>, UTF-8, detection, cp1252 with replacement."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(codec, errors="replace")
    if content_type:
        m = _HEADER_CHARSET.search(content_type)
        text = _try(body, _codec(m.group(1))) if m else None
        if text is not None:
            return text
    meta = _META_CHARSET.search(body[:4096])
    text = _try(body, _codec(meta.group(1).decode("ascii", "replace"))) if meta else None
    if text is not None:
        return text
    text = _try(body, "utf-8")
    if text is not None:
        return text
    best = from_bytes(body[:65536]).best()
    if best is not None and best.encoding:
        text = _try(body, best.encoding)
        if text is not None:
            return text
    return body.decode("cp1252", errors="replace")
