"""Clutter phrases by kind: the certain cases the classifier does not have to learn."""

from __future__ import annotations

import re

# Phrases anchored at the start of a block (tried with one `match`, cheap on every block).
_START: list[tuple[str, str]] = [
    (
        "comments",
        r"(?:\d+\s+)?(?:comments?|kommentare?|commentaires?|comentarios?|commenti|comentários|reacties)$"
        r"|post a comment|comments are closed|leave a (?:comment|reply)|add a comment|view comments|show comments"
        r"|\d+ (?:comments|responses|replies)$|reageren is niet",
    ),
    (
        "related",
        r"read (?:more|also|next)\b\s*[:|-]|related(?: links| news| content| articles| stories| posts)?\s*:?$"
        r"|(?:see|more) also\s*:|trending(?: now)?$|latest(?: news)?$|most (?:read|popular|viewed)$"
        r"|also read\b|recommended(?: for you)?$|you (?:may|might) also like"
        r"|(?:lesen sie auch|mehr zum thema|auch interessant|à lire aussi|lire aussi|lee también|te puede interesar"
        r"|leggi anche|potrebbe interessarti|leia também|veja também|lees ook|meer over dit onderwerp"
        r"|meistgelesen|les plus lus|lo más leído|i più letti|mais lidas|meest gelezen|você (?:pode|também pode) gostar"
        r"|vous aimerez aussi|das könnte sie auch interessieren|te puede gustar|ti potrebbe interessare"
        r"|misschien ook interessant|more (?:stories|news|from)\b|top stories$|editor.s picks?$)",
    ),
    (
        "share",
        r"(?:tweet|share|pin it|email|e-mail|print|whatsapp|facebook|twitter|linkedin|reddit|telegram"
        r"|teilen|partager|compartir|condividi|compartilhar|delen)$"
        r"|share (?:this|on)\b|\+ posts$|follow us\b"
        r"|(?:share|tweet|email|e-mail|teilen|twittern|partager|tweeter|compartir|tuitear|correo|condividi|twitta"
        r"|compartilhar|tuitar|delen|tweeten)(?: (?:share|tweet|email|e-mail|twittern|tweeter|tuitear|correo|twitta"
        r"|tuitar|tweeten))+$",
    ),
    ("newsletter", r"join (?:our|the) (?:mailing )?list"),
    ("donation", r"support [A-Z]"),
    ("cross-promo", r"our [\w-]+ (?:website|site|edition|channel)$"),
]
# Phrases found anywhere; searched only when one of their rarer words occurs (see _TRIGGERS).
_ANYWHERE: list[tuple[str, str]] = [
    (
        "newsletter",
        r"\bnewsletters?\b|delivered (?:straight |right )?to your inbox|\bsign ?up\b.{0,40}\b(?:updates|alerts|email)"
        r"|we don.t spam|\bsubscribe\b|\bget .{0,60}\bupdates\b"
        r"|abonnez-vous|\bsuscr[ií]bete\b|\biscriviti\b|\babonnieren\b|nieuwsbrief|\bboletín\b|in (?:ihrem|ihr) postfach"
        r"|dans votre boîte mail|\bassine grátis\b",
    ),
    (
        "donation",
        r"\bdonat(?:e|ion|ions)\b|every contribution|support (?:our|us|the)\b.{0,60}(?:journalism|work|mission)"
        r"|\bIBAN\b|\baccount for (?:international )?payments\b|\bvipps\b|\bpaypal\b|bank a/?c\b|\bpatreon\b"
        r"|\bspenden?\b|faire un don|\bdon(?:ar|ación|azione|a ora)\b|\bdoa(?:r|ção)\b|\bdoneer\b"
        r"|unterstützen sie|soutenez|apoya el periodismo|sostieni|apoie o jornalismo|steun onafhankelijke",
    ),
    (
        "comments",
        r"kommentarfunktion|commentaires sont fermés|comentarios están cerrados|commenti sono chiusi"
        r"|comentários estão encerrados",
    ),
    (
        "legal",
        r"\bcopyright\b|©|\ball rights reserved\b|\bgdpr\b|\bcookies?\b.{0,80}\b(?:consent|policy|use|accept)"
        r"|\bprivacy (?:policy|statement)\b|\bterms (?:of (?:use|service)|and conditions)\b|advertising does not imply"
        r"|alle rechte vorbehalten|tous droits réservés|todos los derechos reservados|tutti i diritti riservati"
        r"|todos os direitos reservados|alle rechten voorbehouden|\bimpressum\b|\bdatenschutz\b|mentions légales"
        r"|aviso legal|política de privacidad",
    ),
]
_TRIGGERS = frozenset(
    [
        "newsletter",
        "newsletters",
        "inbox",
        "sign",
        "signup",
        "spam",
        "subscribe",
        "updates",
        "abonnez",
        "suscríbete",
        "suscribete",
        "iscriviti",
        "abonnieren",
        "nieuwsbrief",
        "boletín",
        "postfach",
        "boîte",
        "assine",
        "donate",
        "donation",
        "donations",
        "contribution",
        "journalism",
        "mission",
        "work",
        "iban",
        "swift",
        "payments",
        "vipps",
        "paypal",
        "bank",
        "patreon",
        "spenden",
        "spende",
        "don",
        "donar",
        "donación",
        "donazione",
        "dona",
        "doar",
        "doação",
        "doneer",
        "unterstützen",
        "soutenez",
        "apoya",
        "sostieni",
        "apoie",
        "steun",
        "kommentarfunktion",
        "fermés",
        "cerrados",
        "chiusi",
        "encerrados",
        "copyright",
        "rights",
        "gdpr",
        "cookie",
        "cookies",
        "privacy",
        "terms",
        "advertising",
        "rechte",
        "droits",
        "derechos",
        "diritti",
        "direitos",
        "rechten",
        "impressum",
        "datenschutz",
        "mentions",
        "aviso",
        "privacidad",
    ]
)
_WORD = re.compile(r"\w+")
_READ_MORE_END = re.compile(r"(?:\.\.\.|…)\s*read more$", re.IGNORECASE)


