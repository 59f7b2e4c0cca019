"""One exception tree for real failures.

PipelineError
 ├── ConfigError        bad input: sources.yaml (names file, line, field), arguments, no warehouse
 │    ├── QueryRefused  `pipeline sql` input that is not one read-only query
 │    └── ExportRequestError  an export asked for a table, column or condition that is wrong
 ├── LockedError        another run holds the lock
 ├── WarehouseBusyError the database file is held by another writer past our retries
 ├── CaptureError       a WARC capture cannot be read back
 │    └── TornArchive   the file ends inside a record (a killed write, a cut download)
 ├── BodyTooLarge       a body past max_bytes (a gzip bomb says so): becomes too-large
 ├── DecodeFailed       a Content-Encoding that does not decode
 ├── DiscoveryError     a feed, sitemap or section page cannot be parsed (names URL and why)
 ├── SearchUnavailableError  the fts extension cannot be loaded, or no search index exists
 ├── ExportError        an export failed while it ran (ExportRequestError is also one)
 ├── QueryError         a query failed in DuckDB
 └── BatchError         a batch job cannot start (no inputs, bad output location)
      └── EngineUnavailable  the chosen engine is not installed (ray)
"""


class PipelineError(Exception):
    """Base of every error this package raises on purpose."""


class ConfigError(PipelineError):
    """sources.yaml could not be read or validated."""


class LockedError(PipelineError):
    """Another run holds the run lock."""


class WarehouseBusyError(PipelineError):
    """The warehouse file stayed locked by another process past the retry budget."""


class CaptureError(PipelineError):
    """A stored capture could not be read back."""


class TornArchive(CaptureError):
    """A WARC file ends inside a gzip member (an interrupted download or write)."""

    def __init__(self, offset: int) -> None:
        super().__init__(f"gzip member at offset {offset} is cut short")
        self.offset = offset


class BodyTooLarge(PipelineError):
    """A body passed max_bytes; `bomb` tells a decompression bomb from a plain large body.
    (Raised inside fetching and WARC reading, where it becomes `too-large:` / `too_large`.)"""

    def __init__(self, detail: str, bomb: bool = False) -> None:
        super().__init__(detail)
        self.bomb = bomb


class DecodeFailed(PipelineError):
    """A body could not be decoded (unsupported or corrupt Content-Encoding)."""


class DiscoveryError(PipelineError):
    """A feed, sitemap or section page could not be turned into URLs (broken or hostile XML)."""


class SearchUnavailableError(PipelineError):
    """The fts extension could not be loaded, or the search index was never built."""


class ExportError(PipelineError):
    """An export failed while it ran."""


class ExportRequestError(ExportError, ConfigError):
    """The export request itself is wrong: unknown table or column, a --where that is not one
    valid boolean expression over the table, an unknown format (exit 2)."""


class QueryError(PipelineError):
    """A query failed in DuckDB (syntax, unknown table or column, bad cast ...)."""


class QueryRefused(ConfigError):
    """The SQL is not one read-only query: empty, several statements, or a statement that would
    write files, attach databases, add extensions or (without --allow-files) read files (exit 2)."""


class BatchError(PipelineError):
    """A batch job cannot start: no inputs, bad output location."""


class EngineUnavailable(BatchError):
    """The engine asked for is not installed (ray)."""
