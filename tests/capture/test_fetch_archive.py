"""What a fetch hands the archive: every exchange as sent and received, robots.txt fetches,
header bytes that survive a round trip, and robots.txt files past the size limit."""

from __future__ import annotations

import asyncio
import socket

import pytest
from faultserver import FaultServer, Reply, conditional

from pipeline.capture.fetch import Fetcher, FetchPolicy, Validators
from pipeline.models import FetchResult

pytestmark = pytest.mark.timeout(60)

FAST = FetchPolicy(
    delay_s=0.0,
    backoff_base_s=0.05,
    backoff_max_s=0.2,
    connect_timeout_s=2,
    read_timeout_s=2,
    total_timeout_s=5,
)


def fetch_one(
    url: str,
    policy: FetchPolicy = FAST,
    validators: Validators | None = None,
    robots: list[FetchResult] | None = None,
) -> FetchResult:
    async def go() -> FetchResult:
        on_robots = robots.append if robots is not None else None
        async with Fetcher(trust_env=False, on_robots=on_robots) as fetcher:
            return await fetcher.fetch(url, "test", policy, validators, allow_private=True)

    return asyncio.run(go())


def test_retried_503_and_final_200_are_both_exchanges(fault_server: FaultServer) -> None:
    fault_server.route(
        "/f", [Reply(503, body=b"busy", headers={"Retry-After": "0"}), Reply(body=b"fine")]
    )
    result = fetch_one(fault_server.url("/f"))
    assert result.ok and result.attempts == 2
    failed, final = result.exchanges
    assert (failed.status, failed.raw_body, failed.reason) == (503, b"busy", "Service Unavailable")
    assert (final.status, final.body, final.reason) == (200, b"fine", "OK")
    assert failed.http_version == final.http_version == "HTTP/1.1"
    assert final.ip_address == "127.0.0.1" and failed.started_at < final.started_at
    # Request headers are the ones the server received, byte for byte and in order.
    seen = fault_server.log.requests(path="/f")[1].headers
    assert {k.lower(): v for k, v in final.request_headers} == seen
    assert final.response_headers == result.headers


def test_discarded_bodies_are_kept_only_in_part(fault_server: FaultServer) -> None:
    big = b"e" * (200 * 1024)
    fault_server.route("/f", [Reply(503, body=big), Reply(body=b"fine")])
    result = fetch_one(fault_server.url("/f"))
    failed = result.exchanges[0]
    assert failed.truncated and failed.raw_body == big[: 64 * 1024] and result.body == b"fine"


def test_redirect_hops_are_exchanges(fault_server: FaultServer) -> None:
    fault_server.route("/a", Reply.redirect("/b", 301))
    fault_server.route("/b", Reply(body=b"here"))
    result = fetch_one(fault_server.url("/a"))
    assert [(e.url, e.status) for e in result.exchanges] == [
        (fault_server.url("/a"), 301),
        (fault_server.url("/b"), 200),
    ]
    assert result.exchanges[0].header("location") == "/b"


def test_failure_without_response_is_an_exchange() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    policy = FAST.model_copy(update={"max_retries": 1, "respect_robots": False})
    result = fetch_one(f"http://127.0.0.1:{port}/x", policy)
    assert result.error is not None and result.error.startswith("connect:")
    assert len(result.exchanges) == 2
    assert all(e.status is None and e.error == result.error for e in result.exchanges[-1:])
    assert all(e.error and e.error.startswith("connect:") for e in result.exchanges)


def test_too_large_body_keeps_its_head_and_a_bounded_prefix(fault_server: FaultServer) -> None:
    fault_server.route("/big", Reply.large(3 * 1024 * 1024, declare_length=False))
    policy = FAST.model_copy(update={"max_bytes": 1024 * 1024, "max_retries": 0})
    result = fetch_one(fault_server.url("/big"), policy)
    assert result.error is not None and result.error.startswith("too-large:")
    (exchange,) = result.exchanges
    assert exchange.status == 200 and exchange.error == result.error and exchange.truncated
    assert len(exchange.raw_body) == 64 * 1024 and exchange.body == b""


def test_on_robots_gets_each_robots_fetch_once(fault_servers) -> None:  # noqa: ANN001
    hosts = fault_servers(2)
    hosts[0].route("/robots.txt", Reply.redirect("/robots-real.txt", 301))
    hosts[0].route("/robots-real.txt", Reply(body=b"User-agent: *\nDisallow: /no\n"))
    for srv in hosts:
        srv.route("/p", Reply(body=b"x"))
    robots: list[FetchResult] = []

    async def go() -> list[FetchResult]:
        async with Fetcher(trust_env=False, on_robots=robots.append) as fetcher:
            urls = [srv.url(p) for srv in hosts for p in ("/p", "/p", "/no")]
            return await asyncio.gather(
                *(fetcher.fetch(u, "src", FAST, allow_private=True) for u in urls)
            )

    results = asyncio.run(go())
    assert [r.error is None for r in results] == [True, True, False, True, True, True]
    assert sorted(r.url for r in robots) == sorted(srv.url("/robots.txt") for srv in hosts)
    first = next(r for r in robots if r.url == hosts[0].url("/robots.txt"))
    assert first.source == "src" and first.status == 200
    assert [e.status for e in first.exchanges] == [301, 200]
    other = next(r for r in robots if r is not first)
    assert other.status == 404 and len(other.exchanges) == 1


def test_non_latin1_etag_is_sent_back_byte_for_byte(fault_server: FaultServer) -> None:
    raw_etag = '"Ω-ünïcode-2024"'.encode()  # UTF-8 bytes on the wire, as some servers send
    etag = raw_etag.decode("latin-1")  # http.server writes header text as Latin-1 bytes
    fault_server.route("/e", conditional(b"<p>v1</p>", etag, "Wed, 01 May 2024 10:00:00 GMT"))
    first = fetch_one(fault_server.url("/e"))
    assert first.status == 200
    validators = Validators.from_result(first)
    assert validators is not None and validators.etag is not None
    assert validators.etag.encode("latin-1") == raw_etag
    second = fetch_one(fault_server.url("/e"), validators=validators)
    assert second.status == 304 and second.error is None
    sent = fault_server.log.requests(path="/e")[1].headers["if-none-match"]
    assert sent.encode("latin-1") == raw_etag


def test_robots_over_512_kib_is_parsed_up_to_the_limit(fault_server: FaultServer) -> None:
    filler = b"".join(b"# padding line %06d\n" % i for i in range(600 * 1024 // 20))
    robots = b"User-agent: *\nDisallow: /\n" + filler
    assert len(robots) > 600 * 1024
    fault_server.route("/robots.txt", Reply(body=robots, content_type="text/plain"))
    fault_server.route("/page", Reply(body=b"never"))
    seen: list[FetchResult] = []
    result = fetch_one(fault_server.url("/page"), robots=seen)
    assert result.error is not None and result.error.startswith("robots-disallowed")
    assert "first" in result.error
    assert fault_server.hits("/page") == 0
    (robots_fetch,) = seen
    assert robots_fetch.error is None and robots_fetch.exchanges[-1].truncated
    assert len(robots_fetch.body) == 512 * 1024


def test_rules_past_the_robots_limit_are_ignored(fault_server: FaultServer) -> None:
    filler = b"".join(b"# padding line %06d\n" % i for i in range(600 * 1024 // 20))
    fault_server.route("/robots.txt", Reply(body=filler + b"User-agent: *\nDisallow: /\n"))
    fault_server.route("/page", Reply(body=b"ok"))
    assert fetch_one(fault_server.url("/page")).ok
