"""Fault tests of the Fetcher against a real HTTP server on loopback addresses.

Politeness is asserted from the server's own request log, not from the client's intentions.
"""

from __future__ import annotations

import asyncio
import gzip
import shutil
import socket
import ssl
import subprocess
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from faultserver import FaultServer, ForwardProxy, Reply, conditional

from pipeline.capture.fetch import Fetcher, FetchPolicy, Validators
from pipeline.extract.decode import decode_html
from pipeline.models import FetchResult

pytestmark = pytest.mark.timeout(60)

# Small delays keep the file fast; politeness is checked relative to these.
FAST = FetchPolicy(
    delay_s=0.0,
    backoff_base_s=0.05,
    backoff_max_s=0.2,
    connect_timeout_s=2,
    read_timeout_s=2,
    total_timeout_s=5,
)


def fetch_all(
    urls: list[str],
    policy: FetchPolicy = FAST,
    concurrency: int = 16,
    validators: Validators | None = None,
) -> list[FetchResult]:
    async def go() -> list[FetchResult]:
        async with Fetcher(global_concurrency=concurrency, trust_env=False) as fetcher:
            return await asyncio.gather(
                *(fetcher.fetch(u, "test", policy, validators, allow_private=True) for u in urls)
            )

    return asyncio.run(go())


