"""Exit codes of the `pipeline` command (documented in the README; cron and scripts rely on them)."""

from __future__ import annotations

from pipeline.errors import BatchError, ConfigError, LockedError, PipelineError, WarehouseBusyError

EXIT_OK = 0
EXIT_ERROR = 1  # an unexpected error, or a command that could not do its work
EXIT_CONFIG = 2  # bad input: sources.yaml, arguments, no warehouse
EXIT_LOCKED = 3  # another run holds the lock; nothing was done
EXIT_BUSY = 4  # the warehouse stayed locked by another writer past the retry budget
EXIT_SOURCES_FAILED = 5  # `run --strict`: a source yielded nothing because of errors


def exit_code_for(exc: PipelineError) -> int:
    """The exit code for an error that ends a command."""
    for kind, code in ((ConfigError, EXIT_CONFIG), (BatchError, EXIT_CONFIG),
                       (LockedError, EXIT_LOCKED), (WarehouseBusyError, EXIT_BUSY)):
        if isinstance(exc, kind):
            return code
    return EXIT_ERROR
