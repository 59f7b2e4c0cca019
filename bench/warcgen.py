"""Synthetic WARC archives from the fixtures, shaped like a Common Crawl news slice.

Each file starts with a `warcinfo` record; each page is a `request`, `response` and `metadata`
record (gzip per record, like CC; a name without `.gz` writes an uncompressed file), with some 301s, 404s, images and a binary body mislabelled `text/html` mixed
in. Page bodies are HTML fixtures (`fixtures/**/*.html[.gz]`, plus any `--pages DIR`) or unique
stories sampled from the sentences of the plain-text seeds, in a news-site template padded to
realistic sizes. Output is deterministic for a given seed, so tests can compare runs.

    uv run python bench/warcgen.py OUT_DIR --files 3 --records 200
    uv run python bench/warcgen.py OUT_DIR --pages ../shared/bench/scrapinghub/html
"""

from __future__ import annotations

import argparse
import gzip
import html
import io
import random
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures"
HOSTS = ["www.example-news.org", "news.example.com", "daily.example.net", "gazette.example.co.uk"]
# Both point at another URL; left in, they would merge distinct synthetic records into one article.
_CANONICAL = re.compile(
    rb"<link[^>]+rel=[\"']?canonical[^>]*>|<meta[^>]+property=[\"']og:url[^>]*>", re.IGNORECASE
)


@dataclass(slots=True, frozen=True)
class Mix:
    """Share of each record kind besides ordinary HTML pages (CC news slices look like this)."""

    redirect: float = 0.05
    not_found: float = 0.04
    image: float = 0.04
    text: float = 0.03
    binary_html: float = 0.01  # a PDF-ish body served as text/html: must end in the rejects


@dataclass(slots=True)
class GenStats:
    """What one generated file holds: expected HTML pages and every response's target URI."""

    path: Path
    responses: int = 0
    html_pages: int = 0
    bytes: int = 0
    uris: list[str] = field(default_factory=list)


def load_pages(extra_dirs: list[Path] | None = None, keep_canonical: bool = False) -> list[bytes]:
    """Fixed HTML pages: `fixtures/**/*.html[.gz]` and any extra directories, as found."""
    pages: list[bytes] = []
    for root in [FIXTURES, *(extra_dirs or [])]:
        for path in sorted(root.rglob("*")):
            name = path.name.lower()
            if name.endswith(".html.gz"):
                pages.append(gzip.decompress(path.read_bytes()))
            elif name.endswith((".html", ".htm")):
                pages.append(path.read_bytes())
    if not keep_canonical:
        pages = [_CANONICAL.sub(b"", page) for page in pages]
    return pages


def load_sentences() -> list[str]:
    """Sentences of the plain-text seeds: the material of the templated pages."""
    sentences: list[str] = []
    for seed in sorted((FIXTURES / "seeds").glob("*.txt")):
        for line in seed.read_text("utf-8").splitlines():
            sentences.extend(s.strip() for s in _SENTENCE.split(line) if len(s.split()) >= 6)
    if len(sentences) < 20:
        raise SystemExit(f"too few seed sentences under {FIXTURES / 'seeds'}")
    return sentences


