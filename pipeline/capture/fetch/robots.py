"""robots.txt rules per origin, interpreted the way RFC 9309 says (protego does the parsing)."""

from __future__ import annotations

from dataclasses import dataclass

from protego import Protego

from pipeline.models import FetchResult

ROBOTS_MAX_BYTES = 512 * 1024  # RFC 9309: parse at least 500 KiB (the rest is ignored)
ROBOTS_MAX_REDIRECTS = 5  # RFC 9309: follow at least five


@dataclass(slots=True, frozen=True)
class RobotsRules:
    """What one origin allows. `error` is set when robots.txt itself could not be fetched."""

    parser: Protego | None = None
    disallow_all: bool = False
    reason: str = ""
    error: str | None = None

    def allowed(self, url: str, user_agent: str) -> bool:
        if self.disallow_all or self.error is not None:
            return False
        return self.parser is None or bool(self.parser.can_fetch(url, user_agent))

    def delay_s(self, user_agent: str) -> float:
        """Crawl-delay, or the pace Request-rate implies, whichever is larger (0 if neither)."""
        if self.parser is None:
            return 0.0
        delay = float(self.parser.crawl_delay(user_agent) or 0.0)
        rate = self.parser.request_rate(user_agent)
        if rate is not None and rate.requests:
            delay = max(delay, rate.seconds / rate.requests)
        return delay


def rules_from_result(result: FetchResult) -> RobotsRules:
    """Turn the fetch of /robots.txt into rules.

    2xx: parse (a robots.txt longer than ROBOTS_MAX_BYTES up to its last full line there).
    4xx (incl. 401/403) or too many redirects: "unavailable", everything allowed.
    5xx: "unreachable", everything disallowed. Connect errors/timeouts: kept as `error`, so pages
    report the same error the host gave us instead of a misleading robots verdict.
    """
    if result.error is not None:
        if result.error.startswith("too-many-redirects"):
            return RobotsRules(reason="robots.txt redirects too often; treated as absent")
        if result.error.startswith("too-large"):
            return RobotsRules(reason="robots.txt too large; treated as absent")
        return RobotsRules(error=f"{result.error} (fetching robots.txt)")
    status = result.status or 0
    if 200 <= status < 300:
        body, reason = result.body, "robots.txt"
        if result.exchanges and result.exchanges[-1].truncated:
            body = body[: body.rfind(b"\n") + 1]  # a cut line is no rule
            reason = f"robots.txt (first {len(body)} bytes)"
        text = body.decode("utf-8", errors="replace")
        return RobotsRules(parser=Protego.parse(text), reason=reason)
    if 400 <= status < 500:
        return RobotsRules(reason=f"robots.txt {status}; treated as absent")
    return RobotsRules(disallow_all=True, reason=f"robots.txt returned {status}")
