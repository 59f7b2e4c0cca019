"""Shared fixtures: loopback fault servers, a news site on one, a warehouse path, no proxies."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest_fault import fault_server, fault_servers  # noqa: F401  (fixtures)
from faultserver import FaultServer
from helpers import NewsSite


@pytest.fixture
def news_site(fault_server: FaultServer) -> NewsSite:  # noqa: F811
    return NewsSite(fault_server)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "warehouse" / "corpus.duckdb"


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Loopback tests must never go through a proxy from the environment."""
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "*")
    yield
