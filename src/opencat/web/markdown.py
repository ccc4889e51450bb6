"""Descriptions written in Markdown, rendered to HTML that is safe to put in a page."""

import hashlib
import html as html_text
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache

import mistune
import nh3
from markupsafe import Markup

# What a description may contain once rendered: text structure, links, images, tables. Nothing
# that runs, styles or embeds (the allowlist is the whole rule: anything else is dropped).
_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "h2", "h3",
        "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "strong", "sub",
        "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
}
# Dropped with everything inside them, not only their tags: their text is code or markup, not prose.
_DROPPED_WHOLE = frozenset(
    {"script", "style", "svg", "math", "iframe", "object", "embed", "template", "noscript", "textarea",
     "select", "title", "xmp", "noembed", "noframes"}
)  # fmt: skip
# No javascript:, data:, vbscript: or anything else a browser might run or render inline.
_SCHEMES = frozenset({"http", "https", "mailto"})
# The page's title is its only h1: a description's headings start below it.
TOP_HEADING = 2
_HEADING = re.compile(r"<(/?)h([1-6])\b", re.IGNORECASE)
# The sanitizer's output: attributes quoted (their quotes escaped), each after one space.
_LINK_OR_IMAGE = re.compile(r"<a\b[^>]*>|</a>|<img\b[^>]*>")
_ATTRIBUTE = re.compile(r' ([a-z]+)="([^"]*)"')


_markdown = mistune.create_markdown(
    escape=False,  # raw HTML goes through, then the sanitizer keeps what the allowlist allows
    # A line break is kept, as udata's renderer keeps it: data.gouv.fr's descriptions are written
    # for it (a list of "•" lines ran together into one paragraph).
    hard_wrap=True,
    plugins=["strikethrough", "table", "url"],
)


# Long texts' renderings, kept by the text's digest within a bound of bytes: a description at
# its 100,000-character limit may take a second to render (``-`` lines, brackets, a long table),
# and every view of its page paid it.
_KEPT_FROM = 2_000
_KEPT_BYTES = 8 * 1024 * 1024
_kept: OrderedDict[bytes, str] = OrderedDict()
_kept_size = 0
_kept_lock = threading.Lock()


def render_markdown(text: str) -> str:
    """The sanitized HTML of a Markdown ``text`` (which may hold raw HTML, hostile or not)."""
    if len(text) < _KEPT_FROM:
        return _rendered(text)
    global _kept_size
    key = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
    with _kept_lock:
        html = _kept.get(key)
        if html is not None:
            _kept.move_to_end(key)
            return html
    html = _rendered(text)
    with _kept_lock:
        if key not in _kept:
            _kept[key] = html
            _kept_size += len(html)
            while _kept_size > _KEPT_BYTES and _kept:
                _kept_size -= len(_kept.popitem(last=False)[1])
    return html


def _rendered(text: str) -> str:
    html = _markdown(text)
    assert isinstance(html, str)  # the HTML renderer always gives text
    cleaned = nh3.clean(
        _renumber(html),
        tags=set(_TAGS),
        clean_content_tags=set(_DROPPED_WHOLE),
        attributes={tag: set(names) for tag, names in _ATTRIBUTES.items()},
        url_schemes=set(_SCHEMES),
        link_rel="nofollow noopener",
        strip_comments=True,
    )
    return _scrollable(_named_links(_images_as_links(cleaned)))


# A link with nothing inside (``[](https://…)`` in a real description): named by its address, as a
# screen reader would otherwise announce a link without a name.
_EMPTY_LINK = re.compile(r'(<a\b[^>]*\bhref="([^"]*)"[^>]*>)(</a>)')


def _named_links(html: str) -> str:
    return _EMPTY_LINK.sub(lambda found: found[1] + found[2] + found[3], html)


def page_markdown(text: str, gettext: Callable[[str], str]) -> Markup:
    """A description rendered for a page in its language: its scrolling boxes are regions named
    for a screen reader ("Code", "Table"), as the account pages' tables are."""
    html = render_markdown(text)
    if 'tabindex="0"' not in html:
        return Markup(html)
    code = f'<pre tabindex="0" role="region" aria-label="{html_text.escape(gettext("Code"))}">'
    table = f'<div class="wide" tabindex="0" role="region" aria-label="{html_text.escape(gettext("Table"))}">'
    return Markup(html.replace('<pre tabindex="0">', code).replace('<div class="wide" tabindex="0">', table))


def _scrollable(html: str) -> str:
    """Code blocks and tables scroll sideways in their own box, which the keyboard reaches (a CSV
    sample or a wide table widened the whole page, over the sidebar). The sanitizer's output
    holds these tags bare: it keeps none of their attributes."""
    html = html.replace("<pre>", '<pre tabindex="0">')
    return html.replace("<table>", '<div class="wide" tabindex="0"><table>').replace(
        "</table>", "</table></div>"
    )


def _images_as_links(html: str) -> str:
    """Each image as a link to it, named by its alt text: the pages load nothing from other sites
    (their Content-Security-Policy: an image there showed as a broken icon, and loading it would
    tell another site who reads the catalog). Within a link, the image's name alone."""
    parts: list[str] = []
    depth = last = 0
    for token in _LINK_OR_IMAGE.finditer(html):
        parts.append(html[last : token.start()])
        last = token.end()
        text = token[0]
        if not text.startswith("<img"):
            depth += -1 if text.startswith("</") else 1
            parts.append(text)
            continue
        attributes = dict(_ATTRIBUTE.findall(text))
        name = attributes.get("alt") or attributes.get("title") or attributes.get("src", "")
        source = attributes.get("src")
        parts.append(
            name if depth or not source else f'<a href="{source}" rel="nofollow noopener">{name}</a>'
        )
    parts.append(html[last:])
    return "".join(parts)


def _renumber(html: str) -> str:
    """Headings at consecutive levels from TOP_HEADING, in the order of the levels the text used, so
    that a description's outline fits under the page's without skipping a level."""
    used = sorted({int(level) for _slash, level in _HEADING.findall(html)})
    mapping = {level: min(TOP_HEADING + rank, 6) for rank, level in enumerate(used)}
    return _HEADING.sub(lambda match: f"<{match[1]}h{mapping[int(match[2])]}", html)


# A description's beginning is enough for an excerpt: long ones are cut before rendering.
_EXCERPT_SOURCE = 2000
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=4096)
def plain_text(text: str) -> str:
    """A Markdown ``text`` as plain text, for excerpts: what a reader sees, without the marks
    (``**``, ``###``, link targets), tags or comments. Escape it like any text."""
    rendered = _markdown(text[:_EXCERPT_SOURCE])
    assert isinstance(rendered, str)
    # Block ends become spaces, so that a heading and its paragraph do not run together.
    spaced = re.sub(r"</(p|h[1-6]|li|tr|td|th|blockquote|pre)>|<br\s*/?>", " ", rendered)
    bare = nh3.clean(spaced, tags=set(), clean_content_tags=set(_DROPPED_WHOLE), strip_comments=True)
    return _SPACES.sub(" ", html_text.unescape(bare)).strip()