def fetch_one(
    url: str, policy: FetchPolicy = FAST, validators: Validators | None = None
) -> FetchResult:
    return fetch_all([url], policy, validators=validators)[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- ordinary responses --------------------------------------------------------------------


def test_plain_fetch_records_everything(fault_server: FaultServer) -> None:
    fault_server.route("/a", Reply(body="<p>hello</p>", headers={"ETag": '"v1"'}))
    before = datetime.now(UTC)
    result = fetch_one(fault_server.url("/a"))
    assert result.ok and result.status == 200 and result.error is None
    assert result.body == b"<p>hello</p>"
    assert result.final_url == fault_server.url("/a") and result.redirects == []
    assert result.header("etag") == '"v1"'
    assert result.fetched_at is not None and result.fetched_at >= before
    assert result.fetched_at.tzinfo is not None and result.duration_s > 0
    sent = dict((k.lower(), v) for k, v in result.request_headers)
    assert sent["user-agent"] == FAST.user_agent
    # The server saw the same User-Agent, and asked robots.txt first.
    assert fault_server.log.paths() == ["/robots.txt", "/a"]
    assert fault_server.log.requests(path="/a")[0].headers["user-agent"] == FAST.user_agent


def test_404_is_a_status_not_an_error(fault_server: FaultServer) -> None:
    result = fetch_one(fault_server.url("/missing"))
    assert result.status == 404 and result.error is None and not result.ok and result.attempts == 1


def test_gzip_body_is_decoded_and_kept_as_received(fault_server: FaultServer) -> None:
    page = b"<p>zipped</p>" * 100
    fault_server.route("/gz", Reply.gzipped(page))
    result = fetch_one(fault_server.url("/gz"))
    assert result.ok and result.body == page
    # Headers are the server's, not renamed: the archive decides how to store them.
    wire = gzip.compress(page)
    assert result.header("content-encoding") == "gzip"
    assert result.header("content-length") == str(len(wire))
    final = result.exchanges[-1]
    assert gzip.decompress(final.raw_body) == page and final.body == page
    assert final.response_headers == result.headers and not final.truncated


def test_wrong_charset_header_keeps_bytes_intact(fault_server: FaultServer) -> None:
    # Header claims UTF-8, the page is really windows-1252 (and says so in <meta>).
    page = '<html><head><meta charset="windows-1252"></head><body>Café – naïve</body></html>'
    raw = page.encode("cp1252")
    fault_server.route("/cs", Reply(body=raw, content_type="text/html; charset=utf-8"))
    result = fetch_one(fault_server.url("/cs"))
    assert result.ok and result.body == raw  # fetch never re-encodes
    assert result.header("content-type") == "text/html; charset=utf-8"
    assert "Café – naïve" in decode_html(result.body, result.header("content-type"))


def test_invalid_and_unreachable_urls_are_errors_not_exceptions() -> None:
    port = free_port()
    policy = FetchPolicy(max_retries=1, backoff_base_s=0.01, connect_timeout_s=1)
    bad, unreachable = fetch_all(["ftp://example.org/x", f"http://127.0.0.1:{port}/x"], policy)
    assert bad.error is not None and bad.error.startswith("invalid-url")
    assert unreachable.error is not None and unreachable.error.startswith("connect:")


# -- retries ---------------------------------------------------------------------------------


def test_429_retry_after_seconds_is_honoured(fault_server: FaultServer) -> None:
    fault_server.route("/t", [Reply(429, headers={"Retry-After": "1"}), Reply(body=b"ok")])
    result = fetch_one(fault_server.url("/t"))
    assert result.ok and result.body == b"ok" and result.attempts == 2
    first, second = fault_server.log.requests(path="/t")
    assert first.replied is not None
    assert second.start - first.replied >= 0.95  # Retry-After: 1, counted from the 429


def test_retry_after_http_date_is_honoured(fault_server: FaultServer) -> None:
    def throttled(req):  # noqa: ANN001
        when = datetime.now(UTC) + timedelta(seconds=2)
        return Reply(503, headers={"Retry-After": format_datetime(when, usegmt=True)})

    fault_server.route("/d", [throttled, Reply(body=b"ok")])
    result = fetch_one(fault_server.url("/d"))
    assert result.ok and result.attempts == 2
    first, second = fault_server.log.requests(path="/d")
    # HTTP dates have 1 s resolution: the wait is at least 1 s of the 2 asked for.
    assert second.start - first.start >= 0.95


def test_retry_after_beyond_cap_gives_up(fault_server: FaultServer) -> None:
    fault_server.route("/t", Reply(429, headers={"Retry-After": "3600"}))
    result = fetch_one(fault_server.url("/t"))
    assert result.status == 429 and result.attempts == 1 and fault_server.hits("/t") == 1


def test_503_then_200_is_retried_with_backoff(fault_server: FaultServer) -> None:
    fault_server.route("/f", [Reply(503), Reply(503), Reply(body=b"fine")])
    result = fetch_one(fault_server.url("/f"))
    assert result.ok and result.body == b"fine" and result.attempts == 3
    gaps = fault_server.log.start_gaps(path="/f")
    # backoff base 0.05 s, doubling, equal jitter: waits in [0.025, 0.05] then [0.05, 0.1]
    assert gaps[0] >= 0.025 and gaps[1] >= 0.05  # (the waits' upper bounds: test_fetch_units)


def test_persistent_503_stops_after_max_retries(fault_server: FaultServer) -> None:
    fault_server.route("/f", Reply(503))
    result = fetch_one(fault_server.url("/f"))
    assert result.status == 503 and result.attempts == FAST.max_retries + 1
    assert fault_server.hits("/f") == FAST.max_retries + 1


def test_circuit_breaker_stops_hammering_a_failing_host(fault_server: FaultServer) -> None:
    fault_server.route("/robots.txt", Reply(404))
    for i in range(10):
        fault_server.route(f"/p{i}", Reply(500))
    policy = FetchPolicy(
        delay_s=0, max_retries=1, backoff_base_s=0.01, breaker_failures=4, per_host_concurrency=1
    )
    results = fetch_all([fault_server.url(f"/p{i}") for i in range(10)], policy)
    errors = [r.error or "" for r in results]
    assert sum(e.startswith("circuit-open: host") for e in errors) >= 7
    hits = len(fault_server.log.requests()) - 1  # minus robots.txt
    assert hits == 4  # exactly the threshold, then nothing more reaches the host


def test_hang_up_and_garbage_are_retried_network_errors(fault_server: FaultServer) -> None:
    fault_server.route("/hup", [Reply.hang_up(), Reply(body=b"second time lucky")])
    fault_server.route("/junk", Reply.garbage())
    hup, junk = fetch_all([fault_server.url("/hup"), fault_server.url("/junk")])
    # /hup went out on the connection robots.txt had used: a hang-up there is taken for a
    # keep-alive race and the request goes again at once on a fresh connection.
    assert hup.ok and hup.body == b"second time lucky" and fault_server.hits("/hup") == 2
    assert hup.attempts == 1  # sent again at once, not a retry after backoff
    assert [e.error is not None and e.error.startswith("network:") for e in hup.exchanges] == [
        True,
        False,
    ]
    assert junk.error is not None and junk.error.startswith("network:")
    # On a fresh connection (no robots.txt before it) a hang-up is a failed attempt, retried.
    fault_server.route("/hup2", [Reply.hang_up(), Reply(body=b"ok")])
    fresh = fetch_one(fault_server.url("/hup2"), FAST.model_copy(update={"respect_robots": False}))
    assert fresh.ok and fresh.attempts == 2 and fault_server.hits("/hup2") == 2
    assert junk.attempts == FAST.max_retries + 1


# -- limits ----------------------------------------------------------------------------------


def test_slow_response_past_read_timeout(fault_server: FaultServer) -> None:
    fault_server.route("/slow", Reply(body=b"late", delay_s=3))
    policy = FetchPolicy(delay_s=0, read_timeout_s=0.3, max_retries=1, backoff_base_s=0.01)
    result = fetch_one(fault_server.url("/slow"), policy)
    # Had the client waited out the 3 s delay it would hold the body, not a timeout.
    assert result.error is not None and result.error.startswith("timeout:")
    assert result.attempts == 2 and result.body == b""


def test_body_that_never_ends_hits_total_timeout(fault_server: FaultServer) -> None:
    fault_server.route("/drip", Reply.endless(b"x" * 100, chunk_delay_s=0.05))
    policy = FetchPolicy(delay_s=0, read_timeout_s=5, total_timeout_s=0.5, max_retries=0)
    result = fetch_one(fault_server.url("/drip"), policy)
    assert result.error == "timeout: total 0.5s exceeded"
    assert result.body == b""


def test_fast_endless_body_hits_size_cap(fault_server: FaultServer) -> None:
    fault_server.route("/flood", Reply.endless(b"y" * 65536, chunk_delay_s=0))
    policy = FetchPolicy(delay_s=0, max_bytes=2 * 1024 * 1024, max_retries=0)
    result = fetch_one(fault_server.url("/flood"), policy)
    assert result.error is not None and result.error.startswith("too-large:")


@pytest.mark.parametrize("declare_length", [True, False])
def test_50_mb_body_is_refused(fault_server: FaultServer, declare_length: bool) -> None:
    fault_server.route("/big", Reply.large(50 * 1024 * 1024, declare_length=declare_length))
    policy = FetchPolicy(delay_s=0, max_retries=0)  # default max_bytes: 10 MiB
    result = fetch_one(fault_server.url("/big"), policy)
    assert result.error is not None and result.error.startswith("too-large:")
    assert result.status == 200 and result.body == b""
    if declare_length:
        assert "Content-Length" in result.error


def test_gzip_bomb_is_stopped_with_bounded_memory(fault_server: FaultServer) -> None:
    fault_server.route("/bomb", Reply.gzip_bomb(128 << 20))  # 128 KiB on the wire, 128 MiB inflated
    policy = FetchPolicy(delay_s=0, max_bytes=5 * 1024 * 1024, max_retries=0)
    tracemalloc.start()
    try:
        result = fetch_one(fault_server.url("/bomb"), policy)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.error is not None and result.error.startswith("decompression-bomb:")
    assert peak < 4 * policy.max_bytes, peak


def test_redirects_are_recorded_hop_by_hop(fault_servers) -> None:  # noqa: ANN001
    hosts = fault_servers(2)
    a, b = hosts[0], hosts[1]
    a.route("/start", Reply.redirect("/middle", 301))
    a.route("/middle", Reply.redirect(b.url("/end"), 302))
    b.route("/end", Reply(body=b"arrived"))
    result = fetch_one(a.url("/start"))
    assert result.ok and result.body == b"arrived"
    assert result.redirects == [a.url("/start"), a.url("/middle")]
    assert result.final_url == b.url("/end")
    assert "/robots.txt" in b.log.paths(b.host_port)  # robots checked on the new host too


def test_redirect_loop_is_cut_at_max_redirects(fault_server: FaultServer) -> None:
    fault_server.route("/x", Reply.redirect("/y"))
    fault_server.route("/y", Reply.redirect("/x"))
    policy = FetchPolicy(delay_s=0, max_redirects=5)
    result = fetch_one(fault_server.url("/x"), policy)
    assert result.error is not None and result.error.startswith("too-many-redirects")
    assert len(result.redirects) == 6
    assert fault_server.hits("/x") + fault_server.hits("/y") == 6


# -- robots.txt ------------------------------------------------------------------------------


def test_robots_disallow_is_never_fetched_and_robots_is_cached(fault_server: FaultServer) -> None:
    fault_server.route(
        "/robots.txt",
        Reply(body="User-agent: *\nDisallow: /private\n", content_type="text/plain"),
    )
    for i in range(5):
        fault_server.route(f"/public/{i}", Reply(body=b"ok"))
    urls = [fault_server.url(f"/private/{i}") for i in range(5)]
    urls += [fault_server.url(f"/public/{i}") for i in range(5)]
    results = fetch_all(urls)
    assert all(r.error is not None and r.error.startswith("robots-disallowed") for r in results[:5])
    assert all(r.ok for r in results[5:])
    paths = fault_server.log.paths()
    assert not any(p.startswith("/private") for p in paths)
    assert paths.count("/robots.txt") == 1


def test_robots_for_our_agent_and_crawl_delay(fault_server: FaultServer) -> None:
    fault_server.route(
        "/robots.txt",
        Reply(
            body="User-agent: pipeline-news-corpus\nDisallow: /no\nCrawl-delay: 0.25\n\n"
            "User-agent: *\nDisallow: /\n",
            content_type="text/plain",
        ),
    )
    for i in range(4):
        fault_server.route(f"/ok/{i}", Reply(body=b"ok"))
    policy = FetchPolicy(delay_s=0.0, per_host_concurrency=4)
    results = fetch_all(
        [fault_server.url(f"/ok/{i}") for i in range(4)] + [fault_server.url("/no")], policy
    )
    assert all(r.ok for r in results[:4]) and results[4].error.startswith("robots-disallowed")
    gaps = fault_server.log.start_gaps()[1:]  # after robots.txt
    assert len(gaps) == 3 and min(gaps) >= 0.24, gaps


def test_redirect_into_disallowed_path_is_not_followed(fault_server: FaultServer) -> None:
    fault_server.route("/robots.txt", Reply(body="User-agent: *\nDisallow: /members/\n"))
    fault_server.route("/teaser", Reply.redirect("/members/full-story"))
    fault_server.route("/members/full-story", Reply(body=b"paywalled"))
    result = fetch_one(fault_server.url("/teaser"))
    assert result.error is not None and result.error.startswith("robots-disallowed: /members/")
    assert result.redirects == [fault_server.url("/teaser")]
    assert fault_server.hits("/members/full-story") == 0


def test_redirect_to_junk_location_is_an_error(fault_server: FaultServer) -> None:
    fault_server.route("/odd", Reply.redirect("http://[::1"))
    fault_server.route("/ftp", Reply.redirect("ftp://files.example/x"))
    odd, ftp = fetch_all([fault_server.url("/odd"), fault_server.url("/ftp")])
    assert odd.error is not None and odd.error.startswith("invalid-url")
    assert ftp.error is not None and ftp.error.startswith("invalid-url")


def test_robots_5xx_means_disallow_all(fault_server: FaultServer) -> None:
    fault_server.route("/robots.txt", Reply(503))
    fault_server.route("/page", Reply(body=b"never"))
    result = fetch_one(fault_server.url("/page"), FetchPolicy(max_retries=0, delay_s=0))
    assert result.error is not None and result.error.startswith("robots-disallowed")
    assert fault_server.hits("/page") == 0


# -- conditional requests --------------------------------------------------------------------


def test_304_on_conditional_request(fault_server: FaultServer) -> None:
    modified = "Wed, 01 May 2024 10:00:00 GMT"
    fault_server.route("/feed", conditional(b"<rss/>", '"abc"', modified))
    first = fetch_one(fault_server.url("/feed"))
    assert first.status == 200 and first.body == b"<rss/>"
    validators = Validators.from_result(first)
    assert validators == Validators(etag='"abc"', last_modified=modified)
    second = fetch_one(fault_server.url("/feed"), validators=validators)
    assert second.status == 304 and second.body == b"" and second.error is None
    sent = {k.lower(): v for k, v in second.request_headers}
    assert sent["if-none-match"] == '"abc"' and sent["if-modified-since"] == modified
    assert fault_server.log.requests(path="/feed")[1].headers["if-none-match"] == '"abc"'


# -- politeness under concurrency ------------------------------------------------------------


def test_per_host_concurrency_from_server_log(fault_servers) -> None:  # noqa: ANN001
    hosts = fault_servers(3)
    for srv in hosts:
        for i in range(8):
            # 0.25 s held: long enough that a busy machine still gets both slots of every host
            # on the wire at once (4 rounds, about 1 s in all)
            srv.route(f"/p{i}", Reply(body=b"x", delay_s=0.25))
    urls = [srv.url(f"/p{i}") for i in range(8) for srv in hosts]
    results = fetch_all(urls, FetchPolicy(per_host_concurrency=2, delay_s=0))
    assert all(r.ok for r in results)
    for srv in hosts:
        assert hosts.log.max_concurrency(srv.host_port) == 2  # used, never exceeded
    # Hosts run in parallel: at some moment all three hosts had both their slots busy.
    assert hosts.log.max_concurrency() == 6


def test_per_host_delay_from_server_log(fault_servers) -> None:  # noqa: ANN001
    hosts = fault_servers(3)
    for srv in hosts:
        for i in range(8):
            srv.route(f"/p{i}", Reply(body=b"x", delay_s=0.02))
    policy = FetchPolicy(per_host_concurrency=2, delay_s=0.15)
    urls = [srv.url(f"/p{i}") for i in range(8) for srv in hosts]
    results = fetch_all(urls, policy)
    assert all(r.ok for r in results)
    firsts, seconds = [], []
    for srv in hosts:
        pages = [r for r in hosts.log.requests(srv.host_port) if r.path != "/robots.txt"]
        assert len(pages) == 8
        # The server sees client starts plus scheduling jitter (ms on an idle machine, tens of
        # ms on a busy one, more on a new connection e.g. after robots.txt): 30 ms slack.
        starts = [r.start for r in pages]
        gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
        assert min(gaps) >= 0.15 - 0.03, gaps
        assert sum(gaps) >= 7 * 0.15 - 0.03  # on average, not faster at all
        firsts.append(starts[0])
        seconds.append(starts[2])  # the third start waits for the host's delay (2 in flight)
    # Hosts are paced independently: every host started before any host had to wait its delay.
    assert max(firsts) < min(seconds)


def test_global_concurrency_cap(fault_servers) -> None:  # noqa: ANN001
    hosts = fault_servers(5, first=11)
    for srv in hosts:
        for i in range(4):
            srv.route(f"/p{i}", Reply(body=b"x", delay_s=0.05))
    urls = [srv.url(f"/p{i}") for srv in hosts for i in range(4)]
    results = fetch_all(urls, FetchPolicy(per_host_concurrency=4, delay_s=0), concurrency=3)
    assert all(r.ok for r in results)
    assert hosts.log.max_concurrency() <= 3


def test_retry_after_pauses_the_whole_host(fault_server: FaultServer) -> None:
    fault_server.route("/a", [Reply(429, headers={"Retry-After": "1"}), Reply(body=b"a")])
    fault_server.route("/b", Reply(body=b"b", delay_s=0.0))

    async def go() -> list[FetchResult]:
        async with Fetcher(trust_env=False) as fetcher:
            first = asyncio.create_task(
                fetcher.fetch(fault_server.url("/a"), "t", FAST, allow_private=True)
            )
            await asyncio.sleep(0.3)  # /a has had its 429 by now
            second = await fetcher.fetch(fault_server.url("/b"), "t", FAST, allow_private=True)
            return [await first, second]

    a, b = asyncio.run(go())
    assert a.ok and b.ok
    throttled = fault_server.log.requests(path="/a")[0]
    assert throttled.replied is not None
    assert fault_server.log.requests(path="/b")[0].start >= throttled.replied + 0.95


# -- TLS (the plain-asyncio network backend's start_tls path) ----------------------------------


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory) -> tuple[str, str]:  # noqa: ANN001
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl CLI not available")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return str(cert), str(key)


