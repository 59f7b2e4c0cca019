"""Failures of a batch job (they extend the package tree in pipeline/errors.py).

PipelineError
 └── BatchError            a batch cannot start: no inputs, bad output location
      └── EngineUnavailable the chosen engine is not installed (ray)
"""

from pipeline.errors import PipelineError


class BatchError(PipelineError):
    """A batch job cannot start."""


class EngineUnavailable(BatchError):
    """The engine asked for is not installed."""
