"""`pipeline review`: a static HTML report of what was kept, what was cut and why, per article."""

from pipeline.review.builder import ReviewOptions, ReviewResult, build_report
from pipeline.review.queries import Selection

__all__ = ["ReviewOptions", "ReviewResult", "Selection", "build_report"]
