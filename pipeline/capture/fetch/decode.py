"""Content-Encoding decoding with a hard cap on output, so a gzip bomb cannot exhaust memory."""

from __future__ import annotations

import zlib

from pipeline.errors import BodyTooLarge, DecodeFailed

# Decoded/encoded ratio above which an oversized body is called a bomb rather than just large.
BOMB_RATIO = 100


class _Identity:
    def decompress(self, data: bytes, limit: int) -> bytes:
        return data

    def pending(self) -> bytes:
        return b""

    def flush(self, limit: int) -> bytes:
        return b""


class _Zlib:
    """gzip/deflate; `limit` bounds each call's output and the rest waits in unconsumed_tail."""

    def __init__(self, encoding: str) -> None:
        self._deflate = encoding == "deflate"
        wbits = zlib.MAX_WBITS if self._deflate else 16 + zlib.MAX_WBITS
        self._obj = zlib.decompressobj(wbits)
        self._first = True

    def decompress(self, data: bytes, limit: int) -> bytes:
        try:
            out = self._obj.decompress(data, max(limit, 1))
        except zlib.error as exc:
            # "deflate" is often sent raw (no zlib header); retry once the way browsers do.
            if self._deflate and self._first:
                self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
                self._first = False
                return self.decompress(data, limit)
            raise DecodeFailed(
                f"corrupt {'deflate' if self._deflate else 'gzip'} body: {exc}"
            ) from exc
        self._first = False
        return out

    def pending(self) -> bytes:
        return self._obj.unconsumed_tail

    def flush(self, limit: int) -> bytes:
        try:
            return self._obj.flush(max(limit, 1)) if not self._obj.eof else b""
        except zlib.error as exc:  # pragma: no cover - flush rarely fails
            raise DecodeFailed(f"corrupt compressed body: {exc}") from exc


def _codings(content_encoding: str | None) -> list[str]:
    codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
    return [c for c in codings if c != "identity"]


def is_encoded(content_encoding: str | None) -> bool:
    """Whether a Content-Encoding header value asks for any decoding at all."""
    return bool(_codings(content_encoding))


def accept_encoding() -> str:
    """The encodings we can decode under a cap (brotli has no bounded streaming API here)."""
    return "gzip, deflate"


class BoundedDecoder:
    """Feed raw chunks, get decoded bytes; raises BodyTooLarge past max_bytes of either side."""

    def __init__(self, content_encoding: str | None, max_bytes: int) -> None:
        codings = _codings(content_encoding)
        if not codings:
            self._dec: _Identity | _Zlib = _Identity()
        elif len(codings) == 1 and codings[0] in ("gzip", "x-gzip", "deflate"):
            self._dec = _Zlib("deflate" if codings[0] == "deflate" else "gzip")
        else:
            raise DecodeFailed(f"unsupported content-encoding {content_encoding!r}")
        self.encoded = not isinstance(self._dec, _Identity)
        self.max_bytes = max_bytes
        self.raw_bytes = 0
        self._out = bytearray()

    def _room(self) -> int:
        return self.max_bytes - len(self._out) + 1  # one byte more tells "over the cap"

    def _append(self, data: bytes) -> None:
        self._out += data
        if len(self._out) > self.max_bytes:
            consumed = self.raw_bytes - len(self._dec.pending())
            ratio = len(self._out) / max(consumed, 1)
            if self.encoded and ratio > BOMB_RATIO:
                raise BodyTooLarge(
                    f"{consumed} compressed bytes expand past {self.max_bytes} "
                    f"(ratio > {int(ratio)})",
                    bomb=True,
                )
            raise BodyTooLarge(f"decoded body exceeds max_bytes={self.max_bytes}")

    def feed(self, chunk: bytes) -> None:
        self.raw_bytes += len(chunk)
        if self.raw_bytes > self.max_bytes:
            raise BodyTooLarge(f"body exceeds max_bytes={self.max_bytes}")
        self._append(self._dec.decompress(chunk, self._room()))
        while self._dec.pending():
            self._append(self._dec.decompress(self._dec.pending(), self._room()))

    def partial(self) -> bytes:
        """What was decoded so far, at most max_bytes (after BodyTooLarge, the kept prefix)."""
        return bytes(self._out[: self.max_bytes])

    def finish(self) -> bytes:
        self._append(self._dec.flush(self._room()))
        return bytes(self._out)
