"""WARC captures: the writer (request + response / resource records) and the one reader."""

from pipeline.capture.warc.reader import (
    ALL_TYPES,
    PAGE_TYPES,
    TornArchive,
    WarcRecord,
    complete_end,
    have_fastwarc,
    iter_checked,
    iter_records,
    read_record,
    to_capture,
)
from pipeline.capture.warc.writer import WarcWriter, guess_file_type, new_run_id, truncate_to

__all__ = [
    "ALL_TYPES",
    "PAGE_TYPES",
    "TornArchive",
    "WarcRecord",
    "WarcWriter",
    "complete_end",
    "guess_file_type",
    "have_fastwarc",
    "iter_checked",
    "iter_records",
    "new_run_id",
    "read_record",
    "to_capture",
    "truncate_to",
]
