"""Extraction is a pure function of its input: byte-identical output in processes with different hash seeds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = sorted(
    str(p.relative_to(ROOT))
    for p in (ROOT / "fixtures").rglob("*")
    if p.suffix in (".html", ".txt")
)


def _extract_under(seed: str) -> bytes:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "extract", *FIXTURES, "--jsonl", "-"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        check=True,
        timeout=240,
    )
    return done.stdout


def test_fixtures_extract_identically_under_two_hash_seeds():
    assert len(FIXTURES) >= 20
    first, second = _extract_under("1"), _extract_under("4242")
    assert first.count(b"\n") == len(FIXTURES)
    assert b'"page_type"' in first
    assert first == second
