"""pipeline: a boilerplate-stripping news scraper and corpus pipeline.

sources.yaml -> config -> discover -> fetch -> captures (WARC + index) -> extract -> store (DuckDB)
"""

__version__ = "0.1.0"
