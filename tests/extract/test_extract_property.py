"""Robustness: whatever bytes or text come in, `extract` returns an Article or a Drop, and the
extractor itself never fails on the way (the never-raise wrapper does not hide a failure here).

Speed on such inputs is measured in bench/, not asserted here."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.extract import extract
from pipeline.models import Article, Drop

FIXTURE = (
    Path(__file__).resolve().parents[2] / "fixtures" / "pages" / "en_harbour.html"
).read_text("utf-8")
extract(FIXTURE)
extract(
    "A first line of text.\n\n" + "A sentence of plain words for the text model to read. " * 5,
    kind="text",
)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TAGS = [
    "div",
    "p",
    "span",
    "a",
    "article",
    "nav",
    "footer",
    "aside",
    "li",
    "ul",
    "h1",
    "h2",
    "table",
    "td",
    "script",
    "style",
    "br",
    "img",
    "form",
    "section",
    "b",
    "i",
    "iframe",
    "svg",
    "template",
]
ATTRS = ["class", "id", "role", "href", "style", "itemprop", "aria-label", "data-x"]


# What `extract` returns when the code under it raised: a property test must see these as failures.
FAILURE_DROPS = ("error:", "too-deep")


def checked(content, **kwargs):
    result = extract(content, **kwargs)
    assert isinstance(result, (Article, Drop)), result
    if isinstance(result, Drop):
        assert result.reason
        assert not result.reason.startswith(FAILURE_DROPS), f"the extractor failed: {result.reason}"
    else:
        assert isinstance(result.body, str) and result.body
    return result


@st.composite
def html_trees(draw, depth=0):
    tag = draw(st.sampled_from(TAGS))
    attrs = draw(st.dictionaries(st.sampled_from(ATTRS), st.text(max_size=30), max_size=3))
    attr_text = "".join(f' {k}="{v}"' for k, v in attrs.items())
    children = draw(
        st.lists(
            st.one_of(st.text(max_size=80), html_trees(depth + 1))
            if depth < 4
            else st.text(max_size=80),
            max_size=4,
        )
    )
    close = draw(st.booleans())  # unclosed tags too
    return f"<{tag}{attr_text}>" + "".join(children) + (f"</{tag}>" if close else "")


@SETTINGS
@given(st.binary(max_size=5000), st.sampled_from([None, "html", "text"]))
def test_random_bytes(data, kind):
    checked(data, kind=kind)


@SETTINGS
@given(st.text(max_size=5000), st.sampled_from([None, "html", "text"]))
def test_random_text(text, kind):
    checked(text, kind=kind)


@SETTINGS
@given(html_trees())
def test_random_html(html):
    checked("<html><body>" + html + "</body></html>")


@SETTINGS
@given(
    st.integers(min_value=0, max_value=len(FIXTURE)),
    st.integers(min_value=0, max_value=len(FIXTURE)),
)
def test_truncated_html(start, length):
    checked(FIXTURE[start : start + length])
    checked(FIXTURE[:start].encode("utf-8")[: length or None])


@SETTINGS
@given(
    st.lists(
        st.sampled_from(["utf-8", "cp1252", "utf-16", "latin-1", "koi8-r", "shift_jis"]),
        min_size=1,
        max_size=4,
    ),
    st.text(min_size=1, max_size=300),
)
def test_mixed_encodings(codecs, text):
    data = b"".join(text.encode(c, errors="replace") for c in codecs)
    checked(b"<html><body><p>" + data + b"</p></body></html>")
    checked(data)


def test_deep_nesting():
    depth = 20000
    paragraph = (
        "<p>" + "Words that make a plain sentence about the harbour and the storm. " * 8 + "</p>"
    )
    checked("<html><body>" + "<div>" * depth + paragraph + "</div>" * depth + "</body></html>")
    checked("<html><body>" + "<b>" * depth + paragraph)


def test_huge_attributes():
    huge = "x" * 2_000_000
    checked(f'<html><body><div class="{huge}" data-a="{huge}">' + FIXTURE + "</div></body></html>")


def test_many_blocks():
    checked("<html><body>" + "<p>short line</p>" * 50000 + "</body></html>")


def test_empty_and_whitespace():
    for content in (
        b"",
        "",
        " ",
        "\n\n",
        b"\xef\xbb\xbf",
        "<html></html>",
        "<html><body></body></html>",
    ):
        assert isinstance(checked(content), Drop)
