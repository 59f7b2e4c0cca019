"""Read a response body under a byte limit: the raw payload as received and its decoded form."""

from __future__ import annotations

from collections.abc import AsyncIterable
from dataclasses import dataclass

from pipeline.capture.fetch.decode import BodyTooLarge, BoundedDecoder, is_encoded

# Bodies that are thrown away (a 503 before its retry, a redirect, a failed read) are kept for
# the archive only this far.
DISCARD_BYTES = 64 * 1024


@dataclass(slots=True, frozen=True)
class Body:
    raw: bytes  # as received: transfer coding removed, content coding kept
    decoded: bytes  # content-decoded; the same object as `raw` when not encoded
    truncated: bool = False


class BodyReader:
    """Collects raw chunks and decodes them, both bounded by `limit`.

    Past the limit it raises BodyTooLarge (telling a decompression bomb from a large body), or,
    with `truncate`, stops and keeps the first `limit` bytes. DecodeFailed for a body whose
    Content-Encoding is unknown or corrupt.
    """

    def __init__(self, content_encoding: str | None, limit: int, *, truncate: bool) -> None:
        encoded = is_encoded(content_encoding)
        self._decoder = BoundedDecoder(content_encoding, limit) if encoded else None
        self._limit = limit
        self._truncate = truncate
        self._raw: list[bytes] = []
        self._size = 0
        self.truncated = False

    def feed(self, chunk: bytes) -> bool:
        """Take one chunk; False once the body was cut at the limit (read no further)."""
        room = self._limit - self._size
        if len(chunk) > room:
            if not self._truncate:
                raise BodyTooLarge(f"body exceeds max_bytes={self._limit}")
            chunk, self.truncated = chunk[:room], True
        self._raw.append(chunk)
        self._size += len(chunk)
        if self._decoder is not None:
            try:
                self._decoder.feed(chunk)
            except BodyTooLarge:
                if not self._truncate:
                    raise
                self.truncated = True
        return not self.truncated

    def finish(self) -> Body:
        raw = b"".join(self._raw)
        if self._decoder is None:
            return Body(raw, raw, self.truncated)
        if not self.truncated:
            try:
                return Body(raw, self._decoder.finish())
            except BodyTooLarge:
                if not self._truncate:
                    raise
                self.truncated = True
        return Body(raw, self._decoder.partial(), True)

    def raw_prefix(self, size: int = DISCARD_BYTES) -> bytes:
        """The first `size` raw bytes received so far (what is kept of a failed read)."""
        kept, total = [], 0
        for chunk in self._raw:
            if total >= size:
                break
            kept.append(chunk[: size - total])
            total += len(kept[-1])
        return b"".join(kept)


async def read_body(chunks: AsyncIterable[bytes], reader: BodyReader) -> Body:
    """Feed `chunks` to `reader` until they end or the reader has cut the body."""
    async for chunk in chunks:
        if not reader.feed(chunk):
            break
    return reader.finish()
