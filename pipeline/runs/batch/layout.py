"""Where a batch's output lives: one articles shard, one rejects shard and one marker per input.

    OUT/articles/NAME.parquet   articles columns + WARC provenance
    OUT/rejects/NAME.parquet    rejects columns + WARC provenance (drops and failing records)
    OUT/done/NAME               empty; written last, so its presence means both shards are whole

NAME is the input's file name without `.warc[.gz]` plus 8 hex chars of its full path, so two
inputs with the same name in different directories never share a shard. OUT may be a local
directory or any URI pyarrow.fs understands (s3://, gs://, hdfs://); on a multi-machine
cluster it must be storage every worker can write to.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pyarrow.fs as pafs

ARTICLES = "articles"
REJECTS = "rejects"
DONE = "done"
PROGRESS = ".progress"
_SUFFIX = re.compile(r"\.warc(\.gz)?$", re.IGNORECASE)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def is_uri(location: str) -> bool:
    return "://" in location


def filesystem(location: str) -> tuple[pafs.FileSystem, str]:
    """The pyarrow filesystem and the path inside it; local paths become absolute."""
    if is_uri(location) and not location.startswith("file://"):
        return pafs.FileSystem.from_uri(location)
    path = location.removeprefix("file://")
    return pafs.LocalFileSystem(), os.path.abspath(path)


def canonical_input(location: str) -> str:
    """The input as recorded in provenance: an absolute path, or the URI as given."""
    return (
        location
        if is_uri(location) and not location.startswith("file://")
        else filesystem(location)[1]
    )


def shard_name(location: str) -> str:
    full = canonical_input(location)
    base = _SUFFIX.sub("", full.rstrip("/").rsplit("/", 1)[-1])
    digest = hashlib.sha256(full.encode("utf-8")).hexdigest()[:8]
    return f"{_UNSAFE.sub('_', base)[:120]}-{digest}"


@dataclass(slots=True, frozen=True)
class Layout:
    """Paths of one output directory, inside its filesystem."""

    root: str
    fs: pafs.FileSystem

    @classmethod
    def of(cls, location: str) -> Layout:
        fs, root = filesystem(location)
        return cls(root.rstrip("/"), fs)

    @property
    def is_local(self) -> bool:
        return isinstance(self.fs, pafs.LocalFileSystem)

    def articles(self, name: str) -> str:
        return f"{self.root}/{ARTICLES}/{name}.parquet"

    def rejects(self, name: str) -> str:
        return f"{self.root}/{REJECTS}/{name}.parquet"

    def marker(self, name: str) -> str:
        return f"{self.root}/{DONE}/{name}"

    def progress_file(self, name: str) -> str:
        """Records read so far by the worker on this input (local outputs only; removed at the end)."""
        return f"{self.root}/{PROGRESS}/{name}"

    def records_in_progress(self) -> int:
        """Records read so far by the workers on inputs not finished yet."""
        if not self.is_local:
            return 0
        total = 0
        for path in Path(self.root, PROGRESS).glob("*"):
            try:
                total += int(path.read_text() or 0)
            except (OSError, ValueError):
                continue
        return total

    @staticmethod
    def tmp(final: str, token: str) -> str:
        # Hidden and not ending in .parquet, so no glob over the shards ever sees it.
        head, tail = final.rsplit("/", 1)
        return f"{head}/.{tail}.tmp-{token}"

    def ensure_dirs(self) -> None:
        for sub in (ARTICLES, REJECTS, DONE, PROGRESS):
            self.fs.create_dir(f"{self.root}/{sub}", recursive=True)

    def finished(self) -> set[str]:
        """Names whose marker exists."""
        infos = self.fs.get_file_info(
            pafs.FileSelector(f"{self.root}/{DONE}", allow_not_found=True)
        )
        return {info.base_name for info in infos if info.type == pafs.FileType.File}

    def remove_stale_tmp(self, names: set[str]) -> int:
        """Delete temporary shards a killed job left for these names; return how many."""
        removed = 0
        for sub in (ARTICLES, REJECTS):
            selector = pafs.FileSelector(f"{self.root}/{sub}", allow_not_found=True)
            for info in self.fs.get_file_info(selector):
                name = info.base_name
                stale = name.startswith(".") and ".parquet.tmp-" in name
                if stale and name[1:].split(".parquet.tmp-", 1)[0] in names:
                    self.fs.delete_file(info.path)
                    removed += 1
        return removed

    def mark_done(self, name: str) -> None:
        with self.fs.open_output_stream(self.marker(name)):
            pass
