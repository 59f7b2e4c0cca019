"""Pure fetch policies without a server: backoff, Retry-After, bounded decoding, breaker, robots."""

from __future__ import annotations

import asyncio
import gzip
import random
import zlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpcore
import pytest
from pydantic import ValidationError

from pipeline.capture.fetch import FetchPolicy, Validators
from pipeline.capture.fetch.address import BlockedAddress, VettedBackend, blocked_reason
from pipeline.capture.fetch.decode import BodyTooLarge, BoundedDecoder, DecodeFailed
from pipeline.capture.fetch.pacing import CircuitBreaker
from pipeline.capture.fetch.retry import backoff_s, parse_retry_after
from pipeline.capture.fetch.robots import rules_from_result
from pipeline.models import FetchResult


def test_backoff_grows_is_capped_and_jittered() -> None:
    policy = FetchPolicy(backoff_base_s=1.0, backoff_max_s=8.0)
    rng = random.Random(1)
    for attempt, (low, high) in enumerate([(0.5, 1), (1, 2), (2, 4), (4, 8), (4, 8)], start=1):
        values = [backoff_s(attempt, policy, rng) for _ in range(200)]
        assert low <= min(values) and max(values) <= high
        assert len(set(values)) > 100  # jitter, not one value


def test_retry_after_forms() -> None:
    now = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after(" 1.5 ", now) == 1.5
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30.0
    assert parse_retry_after(format_datetime(now - timedelta(hours=1), usegmt=True), now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None and parse_retry_after("", now) is None


def _feed(decoder: BoundedDecoder, data: bytes, step: int = 4096) -> bytes:
    for i in range(0, len(data), step):
        decoder.feed(data[i : i + step])
    return decoder.finish()


def test_decoder_identity_and_cap() -> None:
    assert _feed(BoundedDecoder(None, 100), b"a" * 100) == b"a" * 100
    with pytest.raises(BodyTooLarge) as info:
        _feed(BoundedDecoder("identity", 100), b"a" * 101)
    assert not info.value.bomb


@pytest.mark.parametrize("encoding", ["gzip", "x-gzip", "deflate", "deflate-raw"])
def test_decoder_roundtrips(encoding: str) -> None:
    data = b"<p>hello world</p>\n" * 5000
    if encoding in ("gzip", "x-gzip"):
        encoded = gzip.compress(data)
    elif encoding == "deflate":
        encoded = zlib.compress(data)
    else:
        comp = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
        encoded, encoding = comp.compress(data) + comp.flush(), "deflate"
    assert _feed(BoundedDecoder(encoding, len(data)), encoded) == data


def test_decoder_bomb_vs_large() -> None:
    bomb = gzip.compress(bytes(50 * 1024 * 1024))
    decoder = BoundedDecoder("gzip", 1024 * 1024)
    with pytest.raises(BodyTooLarge) as info:
        _feed(decoder, bomb, step=65536)
    assert info.value.bomb
    noise = random.Random(0).randbytes(300_000)
    with pytest.raises(BodyTooLarge) as info:
        _feed(BoundedDecoder("gzip", 200_000), gzip.compress(noise))
    assert not info.value.bomb


def test_decoder_rejects_corrupt_and_unknown() -> None:
    with pytest.raises(DecodeFailed):
        _feed(BoundedDecoder("gzip", 1000), b"not gzip at all")
    with pytest.raises(DecodeFailed, match="unsupported"):
        BoundedDecoder("br", 1000)


def test_circuit_breaker_opens_and_half_opens() -> None:
    now = [0.0]
    breaker = CircuitBreaker(clock=lambda: now[0])
    for _ in range(2):
        breaker.record_failure("h:80", threshold=3, cooldown_s=10)
    assert not breaker.is_open("h:80")
    breaker.record_success("h:80")
    for _ in range(3):
        breaker.record_failure("h:80", threshold=3, cooldown_s=10)
    assert breaker.is_open("h:80") and not breaker.is_open("other:80")
    now[0] = 10.5
    assert not breaker.is_open("h:80")  # probe allowed
    breaker.record_failure("h:80", threshold=3, cooldown_s=10)
    assert breaker.is_open("h:80")  # one failed probe re-opens
    now[0] = 21
    breaker.record_success("h:80")
    breaker.record_failure("h:80", threshold=3, cooldown_s=10)
    assert not breaker.is_open("h:80")
    forever = CircuitBreaker(clock=lambda: now[0])
    forever.record_failure("x:80", threshold=1, cooldown_s=None)
    now[0] = 1e9
    assert forever.is_open("x:80")


def _robots(status: int | None, body: bytes = b"", error: str | None = None) -> FetchResult:
    return FetchResult(url="http://h/robots.txt", source="r", status=status, body=body, error=error)


def test_robots_rfc9309_outcomes() -> None:
    ua = FetchPolicy().user_agent
    rules = rules_from_result(_robots(200, b"User-agent: *\nDisallow: /x\nCrawl-delay: 3\n"))
    assert not rules.allowed("http://h/x/1", ua) and rules.allowed("http://h/y", ua)
    assert rules.delay_s(ua) == 3.0
    rate = rules_from_result(_robots(200, b"User-agent: *\nRequest-rate: 1/10\n"))
    assert rate.delay_s(ua) == 10.0
    for status in (401, 403, 404, 410):
        assert rules_from_result(_robots(status)).allowed("http://h/x", ua)
    assert not rules_from_result(_robots(500)).allowed("http://h/x", ua)
    failed = rules_from_result(_robots(None, error="connect: refused"))
    assert failed.error is not None and failed.error.startswith("connect:")
    assert rules_from_result(_robots(301, error="too-many-redirects: 5")).allowed("http://h/x", ua)


def test_validators_from_result() -> None:
    result = FetchResult(url="u", source="s", status=200, headers=[("ETag", '"e"')])
    assert Validators.from_result(result) == Validators(etag='"e"')
    assert Validators(etag='"e"', last_modified="d").headers() == [
        ("If-None-Match", '"e"'),
        ("If-Modified-Since", "d"),
    ]
    assert Validators.from_result(FetchResult(url="u", source="s")) is None


# -- the defaults table ------------------------------------------------------------------------


def test_fetch_policy_is_the_one_table_settings_extends() -> None:
    from pipeline.config import Settings

    assert issubclass(Settings, FetchPolicy)  # declared once, inherited: no second copy
    for name, mine in FetchPolicy.model_fields.items():
        theirs = Settings.model_fields[name]
        assert mine.default == theirs.default, name
        assert mine.metadata == theirs.metadata, name  # ge/gt/le bounds
    assert set(Settings.model_fields) - set(FetchPolicy.model_fields) == {
        "refresh_after_h", "max_urls_per_run", "keep_pages", "site_aliases"}
    assert Settings(delay_s=0).policy() == FetchPolicy(delay_s=0)
    assert FetchPolicy().allow_private_addresses is False


def test_fetch_policy_rejects_out_of_bounds_and_unknown_fields() -> None:
    with pytest.raises(ValidationError, match="per_host_concurrency"):
        FetchPolicy(per_host_concurrency=0)
    with pytest.raises(ValidationError, match="delay_s"):
        FetchPolicy(delay_s=-1)
    with pytest.raises(ValidationError, match="extra"):
        FetchPolicy(delay=1)  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        FetchPolicy().delay_s = 3  # type: ignore[misc]  (frozen)


@pytest.mark.parametrize(
    ("agent", "message"),
    [
        ("bot/1.0\r\nX-Injected: 1", "one line of printable characters"),
        ("bot/1.0\n", "one line of printable characters"),
        ("Ωbot/1.0", "Latin-1"),
        ("  ", "must not be empty"),
        (" bot", "must not start or end with spaces"),
    ],
)
def test_user_agent_must_be_a_header_value(agent: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        FetchPolicy(user_agent=agent)


def test_user_agent_may_be_any_latin1_line() -> None:
    assert FetchPolicy(user_agent="Bötli/2 (+mailto:a@b.c)").user_agent.startswith("Bötli")


# -- addresses ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fd00::1", "private"),
        ("169.254.169.254", "link-local"),  # cloud metadata services
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "not globally routable"),  # carrier-grade NAT
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
        ("2002:a9fe:a9fe::", "link-local"),  # 6to4 of 169.254.169.254
        ("93.184.216.34", None),
        ("2606:4700::1111", None),
    ],
)
def test_blocked_reason(address: str, reason: str | None) -> None:
    assert blocked_reason(address) == reason


