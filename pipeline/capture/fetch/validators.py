"""Validators: what a previous response said about itself, for conditional re-fetches."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.models import FetchResult


@dataclass(slots=True, frozen=True)
class Validators:
    """ETag / Last-Modified of an earlier capture; sent as If-None-Match / If-Modified-Since."""

    etag: str | None = None
    last_modified: str | None = None

    @classmethod
    def from_result(cls, result: FetchResult) -> Validators | None:
        """The validators a response carried, or None when it had neither."""
        etag, modified = result.header("etag"), result.header("last-modified")
        return cls(etag, modified) if etag or modified else None

    def headers(self) -> list[tuple[str, str]]:
        out = []
        if self.etag:
            out.append(("If-None-Match", self.etag))
        if self.last_modified:
            out.append(("If-Modified-Since", self.last_modified))
        return out