def test_https_fetch_and_untrusted_certificate(self_signed: tuple[str, str]) -> None:
    cert, key = self_signed
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with FaultServer("127.0.0.1", ssl_context=context) as srv:
        srv.route("/s", Reply(body=b"secure " * 20000))

        async def go() -> tuple[FetchResult, FetchResult, FetchResult]:
            trusted = ssl.create_default_context(cafile=cert)
            async with Fetcher(trust_env=False, verify=trusted) as trusting:
                first = await trusting.fetch(srv.url("/s"), "t", FAST, allow_private=True)
                again = await trusting.fetch(
                    srv.url("/s"), "t", FAST, allow_private=True
                )  # reused TLS connection
            async with Fetcher(trust_env=False) as strict:
                refused = await strict.fetch(srv.url("/s"), "t", FAST, allow_private=True)
            return first, again, refused

        first, again, refused = asyncio.run(go())
    assert first.ok and first.body == b"secure " * 20000 and first.final_url.startswith("https://")
    assert again.ok and again.body == first.body
    assert refused.error is not None and refused.error.startswith("tls:")
    assert "CERTIFICATE_VERIFY_FAILED" in refused.error
    assert refused.attempts == 1  # a bad certificate is not retried


def test_https_through_a_connect_tunnel(self_signed: tuple[str, str]) -> None:
    cert, key = self_signed
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with (
        FaultServer("127.0.0.1", ssl_context=context) as srv,
        ForwardProxy("127.0.0.9") as proxy,
    ):
        srv.route("/s", Reply(body=b"tunnelled"))

        async def go() -> FetchResult:
            trusted = ssl.create_default_context(cafile=cert)
            async with Fetcher(trust_env=False, verify=trusted, proxy=proxy.url("")) as fetcher:
                return await fetcher.fetch(srv.url("/s"), "t", FAST, allow_private=True)

        result = asyncio.run(go())
        assert result.ok and result.body == b"tunnelled"
        assert [r.method for r in proxy.log.requests()] == ["CONNECT"]  # one tunnel, reused
        assert srv.log.paths() == ["/robots.txt", "/s"]


