"""Rows -> Rows with each article's near-duplicate signature (shingles + LSH band keys) attached."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from pipeline.stages.dedup import DedupOptions, sign_one
from pipeline.stages.rows import Rows


class DedupStage:
    """Signs articles in the stream (pure CPU, before the store opens its write connection)."""

    def __init__(self, options: DedupOptions) -> None:
        self.options = options

    def run(self, items: Iterable[object]) -> Iterator[object]:
        for item in items:
            if isinstance(item, Rows) and item.article is not None:
                article = item.article
                item.signature = sign_one(article.id, article.content_hash, article.body,
                                          self.options)
            yield item
