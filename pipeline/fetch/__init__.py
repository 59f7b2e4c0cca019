"""Fetching: a polite, fault-tolerant async HTTP fetcher (robots, pacing, retries, limits)."""

from pipeline.fetch.fetcher import Fetcher
from pipeline.fetch.policy import FetchPolicy
from pipeline.fetch.validators import Validators

__all__ = ["Fetcher", "FetchPolicy", "Validators"]
