"""sources.yaml: what to collect, validated with pydantic; every error names file, line and field."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pipeline.config.settings import DedupSettings, Settings
from pipeline.errors import ConfigError

SOURCE_KINDS = ("files", "urls", "feed", "sitemap", "links", "site")
_HTTP = re.compile(r"^https?://[^/\s]+")


class Follow(BaseModel):
    """`follow:` on a `site:` source: walk same-site section pages to find more articles."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    depth: int = Field(1, ge=1, le=3)  # 1: the homepage's links; 2: also its sections' links
    same_site: bool = True  # only article links on the site's own registered domain
    max_pages: int = Field(30, ge=1, le=500)  # section pages read per run, at most


class SourceSpec(BaseModel):
    """One entry of `sources:`: exactly one of files, urls, feed, sitemap, links, plus filters.

    Any `defaults:` key may also be set here; those overrides are validated against `Settings`
    and resolved into `settings` when the file is loaded.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$")
    files: str | list[str] | None = None
    urls: list[str] | None = None
    feed: str | None = None
    sitemap: str | None = None
    links: str | None = None
    site: str | None = None  # a homepage: its feeds and sitemaps are found and read
    follow: Follow | None = None  # with `site:`: also the article links of its pages
    include: str | None = None
    exclude: str | None = None
    max_items: int | None = Field(None, ge=1)
    since: str | None = None  # ISO date; older feed/sitemap items are skipped
    enabled: bool = True
    settings: Settings = Settings()

    @field_validator("since", mode="before")
    @classmethod
    def _date_to_str(cls, value: Any) -> Any:
        return value.isoformat() if hasattr(value, "isoformat") else value

    @field_validator("since")
    @classmethod
    def _iso_date(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                datetime.fromisoformat(str(value))
            except ValueError as exc:
                raise ValueError(f"not an ISO date (YYYY-MM-DD): {value!r}") from exc
        return value

    @field_validator("include", "exclude")
    @classmethod
    def _valid_regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from exc
        return value

    @field_validator("urls")
    @classmethod
    def _http_urls(cls, value: list[str] | None) -> list[str] | None:
        for url in value or []:
            if not _HTTP.match(url):
                raise ValueError(f"not an http(s) URL: {url!r}")
        return value

    @field_validator("feed", "sitemap", "links", "site")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not _HTTP.match(value):
            raise ValueError(f"not an http(s) URL: {value!r}")
        return value

    @model_validator(mode="after")
    def _exactly_one_kind(self) -> SourceSpec:
        given = [kind for kind in SOURCE_KINDS if getattr(self, kind) is not None]
        if len(given) != 1:
            which = " and ".join(given) if given else "none"
            raise ValueError(f"a source needs exactly one of {', '.join(SOURCE_KINDS)}; got {which}")
        return self

    @model_validator(mode="after")
    def _follow_needs_a_site(self) -> SourceSpec:
        if self.follow is not None and self.site is None:
            raise ValueError("follow: goes with a site: source")
        return self

    @property
    def kind(self) -> str:
        return next(kind for kind in SOURCE_KINDS if getattr(self, kind) is not None)

    @property
    def file_patterns(self) -> list[str]:
        return [self.files] if isinstance(self.files, str) else list(self.files or [])


class Defaults(Settings):
    """`defaults:`: every per-source setting, plus the corpus-wide ones."""

    dedup: DedupSettings = DedupSettings()

    def source_settings(self) -> Settings:
        return Settings(**self.model_dump(exclude={"dedup"}))


class SourcesFile(BaseModel):
    """The file's shape; `defaults` and each source are validated on their own, so that every
    mistake in the file is reported at once."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    defaults: dict[str, Any] = Field(default_factory=dict)
    sources: list[Any] = Field(min_length=1)


def parse_sources(data: dict[str, Any], path: Path, root: yaml.Node | None,
                  ) -> tuple[Defaults, list[SourceSpec]]:
    """Validate the file, then each source with its overrides; all errors, located, at once."""
    try:
        parsed = SourcesFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(describe(exc.errors(), path, root)) from exc
    errors: list[dict[str, Any]] = []
    specs: list[SourceSpec] = []
    try:
        defaults = Defaults.model_validate(parsed.defaults)
    except ValidationError as exc:
        errors.extend({**e, "loc": ("defaults", *e["loc"])} for e in exc.errors())
        defaults = Defaults()
    base = defaults.source_settings()
    for i, raw in enumerate(parsed.sources):
        if not isinstance(raw, dict):
            errors.append({"loc": ("sources", i), "msg": "expected a mapping", "type": "x"})
            continue
        overrides = {k: v for k, v in raw.items() if k in Settings.model_fields}
        if "settings" in raw or "dedup" in raw:
            key = "settings" if "settings" in raw else "dedup"
            errors.append({"loc": ("sources", i, key), "type": "x",
                           "msg": f"'{key}' cannot be set per source" + (
                               " (only under defaults:)" if key == "dedup" else "")})
            continue
        try:
            settings = Settings.model_validate({**base.model_dump(), **overrides})
            own = {k: v for k, v in raw.items() if k not in overrides}
            specs.append(SourceSpec.model_validate({**own, "settings": settings}))
        except ValidationError as exc:
            errors.extend({**e, "loc": ("sources", i, *e["loc"])} for e in exc.errors())
    names = [s.name for s in specs]
    for i, name in enumerate(names):
        if name in names[:i]:
            errors.append({"loc": ("sources", i, "name"), "type": "x",
                           "msg": f"source name {name!r} is used twice"})
    if errors:
        raise ConfigError(describe(errors, path, root))
    return defaults, specs


def describe(errors: list[Any], path: Path, root: yaml.Node | None) -> str:
    lines = []
    for error in errors:
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


def duplicate_keys(root: yaml.Node | None, path: Path) -> list[str]:
    """`key: a` then `key: b` in one mapping: YAML keeps the last silently; we refuse it."""
    problems: list[str] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.value in seen:
                        problems.append(f"{path}:{key.start_mark.line + 1}: duplicate key "
                                        f"{key.value!r} (first at line {seen[key.value]})")
                    seen.setdefault(key.value, key.start_mark.line + 1)
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return sorted(problems)
