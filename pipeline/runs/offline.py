"""`pipeline extract`: files in, one JSON-ready record per input (or per WARC record) out."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC
from pathlib import Path
from typing import Any

from pipeline.capture.warc import iter_warc_responses
from pipeline.extract import extract
from pipeline.models import Article, Capture, ExtractResult
from pipeline.stages.extract import extract_capture


def _kind_for(path: Path) -> str | None:
    suffix = path.suffix.lower()
    return "text" if suffix in {".txt", ".text"} else "html" if suffix in {".html", ".htm", ".xhtml"} else None


def to_record(path: str, url: str | None, result: ExtractResult) -> dict[str, Any]:
    record: dict[str, Any] = {"path": path, "url": url}
    if isinstance(result, Article):
        data = asdict(result)
        data["published"] = result.published.isoformat() if result.published else None
        record.update(data)
    else:
        record["drop"] = result.reason
    return record


def extract_paths(paths: tuple[Path, ...] | list[Path], kind: str | None = None) -> list[dict[str, Any]]:
    records = []
    for path in paths:
        if path.name.lower().endswith((".warc", ".warc.gz")):
            records.extend(_extract_warc(path))
            continue
        try:
            content = path.read_bytes()
        except OSError as exc:
            records.append({"path": str(path), "url": None, "drop": f"unreadable: {exc.strerror or exc}"})
            continue
        result = extract(content, url=None, kind=kind or _kind_for(path))
        records.append(to_record(str(path), None, result))
    return records


def _extract_warc(path: Path) -> list[dict[str, Any]]:
    from datetime import datetime

    records = []
    for url, status, headers, body, _ in iter_warc_responses(path):
        ctype = next((v for k, v in headers if k.lower() == "content-type"), "")
        capture = Capture(id="", url=url, final_url=url, source="", status=status, content_type=ctype,
                          body=body, fetched_at=datetime.now(UTC), sha256="")
        records.append(to_record(f"{path}#{url}", url, extract_capture(capture)))
    return records
