"""The block model shared by both inputs: an HTML page or a text dump becomes a list of `Block`s.

HTML is parsed with selectolax (lexbor); elements that are certainly clutter are pruned whole
(and reported with a reason); the rest is cut into blocks at block-level tags.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from selectolax.lexbor import LexborHTMLParser

from pipeline.models import Removed

# Table cells are not blocks: a row reads as one line, as the benchmark's gold bodies give tables.
BLOCK_TAGS = frozenset(
    [
        "p",
        "div",
        "section",
        "article",
        "main",
        "header",
        "footer",
        "aside",
        "nav",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "table",
        "tr",
        "tbody",
        "thead",
        "tfoot",
        "blockquote",
        "pre",
        "figure",
        "figcaption",
        "form",
        "address",
        "hr",
        "center",
        "fieldset",
        "details",
        "summary",
        "caption",
        "body",
        "html",
    ]
)
CELL_TAGS = frozenset({"td", "th"})
SKIP_TAGS = frozenset(
    [
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "iframe",
        "select",
        "option",
        "textarea",
        "input",
        "button",
        "head",
        "meta",
        "link",
        "object",
        "embed",
        "canvas",
        "video",
        "audio",
        "picture",
        "source",
        "img",
        "map",
        "area",
        "label",
        "title",
        "math",
        "frame",
        "frameset",
    ]
)
HEADINGS = frozenset(["h1", "h2", "h3", "h4", "h5", "h6"])
_TOKEN_SPLIT = re.compile(r"[^a-z0-9]+")
_WS = re.compile(r"\s+")

MAX_DEPTH = 64
# Elements whose tag or name says they are certainly not the article (checked on every element).
PRUNE_TAGS = {"nav": "nav", "aside": "related"}
_PRUNE_NAME = re.compile(
    r"(?:^|[-_ ])(?:(share|sharing|social|sharebar|socialbar|sharetools|share-tools)"
    r"|(newsletter|subscribe|subscription|signup|sign-up)"
    r"|(donate|donation|support-us)"
    r"|(related|recirculation|more-stories|read-next|readnext|outbrain|taboola|trending|most-popular|mostpopular)"
    r"|(comments?|disqus|commentlist|respond)"
    r"|(cookie|gdpr)"
    r"|(navbar|masthead|menu)"
    r"|(author-bio|authorbio|author-box|about-author)"
    r")(?:$|[-_ ])",
    re.IGNORECASE,
)
# A name match on an element holding this much text is more likely a page wrapper ("has-menu").
PRUNE_MAX_CHARS = 4000
_PRUNE_REASONS = (
    "share",
    "newsletter",
    "donation",
    "related",
    "comments",
    "legal",
    "nav",
    "author-bio",
)


# Elements whose content is code or markup, never text a reader sees.
_CODE_TAGS = ("script", "style", "template")
_CODE_SELECTOR = ", ".join(_CODE_TAGS)


def _shown_text(node, text: str) -> str:
    """A pruned element's text as `removed` reports it: without the source of the scripts,
    styles and templates inside it (a share bar's inline JavaScript is not text that was cut).
    The prune decision itself still measures `text`, the element's whole text, as the trained
    models' features were computed."""
    if node.css_first(_CODE_SELECTOR) is None:
        return text
    copy = node.clone()
    copy.strip_tags(list(_CODE_TAGS))
    return _WS.sub(" ", copy.text(separator=" ") or "").strip()


@dataclass(slots=True)
class Block:
    text: str
    tag: str  # block element that holds the text: p, h2, li, td, div, ... ("line" for text dumps)
    path: tuple[str, ...] = ()  # ancestor tags, outermost first
    names: frozenset[str] = (
        frozenset()
    )  # class/id/role/itemprop tokens of the ancestors (and itself)
    near_names: frozenset[str] = frozenset()  # tokens of the 3 nearest elements
    ancestors: tuple[int, ...] = ()  # ids of enclosing elements, outermost first
    link_chars: int = 0
    index: int = 0
    table: int = 0  # id of the enclosing <table>, 0 outside tables
    kind: str | None = None  # the clutter kind its text names outright (rules.clutter_kind)


@dataclass(slots=True)
class Page:
    blocks: list[Block] = field(default_factory=list)
    pruned: list[Removed] = field(default_factory=list)


def _names(node) -> str:
    """The element's class, id, role and itemprop values, space-joined."""
    attrs = node.attributes
    if not attrs:
        return ""
    get = attrs.get
    return " ".join([p for p in (get("class"), get("id"), get("role"), get("itemprop")) if p])


@lru_cache(maxsize=8192)
def _name_prune_reason(names: str) -> str | None:
    m = _PRUNE_NAME.search(names)
    if m:
        group = next(i for i, g in enumerate(m.groups()) if g)
        return _PRUNE_REASONS[group]
    return None


def html_blocks(
    html: str, prune: bool = True, spare: frozenset[str] = frozenset()
) -> tuple[Page, LexborHTMLParser]:
    """Cut a page into blocks; pruned elements go to `Page.pruned` as one `Removed` each.
    `spare`: prune reasons not applied to names (a forum's posts are named "comment")."""
    tree = LexborHTMLParser(html)
    page = Page()
    root = tree.body or tree.root
    if root is None:
        return page, tree
    _Walker(page, prune, spare).run(root)
    return page, tree


class _Walker:
    """Iterative depth-first walk (no recursion: pages can nest thousands deep)."""

    def __init__(self, page: Page, prune: bool, spare: frozenset[str] = frozenset()) -> None:
        self.page, self.prune, self.spare = page, prune, spare
        self.parts: list[str] = []
        self.link_chars = 0
        self.context: tuple = ("body", (), frozenset(), frozenset(), (), 0)

    def flush(self) -> None:
        if not self.parts:
            return
        text = _WS.sub(" ", "".join(self.parts)).strip()
        self.parts = []
        link_chars, self.link_chars = self.link_chars, 0
        if text:
            tag, path, names, near, ancestors, table = self.context
            self.page.blocks.append(
                Block(
                    text,
                    tag,
                    path,
                    names,
                    near,
                    ancestors,
                    min(link_chars, len(text)),
                    len(self.page.blocks),
                    table,
                )
            )

    def run(self, root) -> None:
        # stack of (node, state, leaving); state: path, names, near-names list, ancestor ids,
        # in_link, block tag, table. A popped node queues its next sibling first, then (for a
        # block) its end, then its first child: nodes pop in document order, ends after subtrees.
        stack: list[tuple[Any, tuple, bool]] = [
            (root, ((), frozenset(), (), (), False, "body", 0), False)
        ]
        near_cache: dict[tuple, frozenset[str]] = {}
        token_cache: dict[str, frozenset[str]] = {}
        parts = self.parts
        prune, pruned, blocks, flush = self.prune, self.page.pruned, self.page.blocks, self.flush
        spare = self.spare
        push, pop = stack.append, stack.pop
        no_tokens: frozenset[str] = frozenset()
        while stack:
            node, state, leaving = pop()
            if leaving:  # end of a block-level element
                flush()
                parts = self.parts
                continue
            if node is not root:
                sibling = node.next
                if sibling is not None:
                    push((sibling, state, False))
            tag = node.tag
            if tag == "-text":
                text = node.text_content
                if text:
                    if not parts:
                        path, names, near, ancestors, in_link, block_tag, table = state
                        near_names = near_cache.get(near)
                        if near_names is None:
                            near_names = near_cache[near] = frozenset(
                                tok for toks in near for tok in toks
                            )
                        self.context = (block_tag, path, names, near_names, ancestors, table)
                    parts.append(text)
                    if state[4]:  # in a link
                        self.link_chars += len(text.strip())
                continue
            if tag is None or tag.startswith("-") or tag in SKIP_TAGS:
                continue
            if tag == "br":
                flush()
                parts = self.parts
                continue
            path, names, near, ancestors, in_link, block_tag, table = state
            own = _names(node)
            if prune and len(path) > 1:
                reason = PRUNE_TAGS.get(tag) or (_name_prune_reason(own) if own else None)
                if reason and reason not in spare:
                    text = _WS.sub(" ", node.text(separator=" ") or "").strip()
                    if tag in PRUNE_TAGS or len(text) <= PRUNE_MAX_CHARS:
                        flush()
                        parts = self.parts
                        text = _shown_text(node, text) if text else text
                        if text:
                            # position: the block index for now; html.py turns it into a paragraph index
                            pruned.append(Removed(text, reason, len(blocks)))
                        continue
            if len(path) >= MAX_DEPTH:
                # pathological nesting: deeper elements count as their ancestor
                child = node.child
                if child is not None:
                    push((child, state, False))
                continue
            is_block = tag in BLOCK_TAGS
            if tag in CELL_TAGS and parts:
                parts.append(" ")  # cells of a row read as separate words
            if own:
                own_tokens = token_cache.get(own)
                if own_tokens is None:
                    own_tokens = token_cache[own] = frozenset(
                        t for t in _TOKEN_SPLIT.split(own.lower()) if t
                    )
            else:
                own_tokens = no_tokens
            if is_block:
                flush()
                parts = self.parts
                push((node, state, True))
            child = node.child
            if child is not None:
                child_state = (
                    path + (tag,),
                    names | own_tokens if own_tokens else names,
                    (near + (own_tokens,))[-3:],
                    ancestors + (node.mem_id,) if is_block else ancestors,
                    in_link or tag == "a",
                    tag if is_block else block_tag,
                    node.mem_id if tag == "table" else table,
                )
                push((child, child_state, False))
        self.flush()


_TEMPLATE_SCRIPTS = frozenset(
    {"text/template", "text/html", "text/x-template", "text/x-handlebars-template"}
)


def hidden_html(tree: LexborHTMLParser) -> str:
    """Markup a browser without scripts shows, or a script renders: <noscript>, <template>,
    <script type="text/template">. Pages that hide the story there show no prose otherwise."""
    parts: list[str] = []
    for node in tree.css("noscript, template, script"):
        if node.tag == "script":
            kind = (node.attributes.get("type") or "").strip().lower()
            if kind in _TEMPLATE_SCRIPTS:
                parts.append(node.text() or "")
        else:  # the element's own tags go, or the walk would skip its content again
            parts.append(_OUTER_TAG.sub("", node.html or ""))
    return "\n".join(p for p in parts if "<" in p)


_OUTER_TAG = re.compile(r"^<(?:noscript|template)\b[^>]*>|</(?:noscript|template)>$", re.IGNORECASE)