_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def templated_page(rng: random.Random, sentences: list[str], n: int) -> bytes:
    """A unique news page: a story of sampled seed sentences inside typical site chrome.

    Two pages share few sentences, so neither exact nor near-duplicate detection merges them.
    """
    title = rng.choice(sentences).rstrip(".")[:110]
    story = rng.sample(sentences, rng.randint(12, 40))
    paragraphs = "\n".join(
        f"<p>{html.escape(' '.join(story[i : i + 3]))}</p>" for i in range(0, len(story), 3)
    )
    nav = " ".join(f'<a href="/section/{i}">Section {i}</a>' for i in range(40))
    related = "".join(
        f'<li><a href="/story/{n}-{i}">{html.escape(rng.choice(sentences)[:60])}</a></li>'
        for i in range(12)
    )
    # Real pages carry tens of kB of inline script and style around a few kB of text.
    script = "<script>window.__STATE__=" + ('{"k":"v"},' * rng.randint(1000, 4000)) + "{};</script>"
    style = "<style>" + ".c{margin:0;padding:1px}" * rng.randint(500, 1500) + "</style>"
    day = rng.randint(1, 28)
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>'
        f"{html.escape(title)} | Example News</title>{style}"
        f'<meta name="author" content="Staff Reporter {n % 97}">'
        f'<meta property="article:published_time" content="2025-12-{day:02d}T08:00:00Z">'
        f"</head><body><header><nav>{nav}</nav></header><main><article><h1>{html.escape(title)}</h1>"
        f'<p class="byline">By Staff Reporter {n % 97}</p>{paragraphs}</article>'
        f'<aside class="related"><h2>Most read</h2><ul>{related}</ul></aside>'
        f'<div class="newsletter">Sign up for our morning newsletter.</div></main>'
        f"<footer>Copyright 2025 Example News. All rights reserved.</footer>{script}</body></html>"
    ).encode()


class _Gen:
    def __init__(self, writer: WARCWriter, rng: random.Random, start: datetime) -> None:
        self.writer = writer
        self.rng = rng
        self.clock = start

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        self.clock += timedelta(seconds=self.rng.uniform(0.1, 3))
        headers = {
            "WARC-Record-ID": f"<urn:uuid:{uuid.UUID(int=self.rng.getrandbits(128), version=4)}>",
            "WARC-Date": self.clock.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        headers.update(extra or {})
        return headers

    def warcinfo(self, name: str) -> None:
        info = {
            "software": "pipeline bench/warcgen.py",
            "format": "WARC File Format 1.1",
            "description": "synthetic news crawl from fixtures",
        }
        record = self.writer.create_warcinfo_record(name, info)
        self.writer.write_record(record)

    def pair(self, uri: str, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
        response = self.writer.create_warc_record(
            uri,
            "response",
            payload=io.BytesIO(body),
            length=len(body),
            http_headers=StatusAndHeaders(status, headers, protocol="HTTP/1.1"),
            warc_headers_dict=self._headers({"WARC-IP-Address": "192.0.2.7"}),
        )
        path = "/" + uri.split("/", 3)[3] if uri.count("/") >= 3 else "/"
        request = self.writer.create_warc_record(
            uri,
            "request",
            payload=io.BytesIO(b""),
            length=0,
            http_headers=StatusAndHeaders(
                f"GET {path} HTTP/1.1",
                [("Host", uri.split("/")[2]), ("User-Agent", "CCBot/2.0"), ("Accept", "text/html")],
                is_http_request=True,
            ),
            warc_headers_dict=self._headers(
                {"WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID")}
            ),
        )
        fields = f"fetchTimeMs: {self.rng.randint(20, 900)}\r\ncharset-detected: UTF-8\r\n".encode()
        metadata = self.writer.create_warc_record(
            uri,
            "metadata",
            payload=io.BytesIO(fields),
            length=len(fields),
            warc_content_type="application/warc-fields",
            warc_headers_dict=self._headers(
                {"WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID")}
            ),
        )
        # Common Crawl's order: request, response, metadata.
        self.writer.write_record(request)
        self.writer.write_record(response)
        self.writer.write_record(metadata)


def _server_headers(ctype: str, body: bytes) -> list[tuple[str, str]]:
    # CC keeps the payload decoded and renames the transfer headers; we do the same.
    return [
        ("Content-Type", ctype),
        ("X-Crawler-Content-Encoding", "gzip"),
        ("Content-Length", str(len(body))),
        ("Server", "nginx"),
    ]