def _combine(patterns: list[tuple[str, str]]) -> re.Pattern[str]:
    # a named group per kind (group names cannot hold '-')
    return re.compile(
        "|".join(f"(?P<{k.replace('-', '_')}>{p})" for k, p in patterns), re.IGNORECASE
    )


_START_RE = _combine(_START)
_ANYWHERE_RE = _combine(_ANYWHERE)


def start_kind(text: str) -> str | None:
    """The clutter kind named by how a block starts ("Read more:", "Comments", "Share"), or None."""
    m = _START_RE.match(text.strip())
    return m.lastgroup.replace("_", "-") if m and m.lastgroup else None


def clutter_kind(text: str) -> str | None:
    """The clutter kind a block's text names outright, or None."""
    stripped = text.strip()
    m = _START_RE.match(stripped)
    if m is None and ("©" in stripped or not _TRIGGERS.isdisjoint(_WORD.findall(stripped.lower()))):
        m = _ANYWHERE_RE.search(stripped)
    if m is not None and m.lastgroup:
        return m.lastgroup.replace("_", "-")
    return "related" if _READ_MORE_END.search(stripped) else None


# Headings that open a list of other content: everything under them up to the next body is a listing.
LISTING_HEADERS = re.compile(
    r"^(?:related(?: links| news| content| articles| stories| posts)?|trending(?: now)?|latest(?: news)?"
    r"|most (?:read|popular|viewed)|recommended(?: for you)?|you (?:may|might) also like|more from .{1,40}"
    r"|mehr zum thema|meistgelesen|à lire aussi|les plus lus|te puede interesar|lo más leído|potrebbe interessarti"
    r"|i più letti|veja também|mais lidas|meer over dit onderwerp|meest gelezen"
    r"|more stories|more news|top stories|editor.s picks?|popular(?: posts)?|read (?:next|also)"
    r"|você (?:também )?pode gostar|vous aimerez aussi|das könnte sie auch interessieren|te puede gustar"
    r"|ti potrebbe interessare|misschien ook interessant)\s*(?::|\.\.\.|…)?$",
    re.IGNORECASE,
)


# A label line that introduces a standfirst box; the paragraph under it is the description.
STANDFIRST_LABELS = re.compile(
    r"^(?:summary|why (?:this|it) matters|key (?:points|takeaways)|highlights|in brief|tl;?dr"
    r"|at a glance|the big picture)\s*:?$",
    re.IGNORECASE,
)
# Widget titles that sit between body paragraphs in page dumps.
WIDGET_LABELS = re.compile(
    r"^(?:the author|about the author|author|about us|advertisement|advertising|ad|sponsored"
    r"|share this(?: article| story)?|listen to this article|print|email)\s*:?$",
    re.IGNORECASE,
)
_LEGAL = re.compile(
    r"copyright|©|all rights reserved|gdpr|privacy (?:policy|statement)|cookies?|terms of (?:use|service)"
    r"|advertising does not imply|fair use",
    re.IGNORECASE,
)


def legal_hits(text: str) -> int:
    """How many distinct legal-footer phrases a (long) block holds."""
    return len({m.group(0).lower() for m in _LEGAL.finditer(text)})


_APPEAL = re.compile(
    r"every contribution|consider supporting|support (?:us|our (?:work|journalism|reporting))|join us"
    r"|donat(?:e|ion)|from as little as|regular amount each month|become a (?:member|supporter|patron)",
    re.IGNORECASE,
)


def appeal_hits(text: str) -> int:
    """How many distinct donation-appeal phrases a (long) block holds."""
    return len({m.group(0).lower() for m in _APPEAL.finditer(text)})


_SIGNUP = re.compile(
    r"delivered (?:straight |right )?to your inbox|sign up for (?:our|the) \w+ newsletter"
    r"|subscribe to our|we don.t spam|in (?:ihrem|ihr) postfach|dans votre boîte mail"
    r"|suscríbete|iscriviti alla|schrijf je .{0,20}in|assine grátis|unsubscribe at any time",
    re.IGNORECASE,
)


def long_block_kind(text: str) -> str | None:
    """Clutter kind of a paragraph: only unmistakable sign-up lines, or several phrases of one kind."""
    if _SIGNUP.search(text):
        return "newsletter"
    if appeal_hits(text) >= 2:
        return "donation"
    if legal_hits(text) >= 2:
        return "legal"
    return None
