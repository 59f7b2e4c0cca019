"""Views for people querying the corpus: latest_articles, stories, source_health.

The SQL here is applied by named migrations (see migrations.py): a text below is frozen once a
migration uses it; a changed view gets a new constant and a new migration.
"""

from __future__ import annotations

VIEWS_V1 = """
-- Every article, newest first, with where and when it was fetched and its story (cluster).
CREATE OR REPLACE VIEW latest_articles AS
SELECT a.id,
       coalesce(a.published, c.fetched_at::TIMESTAMP) AS published_or_fetched,
       a.published, c.fetched_at, a.source, a.title, a.author, a.language, a.word_count,
       a.url, a.cluster_id, c.run_id, a.description, a.body
FROM articles a LEFT JOIN captures c ON c.id = a.capture_id
ORDER BY published_or_fetched DESC NULLS LAST, a.id;

-- One row per story: the cluster of exact and near-duplicate copies of one text.
CREATE OR REPLACE VIEW stories AS
WITH members AS (
    SELECT a.cluster_id, a.id, a.source, a.title, a.url, a.published,
           coalesce(c.fetched_at, a.extracted_at) AS seen_at
    FROM articles a LEFT JOIN captures c ON c.id = a.capture_id
    WHERE a.cluster_id IS NOT NULL
)
SELECT cluster_id,
       arg_min(title, seen_at) AS title,
       min(seen_at) AS first_seen,
       max(seen_at) AS last_seen,
       min(published) AS first_published,
       count(*) AS members,
       count(DISTINCT source) AS n_sources,
       list_sort(list(DISTINCT source)) AS sources,
       arg_min(id, seen_at) AS first_article_id,
       arg_min(url, seen_at) AS first_url,
       list(id ORDER BY seen_at, id) AS article_ids
FROM members
GROUP BY cluster_id
ORDER BY first_seen DESC, cluster_id;

-- Per source: last success, failures by reason, rejects by reason, articles per run.
CREATE OR REPLACE VIEW source_health AS
WITH names AS (
    SELECT source FROM captures UNION SELECT source FROM fetches
    UNION SELECT source FROM articles UNION SELECT source FROM rejects
),
successes AS (
    SELECT source, max(fetched_at) AS last_success FROM (
        SELECT source, fetched_at FROM fetches
        WHERE error IS NULL AND status BETWEEN 200 AND 399
        UNION ALL
        SELECT source, fetched_at FROM captures WHERE status BETWEEN 200 AND 299
    ) GROUP BY source
),
attempts AS (
    SELECT source, count(*) AS fetches,
           count(*) FILTER (WHERE error IS NOT NULL OR status IS NULL OR status >= 400) AS failures,
           max(fetched_at) FILTER (WHERE error IS NOT NULL OR status IS NULL OR status >= 400)
               AS last_failure,
           histogram(coalesce(split_part(error, ':', 1), 'http ' || status))
               FILTER (WHERE error IS NOT NULL OR status IS NULL OR status >= 400)
               AS failures_by_reason
    FROM fetches GROUP BY source
),
dropped AS (
    SELECT source, count(*) AS rejects, histogram(split_part(reason, ':', 1)) AS rejects_by_reason
    FROM rejects GROUP BY source
),
per_run AS (
    SELECT a.source, c.run_id, count(*) AS articles, any_value(r.started_at) AS started_at
    FROM articles a JOIN captures c ON c.id = a.capture_id LEFT JOIN runs r ON r.id = c.run_id
    GROUP BY a.source, c.run_id
),
landed AS (
    SELECT source, sum(articles)::BIGINT AS articles, count(*) AS runs_with_articles,
           round(avg(articles), 1) AS avg_articles_per_run,
           list({'run_id': run_id, 'started_at': started_at, 'articles': articles}
                ORDER BY started_at DESC NULLS LAST)[1:10] AS recent_runs
    FROM per_run GROUP BY source
)
SELECT n.source, s.last_success, t.last_failure,
       coalesce(t.fetches, 0) AS fetches, coalesce(t.failures, 0) AS failures,
       t.failures_by_reason,
       coalesce(d.rejects, 0) AS rejects, d.rejects_by_reason,
       coalesce(l.articles, 0) AS articles, l.runs_with_articles, l.avg_articles_per_run,
       l.recent_runs
FROM names n
LEFT JOIN successes s USING (source) LEFT JOIN attempts t USING (source)
LEFT JOIN dropped d USING (source) LEFT JOIN landed l USING (source)
ORDER BY n.source;
"""

