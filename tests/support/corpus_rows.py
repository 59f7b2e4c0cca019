"""Article rows written straight through Warehouse.load (no extraction): for dedup unit tests."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from pipeline.stages.rows import ArticleRow, normalised_body_hash
from pipeline.store.warehouse import Batch, Warehouse

VOCAB = (
    "government minister said on tuesday that the new policy would take effect next month after "
    "parliament approved the budget despite strong opposition from regional leaders who warned "
    "about rising costs for farmers and small businesses across the northern provinces where "
    "floods damaged roads bridges schools and hospitals earlier this year while officials "
    "promised emergency funds reconstruction contracts and new housing for displaced families"
).split()


def story(seed: int, words: int = 300) -> str:
    """A unique synthetic article body (paragraphs of random vocabulary, seeded)."""
    rng = random.Random(seed)
    paragraphs = []
    for _ in range(max(1, words // 50)):
        paragraphs.append(" ".join(rng.choice(VOCAB) for _ in range(50)).capitalize() + ".")
    return "\n\n".join(paragraphs)


def edit(body: str, seed: int, rate: float = 0.03) -> str:
    """Light edits: replace a few words."""
    rng = random.Random(seed)
    words = body.split(" ")
    for i in range(len(words)):
        if rng.random() < rate:
            words[i] = rng.choice(VOCAB)
    return " ".join(words)


def row(article_id: str, body: str, source: str = "synthetic", title: str | None = None) -> ArticleRow:
    return ArticleRow(
        id=article_id, url=f"https://example.org/{article_id}", canonical_url=None,
        source=source, title=title or f"Article {article_id}", author=None,
        published=None, language="en", description=None, site_name=None,
        body=body, word_count=len(body.split()),
        content_hash=normalised_body_hash(body), capture_id=f"cap-{article_id}",
        extractor_version="test", extracted_at=datetime.now(UTC), removed="[]",
        page_type="article",
    )


def load(warehouse: Warehouse, rows: list[ArticleRow]) -> None:
    warehouse.load(Batch(articles=rows))


def clusters(warehouse: Warehouse) -> dict[str, str]:
    with warehouse.connect(read_only=True) as con:
        return dict(con.execute("SELECT id, cluster_id FROM articles").fetchall())
