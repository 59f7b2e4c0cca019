"""URL identity: one spelling per page (canonicalisation) and which declared canonicals to trust."""

from __future__ import annotations

import functools
import ipaddress
import re
from urllib.parse import unquote_plus, urljoin, urlsplit, urlunsplit

import w3lib.url
from publicsuffixlist import PublicSuffixList

__all__ = [
    "MAX_URL_CHARS",
    "TRACKING_PARAMS",
    "canonicalize_url",
    "registered_domain",
    "same_site",
    "trusted_canonical",
]

# Query parameters that only track the click, never select the page (plus every utm_*).
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "mc_cid", "mc_eid", "igshid",
        "yclid", "_ga", "_gl", "ref_src", "ref_url", "cmpid", "ncid", "ocid", "spm", "smid",
    }
)

# Longer URLs are junk or an attack; browsers and CDNs give up around here too.
MAX_URL_CHARS = 8192

_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOSTNAME = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*")


def canonicalize_url(url: str) -> str:
    """One spelling per page: lower-case scheme and host (IDN hosts in punycode), default ports,
    fragments and tracking parameters (utm_*, fbclid, ...) dropped, query sorted, path and query
    percent-encoded once (w3lib.url.canonicalize_url). IPv6 hosts keep their brackets.

    Anything that is not an http(s) URL with a host comes back stripped but otherwise unchanged,
    so the function never raises and canonicalize_url(canonicalize_url(u)) == canonicalize_url(u).
    """
    text = url.strip()
    try:
        parts = urlsplit(text)
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS or not parts.hostname:
            return text
        netloc = _netloc(scheme, parts.hostname, parts.port, parts.username, parts.password)
        rebuilt = urlunsplit((scheme, netloc, parts.path, _drop_tracking(parts.query), ""))
        return w3lib.url.canonicalize_url(rebuilt, keep_fragments=False)
    except ValueError:  # bad port, bad IPv6 literal, unencodable host: not a URL we can fetch
        return text


def _netloc(
    scheme: str, hostname: str, port: int | None, user: str | None, password: str | None
) -> str:
    host = hostname.lower().rstrip(".")
    if ":" in host:  # IPv6 literal; urlsplit drops the brackets, the URL needs them back
        host = f"[{ipaddress.IPv6Address(host).compressed}]"
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    if user is None:
        return host
    return f"{user}:{password}@{host}" if password is not None else f"{user}@{host}"


def _drop_tracking(query: str) -> str:
    kept = []
    for piece in query.split("&"):
        key = unquote_plus(piece.split("=", 1)[0]).strip().lower()
        if key.startswith("utm_") or key in TRACKING_PARAMS:
            continue
        kept.append(piece)
    return "&".join(kept)


# -- sites ---------------------------------------------------------------------------------


@functools.cache
def _suffix_list() -> PublicSuffixList:
    """The Public Suffix List snapshot packaged with publicsuffixlist (ICANN and private
    sections; never downloaded). Built once: parsing it takes ~0.15 s."""
    return PublicSuffixList()


def _host(url_or_host: str) -> str:
    text = url_or_host.strip()
    if "//" not in text:
        text = "//" + text
    try:
        host = urlsplit(text).hostname or ""
    except ValueError:
        return ""
    host = host.lower().rstrip(".")
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        return ""
    return host if _HOSTNAME.fullmatch(host) or ":" in host else ""


def registered_domain(url: str) -> str:
    """The registrable domain ("site") of a URL or bare host, by the Public Suffix List:
    news.bbc.co.uk -> bbc.co.uk, alice.github.io -> alice.github.io. IP literals, single-label
    hosts (localhost) and public suffixes themselves are their own site; junk gives ""."""
    host = _host(url)
    if not host:
        return ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return host
    return _suffix_list().privatesuffix(host) or host


def same_site(url: str, other: str) -> bool:
    """True when both URLs are on one registered site (bbc.co.uk and news.bbc.co.uk are)."""
    site = registered_domain(url)
    return bool(site) and site == registered_domain(other)


def trusted_canonical(
    canonical: str | None, final_url: str, aliases: frozenset[str] = frozenset()
) -> str | None:
    """The page's declared `<link rel=canonical>`, canonicalised, when it may stand for the page.

    The canonical is resolved against the final URL (a relative "/news/story.html" means that
    path on the page's own host), then trusted only if it is absolute http(s), no longer than
    MAX_URL_CHARS, on the registered site of `final_url` or of one of the declared `aliases`
    (hosts or URLs), and not the site root ("/" with no query: sites that point every page
    there would merge all articles into one). Otherwise None: the caller uses the final URL.
    """
    if not canonical or not canonical.strip():
        return None
    try:
        resolved = urljoin(final_url, canonical.strip())
        parts = urlsplit(resolved)
        hostname = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in _DEFAULT_PORTS or not hostname or len(resolved) > MAX_URL_CHARS:
        return None
    if parts.path in ("", "/") and not parts.query:
        return None
    site = registered_domain(resolved)
    trusted_sites = {registered_domain(final_url)} | {registered_domain(a) for a in aliases}
    if not site or site not in trusted_sites:
        return None
    return canonicalize_url(resolved)