def generate_warc(
    path: Path,
    records: int,
    pages: list[bytes],
    seed: int = 0,
    mix: Mix = Mix(),
    fixed_share: float = 0.5,
) -> GenStats:
    """Write one `.warc.gz` with `records` responses; URLs are unique per (file, record).

    HTML pages are fixed `pages` (a `fixed_share` of them, when any are given) or unique
    templated pages built from the seed sentences.
    """
    sentences = load_sentences()
    rng = random.Random(f"{seed}:{path.name.split('.')[0]}")  # same for .warc and .warc.gz
    stats = GenStats(path)
    start = datetime(2025, 12, 1, tzinfo=UTC) + timedelta(days=seed % 28)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        gen = _Gen(WARCWriter(fh, gzip=path.name.endswith(".gz")), rng, start)
        gen.warcinfo(path.name)
        stem = path.name.split(".")[0]
        for i in range(records):
            host = rng.choice(HOSTS)
            uri = f"https://{host}/{stem}/{i:06d}/story-{rng.getrandbits(32):08x}.html"
            roll = rng.random()
            edges = [mix.redirect, mix.not_found, mix.image, mix.text, mix.binary_html]
            kind = next((k for k, edge in enumerate(_cumulative(edges)) if roll < edge), 5)
            if kind == 0:
                body = b'<html><body>Moved <a href="/">here</a></body></html>'
                headers = _server_headers("text/html", body) + [("Location", f"https://{host}/")]
                gen.pair(uri, "301 Moved Permanently", headers, body)
            elif kind == 1:
                body = b"<html><body><h1>Not Found</h1></body></html>"
                gen.pair(uri, "404 Not Found", _server_headers("text/html", body), body)
            elif kind == 2:
                body = b"\xff\xd8\xff\xe0" + rng.randbytes(rng.randint(2_000, 40_000))
                gen.pair(uri[:-5] + ".jpg", "200 OK", _server_headers("image/jpeg", body), body)
                uri = uri[:-5] + ".jpg"
            elif kind == 3:
                body = b"User-agent: *\nDisallow: /private/\n"
                gen.pair(uri[:-5] + ".txt", "200 OK", _server_headers("text/plain", body), body)
                uri = uri[:-5] + ".txt"
            elif kind == 4:
                body = b"%PDF-1.7\n" + rng.randbytes(8_000)
                gen.pair(uri, "200 OK", _server_headers("text/html", body), body)
            else:
                if pages and rng.random() < fixed_share:
                    body = rng.choice(pages)
                else:
                    body = templated_page(rng, sentences, i)
                gen.pair(uri, "200 OK", _server_headers("text/html; charset=utf-8", body), body)
                stats.html_pages += 1
            stats.responses += 1
            stats.bytes += len(body)
            stats.uris.append(uri)
    tmp.replace(path)
    return stats


def _cumulative(shares: list[float]) -> list[float]:
    total, edges = 0.0, []
    for share in shares:
        total += share
        edges.append(total)
    return edges


def generate(
    out_dir: Path,
    files: int = 3,
    records: int = 100,
    seed: int = 0,
    pages: list[bytes] | None = None,
    mix: Mix = Mix(),
    fixed_share: float = 0.5,
) -> list[GenStats]:
    """`files` archives named `synth-NNNNN.warc.gz` under `out_dir`.

    `pages=None` takes the HTML fixtures; `pages=[]` makes every page a unique templated one.
    """
    pool = pages if pages is not None else load_pages()
    return [
        generate_warc(
            out_dir / f"synth-{n:05d}.warc.gz",
            records,
            pool,
            seed=seed,
            mix=mix,
            fixed_share=fixed_share,
        )
        for n in range(files)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--files", type=int, default=3)
    parser.add_argument("--records", type=int, default=200, help="responses per file")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--pages",
        type=Path,
        action="append",
        default=[],
        help="extra directory of .html/.html.gz pages (repeatable)",
    )
    parser.add_argument(
        "--fixed-share",
        type=float,
        default=0.5,
        help="share of HTML records that are fixed pages rather than templated",
    )
    args = parser.parse_args()
    stats = generate(
        args.out_dir,
        args.files,
        args.records,
        args.seed,
        load_pages(args.pages),
        fixed_share=args.fixed_share,
    )
    for s in stats:
        print(
            f"{s.path}: {s.responses} responses, {s.html_pages} html pages, "
            f"{s.bytes / 1e6:.1f} MB of payload, {s.path.stat().st_size / 1e6:.1f} MB on disk"
        )


if __name__ == "__main__":
    main()
