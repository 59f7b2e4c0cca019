"""Which addresses a fetch may reach (no SSRF by default), and fetching through a real proxy.

All servers are on loopback; public-looking names are given to them by a resolver hook (the
DNS of the public internet, mocked) or by the test proxy's upstream table.
"""

from __future__ import annotations

import asyncio
import socket

import pytest
from faultserver import FaultServer, ForwardProxy, Reply

from pipeline.capture.fetch import Fetcher, FetchPolicy
from pipeline.models import FetchResult

pytestmark = pytest.mark.timeout(60)

FAST = FetchPolicy(delay_s=0.0, max_retries=0, connect_timeout_s=2, read_timeout_s=2)


def dns(table: dict[str, list[str]]):  # noqa: ANN201
    async def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError(f"unknown host {host}")
        return table[host]

    return resolve


def fetch(
    url: str,
    *,
    allow_private: bool = False,
    policy: FetchPolicy = FAST,
    resolver=None,  # noqa: ANN001
    proxy: str | None = None,
    trust_env: bool = False,
) -> FetchResult:
    async def go() -> FetchResult:
        options = {"resolver": resolver} if resolver else {}
        async with Fetcher(trust_env=trust_env, proxy=proxy, **options) as fetcher:
            return await fetcher.fetch(url, "t", policy, allow_private=allow_private)

    return asyncio.run(go())


# -- direct connections ------------------------------------------------------------------------


@pytest.mark.parametrize("robots", [True, False])
def test_public_name_on_loopback_is_refused_unconnected(
    fault_server: FaultServer, robots: bool
) -> None:
    fault_server.route("/a", Reply(body=b"secret"))
    policy = FAST.model_copy(update={"respect_robots": robots})
    result = fetch(
        f"http://news.example:{fault_server.port}/a",
        policy=policy,
        resolver=dns({"news.example": ["127.0.0.1"]}),
    )
    assert result.error is not None and result.error.startswith("blocked-address: ")
    assert "news.example resolves to 127.0.0.1 (loopback)" in result.error
    assert fault_server.connections_opened == 0 and fault_server.log.requests() == []
    if not robots:
        (exchange,) = result.exchanges
        assert exchange.status is None and exchange.error == result.error


def test_loopback_literal_is_refused_unless_allowed(fault_server: FaultServer) -> None:
    fault_server.route("/a", Reply(body=b"ok"))
    refused = fetch(fault_server.url("/a"))
    assert refused.error is not None and refused.error.startswith("blocked-address: 127.0.0.1")
    assert fault_server.connections_opened == 0
    assert fetch(fault_server.url("/a"), allow_private=True).ok
    assert fetch(
        fault_server.url("/a"), policy=FAST.model_copy(update={"allow_private_addresses": True})
    ).ok


def test_named_private_url_connects_to_the_vetted_address(fault_server: FaultServer) -> None:
    fault_server.route("/a", Reply(body=b"ok"))
    url = f"http://news.example:{fault_server.port}/a"
    result = fetch(url, allow_private=True, resolver=dns({"news.example": ["127.0.0.1"]}))
    assert result.ok and result.body == b"ok"
    assert result.exchanges[-1].ip_address == "127.0.0.1"
    # The request still names the host: Host header (and SNI for https) use the name.
    host = fault_server.log.requests(path="/a")[0].headers["host"]
    assert host == f"news.example:{fault_server.port}"


def test_unresolvable_name_is_a_connect_error() -> None:
    result = fetch("http://nowhere.example/x", resolver=dns({}))
    assert result.error is not None and result.error.startswith("connect: ")
    assert "cannot resolve nowhere.example" in result.error


def test_redirect_between_private_hosts_from_a_private_start(fault_servers) -> None:  # noqa: ANN001
    hosts = fault_servers(2)
    hosts[0].route("/start", Reply.redirect(hosts[1].url("/end")))
    hosts[1].route("/end", Reply(body=b"arrived"))
    resolver = dns({"intranet.example": ["127.0.0.1"]})
    start = f"http://intranet.example:{hosts[0].port}/start"
    result = fetch(start, allow_private=True, resolver=resolver)
    assert result.ok and result.body == b"arrived"
    # Found content may not go there when the start itself was not allowed to be private.
    refused = fetch(start, resolver=resolver)
    assert refused.error is not None and refused.error.startswith("blocked-address")


# -- through a proxy ---------------------------------------------------------------------------


@pytest.fixture
def proxy() -> ForwardProxy:
    with ForwardProxy("127.0.0.9") as server:
        yield server


def test_fetch_through_a_forwarding_proxy(fault_server: FaultServer, proxy: ForwardProxy) -> None:
    proxy.upstreams["news.example"] = fault_server
    fault_server.route("/story", Reply(body=b"via proxy", headers={"ETag": '"p1"'}))
    result = fetch("http://news.example/story", proxy=proxy.url(""))
    assert result.ok and result.body == b"via proxy" and result.header("etag") == '"p1"'
    assert proxy.log.paths() == ["http://news.example/robots.txt", "http://news.example/story"]
    assert fault_server.log.requests(path="/story")[0].headers["host"] == "news.example"
    assert result.exchanges[-1].ip_address == "127.0.0.9"  # the connection went to the proxy


def test_environment_proxy_and_no_proxy(
    fault_server: FaultServer, proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy.upstreams["news.example"] = fault_server
    fault_server.route("/story", Reply(body=b"ok"))
    monkeypatch.setenv("HTTP_PROXY", proxy.url(""))
    monkeypatch.setenv("NO_PROXY", "direct.example")
    via_env = fetch("http://news.example/story", trust_env=True)
    assert via_env.ok and proxy.log.paths()[-1] == "http://news.example/story"
    resolver = dns({"direct.example": ["127.0.0.1"]})
    url = f"http://direct.example:{fault_server.port}/story"
    bypassed = fetch(url, trust_env=True, resolver=resolver, allow_private=True)
    assert bypassed.ok and len(proxy.log.requests()) == 2  # no_proxy: not through the proxy
    ignored = fetch("http://news.example/story", trust_env=False, resolver=dns({}))
    assert ignored.error is not None and ignored.error.startswith("connect:")


def test_redirect_from_public_start_to_loopback_is_refused_via_proxy(
    fault_servers,
    proxy: ForwardProxy,  # noqa: ANN001
) -> None:
    origin, internal = fault_servers(2)
    proxy.upstreams["news.example"] = origin
    origin.route("/start", Reply.redirect(internal.url("/admin")))
    internal.route("/admin", Reply(body=b"internal"))
    result = fetch("http://news.example/start", proxy=proxy.url(""))
    assert result.error is not None and result.error.startswith("blocked-address: 127.0.0.2")
    assert internal.log.requests(internal.host_port) == []
    assert all("127.0.0.2" not in p for p in proxy.log.paths())
    allowed = fetch(
        "http://news.example/start",
        proxy=proxy.url(""),
        policy=FAST.model_copy(update={"allow_private_addresses": True}),
    )
    assert allowed.ok and allowed.body == b"internal"


def test_unreachable_proxy_is_a_connect_error() -> None:
    with socket.socket() as sock:  # bound and closed: nothing listens there then
        sock.bind(("127.0.0.9", 0))
        port = sock.getsockname()[1]
    result = fetch("http://news.example/story", proxy=f"http://127.0.0.9:{port}")
    assert result.error is not None and result.error.startswith("connect:")