# -- connection pools and proxies --------------------------------------------------------------


def wait_until(condition: Callable[[], bool], timeout_s: float = 5.0) -> bool:
    """Poll until `condition()` holds (the server sees a close a moment after the client)."""
    deadline = time.monotonic() + timeout_s
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


def test_idle_connections_are_capped(fault_servers) -> None:  # noqa: ANN001
    hosts = fault_servers(5, first=41)
    for srv in hosts:
        srv.route("/p", Reply(body=b"x"))
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=2, keepalive_expiry=30)

    async def go() -> tuple[list[bool], bool]:
        async with Fetcher(trust_env=False, limits=limits) as fetcher:
            results = [
                await fetcher.fetch(srv.url("/p"), "t", FAST, allow_private=True) for srv in hosts
            ]
            capped = await asyncio.to_thread(
                wait_until, lambda: sum(srv.connections_open for srv in hosts) <= 2
            )
            return [r.ok for r in results], capped

    oks, capped = asyncio.run(go())
    assert all(oks) and capped
    # robots.txt and the page went over one kept-alive connection per host
    assert [srv.connections_opened for srv in hosts] == [1] * 5


def test_idle_connections_expire(fault_servers) -> None:  # noqa: ANN001
    hosts = fault_servers(2, first=46)
    for srv in hosts:
        srv.route("/p", Reply(body=b"x"))
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=10, keepalive_expiry=0.1)

    async def go() -> bool:
        async with Fetcher(trust_env=False, limits=limits) as fetcher:
            await fetcher.fetch(hosts[0].url("/p"), "t", FAST, allow_private=True)
            await asyncio.sleep(0.3)
            await fetcher.fetch(hosts[1].url("/p"), "t", FAST, allow_private=True)
            # host 1's connection expired while idle and was closed when host 2 was fetched
            return await asyncio.to_thread(wait_until, lambda: hosts[0].connections_open == 0)

    assert asyncio.run(go())
    assert hosts[0].connections_opened == 1


