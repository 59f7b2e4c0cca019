"""The one table of settings and their defaults: packaged here, overridden by sources.yaml
`defaults:`, then per source, then by the environment (`PIPELINE_<NAME>`), then by flags."""

from __future__ import annotations

import os
from dataclasses import fields as dataclass_fields
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pipeline.capture.fetch.policy import DEFAULT_USER_AGENT, FetchPolicy
from pipeline.errors import ConfigError
from pipeline.stages.dedup import DedupOptions

PAGE_TYPES = ("article", "listing", "forum", "product", "documentation", "other")
ENV_PREFIX = "PIPELINE_"


class Settings(BaseModel):
    """Politeness, limits and what to keep; `defaults:` sets them for all sources, each source
    may override them. Every field that FetchPolicy also has is handed to the fetcher as is."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    user_agent: str = DEFAULT_USER_AGENT
    per_host_concurrency: int = Field(2, ge=1, le=64)
    delay_s: float = Field(1.0, ge=0)
    connect_timeout_s: float = Field(10.0, gt=0)
    read_timeout_s: float = Field(30.0, gt=0)
    total_timeout_s: float = Field(60.0, gt=0)
    max_bytes: int = Field(10 * 1024 * 1024, gt=0)
    max_redirects: int = Field(10, ge=0)
    max_retries: int = Field(3, ge=0)
    backoff_base_s: float = Field(1.0, ge=0)
    backoff_max_s: float = Field(60.0, ge=0)
    retry_after_max_s: float = Field(120.0, ge=0)
    respect_robots: bool = True
    crawl_delay_max_s: float = Field(60.0, ge=0)
    breaker_failures: int = Field(10, ge=1)
    breaker_cooldown_s: float | None = Field(None, ge=0)
    # Re-fetch an already captured article after this many hours; None = never.
    refresh_after_h: float | None = Field(None, ge=0)
    # Article URLs fetched per source per run; the rest wait for the next run (reported).
    max_urls_per_run: int | None = Field(10_000, ge=1)
    # Page types kept besides articles (others land in rejects as `not-article: <type>`).
    keep_pages: tuple[str, ...] = ()

    @field_validator("keep_pages")
    @classmethod
    def _known_page_types(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [v for v in value if v not in PAGE_TYPES]
        if unknown:
            raise ValueError(f"unknown page type {unknown[0]!r} (one of {', '.join(PAGE_TYPES)})")
        return value

    def policy(self) -> FetchPolicy:
        names = {f.name for f in dataclass_fields(FetchPolicy)}
        return FetchPolicy(**{k: v for k, v in self.model_dump().items() if k in names})


def _dedup_default(name: str) -> Any:
    """DedupOptions holds the dedup defaults; these settings only validate and override them."""
    return next(f.default for f in dataclass_fields(DedupOptions) if f.name == name)


class DedupSettings(BaseModel):
    """Near-duplicate detection (see pipeline.stages.dedup); corpus-wide, so `defaults:` only."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    threshold: float = Field(_dedup_default("threshold"), gt=0, le=1)
    containment: float = Field(_dedup_default("containment"), gt=0, le=1)
    shingle_words: int = Field(_dedup_default("shingle_words"), ge=1, le=10)

    def options(self) -> DedupOptions:
        return DedupOptions(**self.model_dump())


def env_values(model: type[BaseModel], environ: dict[str, str] | None = None,
               prefix: str = ENV_PREFIX) -> dict[str, Any]:
    """`PIPELINE_DELAY_S=0` and the like, for the model's fields, as raw values for validation
    (lists are comma-separated)."""
    environ = dict(os.environ) if environ is None else environ
    out: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        raw = environ.get(prefix + name.upper())
        if raw is None:
            continue
        is_list = getattr(info.annotation, "__origin__", None) in (tuple, list)
        out[name] = [v.strip() for v in raw.split(",") if v.strip()] if is_list else raw
        if raw.strip().lower() in ("none", "null", "") and not is_list:
            out[name] = None
    return out


def with_env(settings: BaseModel, environ: dict[str, str] | None = None,
             prefix: str = ENV_PREFIX) -> Any:
    """The settings with the environment's values on top (validated as sources.yaml is)."""
    values = env_values(type(settings), environ, prefix)
    if not values:
        return settings
    try:
        return type(settings).model_validate({**settings.model_dump(), **values})
    except ValidationError as exc:
        error = exc.errors()[0]
        name = prefix + str(error["loc"][0]).upper()
        raise ConfigError(f"environment {name}={os.environ.get(name)!r}: {error['msg']}") from exc
