"""One exception tree for real failures.

PipelineError
 ├── ConfigError        sources.yaml is malformed or invalid (names file, line, field)
 ├── LockedError        another run holds the lock
 ├── WarehouseBusyError the database file is held by another writer past our retries
 ├── CaptureError       a WARC capture cannot be read back
 ├── DiscoveryError     a feed, sitemap or section page cannot be parsed (names URL and why)
 └── BatchError         a batch job cannot start (pipeline/batch/errors.py)
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


class DiscoveryError(PipelineError):
    """A feed, sitemap or section page could not be turned into URLs (broken or hostile XML)."""
