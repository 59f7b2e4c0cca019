"""Pytest fixtures for the fault server (tests/support/faultserver.py), used by tests/conftest.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from faultserver import FaultServer, FaultServers


@pytest.fixture
def fault_server() -> Iterator[FaultServer]:
    """One fault server on 127.0.0.1 and a free port."""
    with FaultServer("127.0.0.1") as server:
        yield server


@pytest.fixture
def fault_servers() -> Iterator[Callable[[int], FaultServers]]:
    """Factory: `fault_servers(3)` starts servers on 127.0.0.1..3 sharing one request log."""
    started: list[FaultServers] = []

    def make(count: int, first: int = 1) -> FaultServers:
        group = FaultServers(count, first).__enter__()
        started.append(group)
        return group

    yield make
    for group in started:
        group.__exit__(None, None, None)