class _StandIn(httpcore.AsyncNetworkBackend):
    """Stands in for the public internet: records where connections would go, makes none."""

    def __init__(self) -> None:
        self.attempts: list[str] = []

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):  # noqa: ANN001, ANN201
        self.attempts.append(host)
        raise httpcore.ConnectError(f"{host} unreachable (stand-in)")


def _connect(backend: VettedBackend, host: str) -> None:
    asyncio.run(backend.connect_tcp(host, 80, timeout=1))


def test_vetted_backend_refuses_any_private_answer_before_connecting() -> None:
    async def rebinding(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "127.0.0.1"]

    inner = _StandIn()
    with pytest.raises(BlockedAddress, match="evil.example resolves to 127.0.0.1 .loopback."):
        _connect(VettedBackend(rebinding, allow_private=False, inner=inner), "evil.example")
    assert inner.attempts == []
    with pytest.raises(BlockedAddress, match="169.254.169.254 .link-local."):
        _connect(VettedBackend(rebinding, allow_private=False, inner=inner), "169.254.169.254")
    assert inner.attempts == []


def test_vetted_backend_connects_to_the_addresses_it_resolved_in_order() -> None:
    async def two(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "93.184.216.35"]

    inner = _StandIn()
    with pytest.raises(httpcore.ConnectError):
        _connect(VettedBackend(two, allow_private=True, inner=inner), "news.example")
    assert inner.attempts == ["93.184.216.34", "93.184.216.35"]  # no second DNS lookup