def test_explicit_proxy_gets_absolute_form_requests(fault_server: FaultServer) -> None:
    fault_server.route("http://news.invalid/robots.txt", Reply(404))
    fault_server.route("http://news.invalid/story", Reply(body=b"via proxy"))

    async def go() -> FetchResult:
        async with Fetcher(trust_env=False, proxy=fault_server.url("")) as fetcher:
            return await fetcher.fetch("http://news.invalid/story", "t", FAST, allow_private=True)

    result = asyncio.run(go())
    assert result.ok and result.body == b"via proxy"
    assert fault_server.log.paths() == [
        "http://news.invalid/robots.txt",
        "http://news.invalid/story",
    ]


def test_ports_of_one_host_share_its_pace() -> None:
    with FaultServer("127.0.0.1") as one, FaultServer("127.0.0.1", log=one.log) as two:
        one.route("/a", Reply(body=b"a"))
        two.route("/b", Reply(body=b"b"))
        policy = FetchPolicy(delay_s=0.2, per_host_concurrency=2)
        results = fetch_all([one.url("/a"), two.url("/b")], policy)
        assert all(r.ok for r in results)
        starts = [r.start for r in one.log.requests()]  # robots x2, /a, /b: all one pace
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert len(gaps) == 3 and min(gaps) >= 0.2 - 0.03, gaps


