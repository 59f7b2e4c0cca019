"""Batch extraction of WARC archives (ours or Common Crawl's) on a process pool or a Ray cluster.

One input file -> one articles shard + one rejects shard + a completion marker (see `layout`);
a rerun skips finished inputs. `pipeline load` attaches the shards to the warehouse.
"""

from pipeline.errors import BatchError, EngineUnavailable
from pipeline.runs.batch.job import BatchOptions, BatchSummary, expand_inputs, run_batch
from pipeline.runs.batch.load import attach_views, import_shards
from pipeline.runs.batch.shard import ARTICLE_SHARD_SCHEMA, REJECT_SHARD_SCHEMA, ShardResult

__all__ = [
    "ARTICLE_SHARD_SCHEMA",
    "REJECT_SHARD_SCHEMA",
    "BatchError",
    "BatchOptions",
    "BatchSummary",
    "EngineUnavailable",
    "ShardResult",
    "attach_views",
    "expand_inputs",
    "import_shards",
    "run_batch",
]
