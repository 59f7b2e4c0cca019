"""An extracted record as people read it: plain text, or Markdown that keeps headings and lists."""

from __future__ import annotations

from typing import Any

_HEADINGS = {f"h{n}": "#" * n for n in range(1, 7)}


def _meta(record: dict[str, Any]) -> list[str]:
    parts = [record.get("author"), record.get("published"), record.get("site_name"),
             record.get("language"), record.get("page_type")]
    line = " · ".join(str(p) for p in parts if p)
    return [line] if line else []


def _paragraphs(record: dict[str, Any]) -> list[tuple[str, str]]:
    body = record.get("body") or ""
    paragraphs = body.split("\n\n") if body else []
    tags = list(record.get("tags") or [])
    tags += [""] * (len(paragraphs) - len(tags))
    return list(zip(tags, paragraphs, strict=False))


def as_text(record: dict[str, Any]) -> str:
    where = record.get("url") or record.get("path") or "-"
    if "drop" in record:
        return f"{where}: no article ({record['drop']})\n"
    lines = [record.get("title") or "(untitled)", *_meta(record), where, ""]
    lines += [text for _, text in _paragraphs(record) for text in (text, "")]
    cut = record.get("removed") or []
    if cut:
        lines.append(f"[{len(cut)} blocks cut: " + ", ".join(
            sorted({r["reason"] for r in cut})) + "]")
    return "\n".join(lines).rstrip() + "\n"


def as_markdown(record: dict[str, Any]) -> str:
    where = record.get("url") or record.get("path") or "-"
    if "drop" in record:
        return f"<!-- {where}: no article ({record['drop']}) -->\n"
    lines = [f"# {record.get('title') or '(untitled)'}", ""]
    meta = _meta(record)
    if meta:
        lines += [f"*{meta[0]}*", ""]
    if record.get("description"):
        lines += [f"> {record['description']}", ""]
    previous = ""
    for tag, text in _paragraphs(record):
        if tag in _HEADINGS:
            lines += [f"{_HEADINGS[tag]}# {text}" if tag == "h1" else f"{_HEADINGS[tag]} {text}", ""]
        elif tag == "li":
            if lines and lines[-1] == "" and previous == "li":
                lines.pop()  # one list, not one list per item
            lines += [f"- {text}", ""]
        elif tag == "blockquote":
            lines += [f"> {text}", ""]
        elif tag == "pre":
            lines += ["```", text, "```", ""]
        else:
            lines += [text, ""]
        previous = tag
    if where != "-":
        lines.append(f"<{where}>" if "://" in where else where)
    return "\n".join(lines).rstrip() + "\n"
