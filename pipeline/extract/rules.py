"""Clutter phrases by kind: the certain cases the classifier does not have to learn."""

from __future__ import annotations

import re

# Each pattern is searched in a block's text; the first kind that matches names the clutter.
_PATTERNS: list[tuple[str, str]] = [
    ("newsletter", r"\bnewsletters?\b|delivered (?:straight |right )?to your inbox|\bsign ?up\b.{0,40}\b(?:updates|alerts|email)"
     r"|we don.t spam|\bsubscribe\b|get .{0,60}\bupdates\b|^join (?:our|the) (?:mailing )?list"),
    ("donation", r"\bdonat(?:e|ion|ions)\b|every contribution|support (?:our|us|the)\b.{0,60}(?:journalism|work|mission)"
     r"|\bIBAN\b|\bSWIFT\b|\baccount for (?:international )?payments\b|\bvipps\b|\bpaypal\b|bank a/?c\b|\bpatreon\b"
     r"|^support [A-Z]"),
    ("comments", r"^(?:\d+\s+)?comments?$|^post a comment|^comments are closed|^leave a (?:comment|reply)|^add a comment"
     r"|^view comments|^show comments|^\d+ (?:comments|responses|replies)$"),
    ("related", r"^read (?:more|also|next)\b\s*[:|-]|^related(?: links| news| content| articles| stories| posts)?\s*:?$"
     r"|^(?:see|more) also\s*:|^trending(?: now)?$|^latest(?: news)?$|^most (?:read|popular|viewed)$|\.\.\. ?read more$"
     r"|^also read\b|^recommended(?: for you)?$|^you (?:may|might) also like"),
    ("share", r"^(?:tweet|share|pin it|email|print|whatsapp|facebook|twitter|linkedin|reddit|telegram)$"
     r"|^share (?:this|on)\b|^\+ posts$|^follow us\b"),
    ("legal", r"\bcopyright\b|©|\ball rights reserved\b|\bgdpr\b|\bcookies?\b.{0,80}\b(?:consent|policy|use|accept)"
     r"|\bprivacy (?:policy|statement)\b|\bterms (?:of (?:use|service)|and conditions)\b|advertising does not imply"),
    ("cross-promo", r"^our [\w-]+ (?:website|site|edition|channel)$"),
]
# one pass over the text: a named group per kind (names cannot hold '-')
_COMBINED = re.compile("|".join(f"(?P<{kind.replace('-', '_')}>{pat})" for kind, pat in _PATTERNS), re.I)

# Headings that open a list of other content: everything under them up to the next body is a listing.
LISTING_HEADERS = re.compile(
    r"^(?:related(?: links| news| content| articles| stories| posts)?|trending(?: now)?|latest(?: news)?"
    r"|most (?:read|popular|viewed)|recommended(?: for you)?|you (?:may|might) also like|more from .{1,40}"
    r"|more stories|more news|top stories|editor.s picks?|popular(?: posts)?|read (?:next|also))\s*:?$",
    re.I,
)


def clutter_kind(text: str) -> str | None:
    """The clutter kind a block's text names outright, or None."""
    m = _COMBINED.search(text.strip())
    return m.lastgroup.replace("_", "-") if m else None

# A label line that introduces a standfirst box; the paragraph under it is the description.
STANDFIRST_LABELS = re.compile(r"^(?:summary|why (?:this|it) matters|key (?:points|takeaways)|highlights|in brief|tl;?dr"
                               r"|at a glance|the big picture)\s*:?$", re.I)
# Widget titles that sit between body paragraphs in page dumps.
WIDGET_LABELS = re.compile(r"^(?:the author|about the author|author|about us|advertisement|advertising|ad|sponsored"
                           r"|share this(?: article| story)?|listen to this article|print|email)\s*:?$", re.I)
_LEGAL = re.compile(r"copyright|©|all rights reserved|gdpr|privacy (?:policy|statement)|cookies?|terms of (?:use|service)"
                    r"|advertising does not imply|fair use", re.I)


def legal_hits(text: str) -> int:
    """How many distinct legal-footer phrases a (long) block holds."""
    return len({m.group(0).lower() for m in _LEGAL.finditer(text)})

_APPEAL = re.compile(r"every contribution|consider supporting|support (?:us|our (?:work|journalism|reporting))|join us"
                     r"|donat(?:e|ion)|from as little as|regular amount each month|become a (?:member|supporter|patron)",
                     re.I)


def appeal_hits(text: str) -> int:
    """How many distinct donation-appeal phrases a (long) block holds."""
    return len({m.group(0).lower() for m in _APPEAL.finditer(text)})


def long_block_kind(text: str) -> str | None:
    """Clutter kind of a long block: only when several phrases of one kind agree."""
    if appeal_hits(text) >= 2:
        return "donation"
    if legal_hits(text) >= 2:
        return "legal"
    return None