# V2: robots.txt 4xx answers ("no rules") are not source failures.
VIEWS_V2 = """
-- Every article, newest first, with where and when it was fetched and its story (cluster).
CREATE OR REPLACE VIEW latest_articles AS
SELECT a.id,
       coalesce(a.published, c.fetched_at::TIMESTAMP) AS published_or_fetched,
       a.published, c.fetched_at, a.source, a.title, a.author, a.language, a.word_count,
       a.url, a.cluster_id, c.run_id, a.description, a.body
FROM articles a LEFT JOIN captures c ON c.id = a.capture_id
ORDER BY published_or_fetched DESC NULLS LAST, a.id;

-- One row per story: the cluster of exact and near-duplicate copies of one text.
CREATE OR REPLACE VIEW stories AS
WITH members AS (
    SELECT a.cluster_id, a.id, a.source, a.title, a.url, a.published,
           coalesce(c.fetched_at, a.extracted_at) AS seen_at
    FROM articles a LEFT JOIN captures c ON c.id = a.capture_id
    WHERE a.cluster_id IS NOT NULL
)
SELECT cluster_id,
       arg_min(title, seen_at) AS title,
       min(seen_at) AS first_seen,
       max(seen_at) AS last_seen,
       min(published) AS first_published,
       count(*) AS members,
       count(DISTINCT source) AS n_sources,
       list_sort(list(DISTINCT source)) AS sources,
       arg_min(id, seen_at) AS first_article_id,
       arg_min(url, seen_at) AS first_url,
       list(id ORDER BY seen_at, id) AS article_ids
FROM members
GROUP BY cluster_id
ORDER BY first_seen DESC, cluster_id;

-- Per source: last success, failures by reason, rejects by reason, articles per run.
CREATE OR REPLACE VIEW source_health AS
WITH names AS (
    SELECT source FROM captures UNION SELECT source FROM fetches
    UNION SELECT source FROM articles UNION SELECT source FROM rejects
),
successes AS (
    SELECT source, max(fetched_at) AS last_success FROM (
        SELECT source, fetched_at FROM fetches
        WHERE error IS NULL AND status BETWEEN 200 AND 399
        UNION ALL
        SELECT source, fetched_at FROM captures WHERE status BETWEEN 200 AND 299
    ) GROUP BY source
),
attempts AS (
    SELECT source, count(*) AS fetches,
           count(*) FILTER (WHERE failed) AS failures,
           max(fetched_at) FILTER (WHERE failed) AS last_failure,
           histogram(coalesce(split_part(error, ':', 1), 'http ' || status))
               FILTER (WHERE failed) AS failures_by_reason
    FROM (
        -- a robots.txt answering 4xx means "no rules" (RFC 9309): not a failure
        SELECT *, (error IS NOT NULL OR status IS NULL OR status >= 400)
                  AND NOT (kind = 'robots' AND error IS NULL AND status BETWEEN 400 AND 499) AS failed
        FROM fetches
    ) GROUP BY source
),
dropped AS (
    SELECT source, count(*) AS rejects, histogram(split_part(reason, ':', 1)) AS rejects_by_reason
    FROM rejects GROUP BY source
),
per_run AS (
    SELECT a.source, c.run_id, count(*) AS articles, any_value(r.started_at) AS started_at
    FROM articles a JOIN captures c ON c.id = a.capture_id LEFT JOIN runs r ON r.id = c.run_id
    GROUP BY a.source, c.run_id
),
landed AS (
    SELECT source, sum(articles)::BIGINT AS articles, count(*) AS runs_with_articles,
           round(avg(articles), 1) AS avg_articles_per_run,
           list({'run_id': run_id, 'started_at': started_at, 'articles': articles}
                ORDER BY started_at DESC NULLS LAST)[1:10] AS recent_runs
    FROM per_run GROUP BY source
)
SELECT n.source, s.last_success, t.last_failure,
       coalesce(t.fetches, 0) AS fetches, coalesce(t.failures, 0) AS failures,
       t.failures_by_reason,
       coalesce(d.rejects, 0) AS rejects, d.rejects_by_reason,
       coalesce(l.articles, 0) AS articles, l.runs_with_articles, l.avg_articles_per_run,
       l.recent_runs
FROM names n
LEFT JOIN successes s USING (source) LEFT JOIN attempts t USING (source)
LEFT JOIN dropped d USING (source) LEFT JOIN landed l USING (source)
ORDER BY n.source;
"""

CORPUS_TABLES_V1 = """
-- Each article's story; set at load time by pipeline.store.clusters (exact hash or MinHash + LSH).
ALTER TABLE articles ADD COLUMN cluster_id VARCHAR;
-- LSH band keys: one row per (article, band); articles sharing a key are candidate duplicates.
CREATE TABLE minhash_bands (key BIGINT NOT NULL, article_id VARCHAR NOT NULL);
-- Small key/value facts about derived data (dedup options in use, search index fingerprint).
CREATE TABLE corpus_state (key VARCHAR PRIMARY KEY, value VARCHAR, updated_at TIMESTAMPTZ);
"""
