"""Comment text is cut into plain text and safe links: http, https and mailto only."""

from __future__ import annotations

import pytest

from crm_app.feed.links import MAX_LABEL_CHARS, MAX_URL_CHARS, Segment, safe_href, split_links


def _links(text: str) -> list[str]:
    return [s.href for s in split_links(text) if s.href]


def test_text_without_links_is_one_plain_segment():
    assert split_links("Called back,\nwill come Monday") == [Segment(text="Called back,\nwill come Monday")]


def test_empty_text_has_no_segments():
    assert split_links("") == []


def test_an_https_link_is_cut_out_of_the_text_around_it():
    assert split_links("See https://example.com/quote?id=7 for details") == [
        Segment(text="See "),
        Segment(text="https://example.com/quote?id=7", href="https://example.com/quote?id=7"),
        Segment(text=" for details"),
    ]


def test_http_and_mailto_links_are_kept_too():
    assert _links("http://old.example.org and mailto:ann@example.com?subject=Hi") == [
        "http://old.example.org",
        "mailto:ann@example.com?subject=Hi",
    ]


def test_segments_put_back_together_give_the_original_text():
    text = "a https://x.example/1, b (https://y.example/2) c mailto:z@example.com."
    assert "".join(s.text for s in split_links(text)) == text


@pytest.mark.parametrize(
    "text",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(document.cookie)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "vbscript:msgbox(1)",
        "javascript:https://example.com",
        "file:///etc/passwd",
        "ftp://example.com/file",
    ],
)
def test_other_schemes_are_never_links(text):
    assert _links(text) == []
    assert "".join(s.text for s in split_links(text)) == text


@pytest.mark.parametrize(
    ("text", "link"),
    [
        ("Go to https://example.com.", "https://example.com"),
        ("Is it https://example.com/a?", "https://example.com/a"),
        ("https://example.com/a, then", "https://example.com/a"),
        ("Wow https://example.com!", "https://example.com"),
        ("(see https://example.com/page)", "https://example.com/page"),
        (
            "https://en.wikipedia.org/wiki/Bracket_(disambiguation)",
            "https://en.wikipedia.org/wiki/Bracket_(disambiguation)",
        ),
        ('"https://example.com/quoted"', "https://example.com/quoted"),
        ("mailto:ann@example.com;", "mailto:ann@example.com"),
    ],
)
def test_trailing_punctuation_stays_text(text, link):
    assert _links(text) == [link]


def test_a_long_url_keeps_its_whole_href_behind_a_shortened_label():
    url = "https://example.com/" + "a" * 300
    (segment,) = split_links(url)
    assert segment.href == url
    assert len(segment.text) == MAX_LABEL_CHARS and segment.text.endswith("…")


def test_a_url_longer_than_the_limit_stays_plain_text():
    url = "https://example.com/" + "a" * MAX_URL_CHARS
    assert split_links(url) == [Segment(text=url)]


@pytest.mark.parametrize(
    "url",
    [
        "https://",
        "https://paypal.com@evil.example/",
        "https://exa mple.com",
        "https://example.com\\@evil.example",
        "mailto:not-an-address",
        "mailto://example.com",
    ],
)
def test_malformed_or_deceptive_urls_are_refused(url):
    assert safe_href(url) is None


def test_a_url_glued_to_a_word_is_not_a_link():
    assert _links("prefixhttps://example.com") == []


def test_markup_around_a_link_is_not_part_of_it():
    assert _links('<a href="https://example.com">x</a> <b>https://example.org/</b>') == [
        "https://example.com",
        "https://example.org/",
    ]


def test_invisible_direction_marks_end_a_link():
    assert _links("https://example.com/\u202egpj.exe") == ["https://example.com/"]


def test_several_links_in_several_lines_are_all_found():
    text = "one https://a.example\ntwo https://b.example/x\nthree"
    assert _links(text) == ["https://a.example", "https://b.example/x"]
