"""sources.yaml validation: every error names the file, the line and the field."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import write_sources

from pipeline.config import load_config
from pipeline.errors import ConfigError


def error_for(tmp_path: Path, body: str) -> str:
    path = write_sources(tmp_path, body)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return str(info.value)


def test_valid_file_with_defaults_and_overrides(tmp_path: Path) -> None:
    path = write_sources(tmp_path, """\
        defaults:
          user_agent: "test-agent/1"
          delay_s: 2.5
        sources:
          - name: seeds
            files: fixtures/*.txt
          - name: feed
            feed: https://example.org/rss.xml
            delay_s: 0.5
            include: "/world/"
            max_items: 10
          - name: map
            sitemap: https://example.org/sitemap.xml
          - name: picked
            urls: [https://example.org/a.html, https://example.org/b.html]
        """)
    config = load_config(path)
    assert [s.kind for s in config.sources] == ["files", "feed", "sitemap", "urls"]
    feed = config.sources[1]
    assert config.settings_for(feed).delay_s == 0.5
    assert config.settings_for(feed).user_agent == "test-agent/1"
    assert config.settings_for(config.sources[0]).policy().delay_s == 2.5


def test_malformed_yaml_names_line(tmp_path: Path) -> None:
    message = error_for(tmp_path, "sources:\n  - name: a\n    files: [unclosed\n")
    assert "sources.yaml:" in message and "malformed YAML" in message


def test_unknown_key_names_line_field_and_source(tmp_path: Path) -> None:
    message = error_for(tmp_path, """\
        sources:
          - name: good
            files: x/*.txt
          - name: typo
            feeed: https://example.org/rss
        """)
    assert "sources.yaml:5:" in message
    assert "sources.1.feeed" in message and "'typo'" in message and "unknown key" in message


def test_two_kinds_in_one_source(tmp_path: Path) -> None:
    message = error_for(tmp_path, """\
        sources:
          - name: both
            feed: https://example.org/rss
            urls: [https://example.org/a]
        """)
    assert "sources.yaml:2:" in message and "exactly one of" in message and "urls and feed" in message


def test_no_kind_at_all(tmp_path: Path) -> None:
    message = error_for(tmp_path, "sources:\n  - name: empty\n")
    assert "sources.yaml:2:" in message and "got none" in message


def test_bad_values_are_located(tmp_path: Path) -> None:
    message = error_for(tmp_path, """\
        defaults:
          delay_s: -1
        sources:
          - name: x
            urls: [ftp://example.org/a]
            include: "([unclosed"
        """)
    assert "sources.yaml:2: defaults.delay_s" in message
    assert "sources.yaml:5: sources.0.urls" in message and "not an http(s) URL" in message
    assert "sources.yaml:6: sources.0.include" in message and "regular expression" in message


def test_duplicate_names_and_missing_file(tmp_path: Path) -> None:
    message = error_for(tmp_path, """\
        sources:
          - {name: a, files: "*.txt"}
          - {name: a, files: "*.html"}
        """)
    assert "used twice" in message
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.yaml")


def test_default_sources_file_is_valid() -> None:
    config = load_config(Path(__file__).resolve().parents[1] / "sources.yaml")
    assert config.sources[0].name == "seeds"
    assert len(config.resolve_files(config.sources[0])) == 5


def test_every_default_can_be_overridden_per_source_with_the_same_checks(tmp_path: Path) -> None:
    path = write_sources(tmp_path, """\
        defaults:
          breaker_failures: 4
          retry_after_max_s: 30
        sources:
          - name: slow
            feed: https://example.org/rss
            delay_s: 5
            breaker_cooldown_s: 600
        """)
    config = load_config(path)
    policy = config.settings_for(config.sources[0]).policy()
    assert (policy.delay_s, policy.breaker_failures, policy.breaker_cooldown_s, policy.retry_after_max_s) == (5, 4, 600, 30)
    message = error_for(tmp_path, """\
        sources:
          - name: bad
            feed: https://example.org/rss
            per_host_concurrency: 0
        """)
    assert "sources.yaml:4: sources.0.per_host_concurrency (source 'bad')" in message
