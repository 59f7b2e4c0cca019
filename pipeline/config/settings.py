"""The one table of settings and their defaults: packaged here, overridden by sources.yaml
`defaults:`, then per source, then by the environment (`PIPELINE_<NAME>`), then by flags."""

from __future__ import annotations

import os
from dataclasses import fields as dataclass_fields
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pipeline.capture.fetch.policy import FetchPolicy
from pipeline.errors import ConfigError
from pipeline.stages.dedup import DedupOptions

PAGE_TYPES = ("article", "listing", "forum", "product", "documentation", "other")
ENV_PREFIX = "PIPELINE_"


class Settings(FetchPolicy):
    """Per-source settings: every fetch knob of `FetchPolicy` (the one table of their defaults
    and bounds), plus what a run does with what it fetched. `defaults:` sets them for all
    sources; each source may override them."""

    # Re-fetch an already captured article after this many hours; None = never.
    refresh_after_h: float | None = Field(None, ge=0)
    # Article URLs fetched per source per run; the rest wait for the next run (reported).
    max_urls_per_run: int | None = Field(10_000, ge=1)
    # Page types kept besides articles (others land in rejects as `not-article: <type>`).
    keep_pages: tuple[str, ...] = ()
    # Other registered domains this source's pages may name as their canonical URL (a page
    # naming any other site keeps its own URL as its identity).
    site_aliases: tuple[str, ...] = ()

    @field_validator("keep_pages")
    @classmethod
    def _known_page_types(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [v for v in value if v not in PAGE_TYPES]
        if unknown:
            raise ValueError(f"unknown page type {unknown[0]!r} (one of {', '.join(PAGE_TYPES)})")
        return value

    def policy(self) -> FetchPolicy:
        """The fetch part alone (what the fetcher is handed)."""
        return FetchPolicy(**self.model_dump(include=set(FetchPolicy.model_fields)))


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
