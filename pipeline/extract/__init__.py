"""Article extraction: bytes or text of a page -> `Article` (clean body, metadata, cut blocks) or `Drop`."""

from pipeline.extract.core import EXTRACTOR_VERSION, extract
from pipeline.extract.decode import decode_html

__all__ = ["EXTRACTOR_VERSION", "decode_html", "extract"]