@pytest.mark.parametrize("concurrency,delay_s", [(1, 0.0), (3, 0.12)])
def test_cancelled_fetches_free_their_slots(
    fault_server: FaultServer, concurrency: int, delay_s: float
) -> None:
    # Cancelled while queued for a slot (first case) or sleeping in the host's start gate.
    for i in range(6):
        fault_server.route(f"/s{i}", Reply(body=b"x", delay_s=0.2))
    policy = FetchPolicy(per_host_concurrency=concurrency, delay_s=delay_s)

    async def go() -> list[FetchResult]:
        async with Fetcher(trust_env=False) as fetcher:
            tasks = [
                asyncio.create_task(
                    fetcher.fetch(fault_server.url(f"/s{i}"), "t", policy, allow_private=True)
                )
                for i in range(6)
            ]
            await asyncio.sleep(0.3)  # /s0 done, /s1 in flight, the rest queued for the slot
            for task in tasks[2:5]:
                task.cancel()
            done = await asyncio.gather(*tasks, return_exceptions=True)
            host = fetcher._attempts.pacer._hosts["127.0.0.1"]  # noqa: SLF001 (white-box check)
            assert host.active == 0 and not host.waiters and not host.gate.locked()
            return [r for r in done if isinstance(r, FetchResult)]

    results = asyncio.run(go())
    assert len(results) == 3 and all(r.ok for r in results)
    assert fault_server.log.max_concurrency() <= concurrency
    gaps = fault_server.log.start_gaps()
    assert min(gaps) >= delay_s - 0.03, gaps
