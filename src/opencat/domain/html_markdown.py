"""HTML descriptions of remote catalogs as the Markdown the catalog stores (udata converts them
the same way when it harvests: udata/rdf.py, sanitize_html)."""

import re
from html.parser import HTMLParser

# The elements that make a text HTML: a Markdown autolink (``<https://…>``) or a comparison
# (``a <b and c> d``) must not turn plain text into something else.
_ELEMENTS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "code", "dd", "div", "dl", "dt", "em", "h1", "h2",
        "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "section", "span",
        "strong", "table", "td", "th", "tr", "u", "ul",
    }
)  # fmt: skip
_BLOCKS = frozenset({"p", "div", "section", "article", "blockquote", "table", "tr", "dl", "dd", "dt"})
_DROPPED = frozenset({"script", "style", "head", "title", "template"})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# Marks an element's start and end write, when it has them.
_OPENING = {"b": "**", "strong": "**", "i": "*", "em": "*", "br": "  \n", "hr": "\n\n* * *\n\n"}
_CLOSING = {"b": "**", "strong": "**", "i": "*", "em": "*"}
# Nested lists are indented this many levels at most (Markdown readers rarely show more).
MAX_INDENT = 6
_SPACES = re.compile(r"[ \t\r\n\f]+")
# What a text's characters would do once read as Markdown, escaped with a backslash (CommonMark
# escapes any ASCII punctuation): emphasis, code, links, inline HTML and autolinks anywhere; an
# underscore only at a word's edge (``code_postal_insee`` is no emphasis, and reads as it is);
# ``&`` only before what reads as a character reference.
_INLINE = re.compile(r"[\\`*\[\]<]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])|&(?=#?[0-9A-Za-z]+;)")
# At a line's start: a heading, a quote, a list item, a setext underline.
_LINE_START = re.compile(r"[#>+=-]|\d+(?=[.)])")
_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


class _Detector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found = self.found or tag in _ELEMENTS


def is_html(text: str) -> bool:
    """Whether ``text`` holds HTML elements (not only angle brackets)."""
    if "<" not in text:
        return False
    detector = _Detector()
    detector.feed(text)
    detector.close()
    return detector.found


class _Converter(HTMLParser):
    """Headings, paragraphs, emphasis, links, images, lists, line breaks and code; any other
    element's text is kept, its markup dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.lists: list[list[int]] = []  # per open list: [next number] or [] for bullets
        self.links: list[str | None] = []
        self.dropped = 0
        self.pre = 0
        self.code = 0
        # The last character written other than a space: whether a text starts a line, known
        # without reading the output back (a scan back over blank pieces was quadratic: 16,000
        # ``<span> </span>`` took 5 s).
        self.last = "\n"

    def _put(self, text: str) -> None:
        self.out.append(text)
        kept = text.rstrip(" ")
        if kept:
            self.last = kept[-1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        given = dict(attrs)
        if tag in _DROPPED:
            self.dropped += 1
        elif tag in _HEADINGS:
            self._put("\n\n" + "#" * int(tag[1]) + " ")
        elif tag in _BLOCKS:
            self._put("\n\n")
        elif tag in _OPENING:
            self._put(_OPENING[tag])
        elif tag in ("ul", "ol"):
            self.lists.append([1] if tag == "ol" else [])
            self._put("\n")
        elif tag == "li":
            self._item()
        elif tag == "a":
            self.links.append(given.get("href"))
            self._put("[")
        elif tag == "img":
            self._put(f"![{given.get('alt') or ''}]({given.get('src') or ''})")
        elif tag == "pre":
            self.pre += 1
            self._put("\n\n```\n")
        elif tag == "code" and not self.pre:
            self.code += 1
            self._put("`")

    def _item(self) -> None:
        numbering = self.lists[-1] if self.lists else []
        mark = f"{numbering[0]}. " if numbering else "* "
        if numbering:
            numbering[0] += 1
        # The indent stops growing past a few levels: unclosed lists nested 10,000 deep made
        # 100 MB of spaces from 80 KB (the output was quadratic in the depth).
        depth = min(max(len(self.lists) - 1, 0), MAX_INDENT)
        self._put("\n" + "  " * depth + mark)

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED:
            self.dropped = max(self.dropped - 1, 0)
        elif tag in _HEADINGS or tag in _BLOCKS:
            self._put("\n\n")
        elif tag in _CLOSING:
            self._put(_CLOSING[tag])
        elif tag in ("ul", "ol"):
            if self.lists:
                self.lists.pop()
            self._put("\n\n")
        elif tag == "a":
            href = self.links.pop() if self.links else None
            self._put(f"]({href})" if href else "]")
        elif tag == "pre":
            self.pre = max(self.pre - 1, 0)
            self._put("\n```\n\n")
        elif tag == "code" and not self.pre:
            self.code = max(self.code - 1, 0)
            self._put("`")

    def handle_data(self, data: str) -> None:
        if self.dropped:
            return
        if self.pre or self.code:  # code reads its characters as they are
            self._put(data if self.pre else _SPACES.sub(" ", data))
            return
        self._put(self._escaped(_SPACES.sub(" ", data)))

    def _escaped(self, text: str) -> str:
        """The text's own characters, escaped where Markdown would read them as markup: a
        source's literal ``2*3*4``, ``&lt;b&gt;`` or ``# 12 rue`` became emphasis, a tag that
        bolded the rest, a heading."""
        text = _INLINE.sub(lambda found: "\\" + found.group(0), text)
        if not self._at_line_start():
            return text
        lead = len(text) - len(text.lstrip(" "))
        marker = _LINE_START.match(text, lead)
        if marker is None:
            return text
        if marker.group(0)[0].isdigit():  # ``1.`` or ``1)``: the mark after the number
            at = marker.end()
            return text[:at] + "\\" + text[at:]
        return text[:lead] + "\\" + text[lead:]

    def _at_line_start(self) -> bool:
        return self.last == "\n"


def html_as_markdown(text: str) -> str:
    """``text`` as Markdown when it is HTML, else as it is (stripped)."""
    if not is_html(text):
        return text.strip()
    converter = _Converter()
    converter.feed(text)
    converter.close()
    joined = "".join(converter.out)
    lines = "\n".join(line.rstrip(" ") if not line.endswith("  ") else line for line in joined.split("\n"))
    return _BLANK_LINES.sub("\n\n", lines).strip()
