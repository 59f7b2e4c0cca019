"""The run's configuration: sources.yaml read, validated and resolved into one frozen object.

Precedence: packaged defaults (`pipeline.config.settings`) < sources.yaml `defaults:` < the
source's own keys < the environment (`PIPELINE_<SETTING>`, `PIPELINE_DEDUP_<SETTING>`) <
command-line flags (applied by the command).
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

from pipeline.config.settings import PAGE_TYPES, Settings, with_env
from pipeline.config.sources import (
    SOURCE_KINDS,
    Defaults,
    SourceSpec,
    duplicate_keys,
    parse_sources,
)
from pipeline.errors import ConfigError
from pipeline.stages.dedup import DedupOptions

__all__ = ["PAGE_TYPES", "SOURCE_KINDS", "Config", "Settings", "SourceSpec", "load_config"]


class Config(BaseModel):
    """The validated sources file plus where it lives (globs resolve relative to it)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    path: Path
    sources: list[SourceSpec]
    defaults: Settings
    dedup: DedupOptions

    def settings_for(self, spec: SourceSpec) -> Settings:
        return spec.settings

    def resolve_files(self, spec: SourceSpec) -> list[Path]:
        """A `files` source's globs expanded relative to the sources file; sorted, deduplicated."""
        from pipeline.capture.files import expand

        return expand(spec.file_patterns, self.path.parent)[0]


def load_config(path: str | Path) -> Config:
    """Read and validate a sources file; every error names file, line and field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: file not found") from exc
    except IsADirectoryError as exc:
        raise ConfigError(f"{path}: is a directory, not a sources file") from exc
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
    duplicates = duplicate_keys(node, path)
    if duplicates:
        raise ConfigError("\n".join(duplicates))
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: expected a mapping with a 'sources:' list")
    defaults, specs = parse_sources(data, path, node)
    specs = [spec.model_copy(update={"settings": with_env(spec.settings)}) for spec in specs]
    try:
        dedup = DedupOptions.from_env(defaults.dedup.options())
    except ValueError as exc:
        raise ConfigError(f"environment {exc}") from exc
    return Config(path=path.resolve(), sources=specs,
                  defaults=with_env(defaults.source_settings()), dedup=dedup)


__all__ += ["Defaults"]
