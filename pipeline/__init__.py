"""pipeline: a boilerplate-stripping news scraper and corpus pipeline.

sources.yaml -> config -> capture (discover, fetch, WARC) -> stages (extract, rows, dedup) -> store (DuckDB)
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pipeline")  # one version: pyproject.toml's
except PackageNotFoundError:  # running from a checkout that is not installed
    __version__ = "0+unknown"
