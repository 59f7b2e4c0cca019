"""sources.yaml: a pydantic model of what to collect, with errors that name file, line and field."""

from __future__ import annotations

import glob
import re
from copy import copy
from dataclasses import fields as dataclass_fields
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo

from pipeline.errors import ConfigError
from pipeline.capture.fetch.policy import DEFAULT_USER_AGENT, FetchPolicy

SOURCE_KINDS = ("files", "urls", "feed", "sitemap", "links")


class Settings(BaseModel):
    """Politeness and limits; `defaults:` sets them for all sources, each source may override.

    Every field that FetchPolicy also has is handed to the fetcher as is (same name, same unit).
    """

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

    def policy(self) -> FetchPolicy:
        names = {f.name for f in dataclass_fields(FetchPolicy)}
        return FetchPolicy(**{k: v for k, v in self.model_dump().items() if k in names})


class _SourceFields(BaseModel):
    """One entry of `sources:`; exactly one of files, urls, feed, sitemap, links."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$")
    files: str | list[str] | None = None
    urls: list[str] | None = None
    feed: str | None = None
    sitemap: str | None = None
    links: str | None = None
    include: str | None = None
    exclude: str | None = None
    max_items: int | None = Field(None, ge=1)
    since: str | None = None  # ISO date; older feed/sitemap items are skipped

    @field_validator("since", mode="before")
    @classmethod
    def _date_to_str(cls, value: Any) -> Any:
        return value.isoformat() if hasattr(value, "isoformat") else value
    enabled: bool = True

    @field_validator("include", "exclude")
    @classmethod
    def _valid_regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from exc
        return value

    @field_validator("since")
    @classmethod
    def _iso_date(cls, value: str | None) -> str | None:
        if value is not None:
            from datetime import datetime

            try:
                datetime.fromisoformat(str(value))
            except ValueError as exc:
                raise ValueError(f"not an ISO date (YYYY-MM-DD): {value!r}") from exc
        return value

    @field_validator("urls")
    @classmethod
    def _http_urls(cls, value: list[str] | None) -> list[str] | None:
        for url in value or []:
            if not re.match(r"^https?://[^/\s]+", url):
                raise ValueError(f"not an http(s) URL: {url!r}")
        return value

    @field_validator("feed", "sitemap", "links")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"not an http(s) URL: {value!r}")
        return value

    @model_validator(mode="after")
    def _exactly_one_kind(self) -> _SourceFields:
        given = [kind for kind in SOURCE_KINDS if getattr(self, kind) is not None]
        if len(given) != 1:
            which = " and ".join(given) if given else "none"
            raise ValueError(
                f"a source needs exactly one of {', '.join(SOURCE_KINDS)}; got {which}"
            )
        return self

    @property
    def kind(self) -> str:
        return next(kind for kind in SOURCE_KINDS if getattr(self, kind) is not None)

    def settings(self, defaults: Settings) -> Settings:
        overrides = {
            key: getattr(self, key)
            for key in Settings.model_fields
            if getattr(self, key) is not None
        }
        return defaults.model_copy(update=overrides)


def _optional(info: FieldInfo) -> tuple[Any, FieldInfo]:
    """The same field and constraints, but absent (None) unless the source sets it."""
    override = copy(info)
    override.default = None
    return (info.annotation | None, override)


# A source takes every `defaults:` key as an override, with the same validation.
SourceSpec = create_model(
    "SourceSpec",
    __base__=_SourceFields,
    __doc__=_SourceFields.__doc__,
    **{name: _optional(info) for name, info in Settings.model_fields.items()},
)


class SourcesFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    defaults: Settings = Settings()
    sources: list[SourceSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_names(self) -> SourcesFile:
        seen: set[str] = set()
        for spec in self.sources:
            if spec.name in seen:
                raise ValueError(f"source name {spec.name!r} is used twice")
            seen.add(spec.name)
        return self


class Config(BaseModel):
    """The validated sources file plus where it lives (globs resolve relative to it)."""

    model_config = ConfigDict(frozen=True)

    path: Path
    sources: list[SourceSpec]
    defaults: Settings

    def settings_for(self, spec: SourceSpec) -> Settings:
        return spec.settings(self.defaults)

    def resolve_files(self, spec: SourceSpec) -> list[Path]:
        """Expand a `files` source's globs relative to the sources file; sorted, deduplicated."""
        patterns = [spec.files] if isinstance(spec.files, str) else list(spec.files or [])
        found: set[Path] = set()
        for pattern in patterns:
            base = Path(pattern) if Path(pattern).is_absolute() else self.path.parent / pattern
            found.update(Path(p) for p in glob.glob(str(base), recursive=True))
        return sorted(p for p in found if p.is_file())


def load_config(path: str | Path) -> Config:
    """Read and validate a sources file; every error names file, line and field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: file not found") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{where}: malformed YAML: {problem}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: expected a mapping with a 'sources:' list")
    try:
        parsed = SourcesFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, path, node)) from exc
    return Config(path=path.resolve(), sources=parsed.sources, defaults=parsed.defaults)


def _describe(exc: ValidationError, path: Path, root: yaml.Node | None) -> str:
    lines = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        line = _line_of(root, loc)
        field = ".".join(str(part) for part in loc) or "(top level)"
        name = _source_name(root, loc)
        msg = error["msg"]
        if error["type"] == "extra_forbidden":
            msg = f"unknown key {loc[-1]!r}"
        where = f"{path}:{line}" if line else str(path)
        lines.append(f"{where}: {field}{f' (source {name!r})' if name else ''}: {msg}")
    return "\n".join(lines)


def _walk(node: yaml.Node | None, part: Any) -> tuple[yaml.Node | None, yaml.Node | None]:
    """Step into a mapping key or sequence index; returns (key node, value node)."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == part:
                return key, value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part], node.value[part]
    return None, None


def _line_of(root: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    node, line = root, None
    for part in loc:
        key, value = _walk(node, part)
        if key is None:
            break
        line = key.start_mark.line + 1
        node = value
    return line


def _source_name(root: yaml.Node | None, loc: tuple[Any, ...]) -> str | None:
    if len(loc) >= 2 and loc[0] == "sources" and isinstance(loc[1], int):
        _, entry = _walk(root, "sources")
        _, item = _walk(entry, loc[1])
        _, name = _walk(item, "name")
        if name is not None:
            return str(name.value)
    return None
