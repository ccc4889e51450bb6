"""The description renderer: Markdown to HTML, and nothing hostile survives it."""

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from opencat.web.i18n import translations
from opencat.web.markdown import page_markdown, plain_text, render_markdown

ALLOWED_SCHEMES = {"", "http", "https", "mailto"}


class Elements(HTMLParser):
    """Every start tag of a fragment with its attributes (values as a browser decodes them)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))

    def tags(self) -> set[str]:
        return {tag for tag, _attrs in self.found}


def assert_harmless(html: str) -> Elements:
    elements = Elements(html)
    assert not elements.tags() & {"script", "style", "iframe", "svg", "math", "object", "embed", "form"}
    for _tag, attrs in elements.found:
        assert not [name for name in attrs if name.startswith("on") or name in {"style", "srcdoc"}]
        for name in ("href", "src", "action", "formaction", "xlink:href"):
            value = attrs.get(name)
            if value is not None:
                # Browsers ignore ASCII whitespace and control characters inside a scheme.
                cleaned = "".join(ch for ch in value if ch > " ").lower()
                assert urlsplit(cleaned).scheme in ALLOWED_SCHEMES, value
    return elements


def test_markdown_becomes_html() -> None:
    html = render_markdown("Some **bold** and *em*, `code`, ~~gone~~.\n\n- one\n- two\n\n> quoted")
    assert "<strong>bold</strong>" in html
    assert "<em>em</em>" in html
    assert "<code>code</code>" in html
    assert "<del>gone</del>" in html
    assert "<li>one</li>" in html
    assert "<blockquote>" in html


def test_tables_render_without_inline_styles() -> None:
    html = render_markdown("| a | b |\n|:--|--:|\n| 1 | 2 |\n")
    assert "<th>a</th>" in html
    assert "<td>2</td>" in html
    assert "style" not in html  # a Content-Security-Policy without 'unsafe-inline' would block it


def test_a_line_break_is_kept_as_udata_keeps_it() -> None:
    """udata's renderer breaks lines (``hard_wrap``): real descriptions list "•" lines that ran
    together into one paragraph."""
    html = render_markdown("**Fichiers stock**\n• le premier\n• le second\n\nAutre paragraphe")
    assert html.count("<br>") == 2, html
    assert "<p>Autre paragraphe</p>" in html


def test_code_and_tables_scroll_in_a_box_the_keyboard_reaches() -> None:
    """A wide CSV sample or table widened the whole page (its sidebar drawn over)."""
    html = render_markdown("```\n" + "a;" * 400 + "\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert '<pre tabindex="0"><code>' in html
    assert '<div class="wide" tabindex="0"><table>' in html
    assert html.count("<div") == html.count("</div>") == 1
    nested = render_markdown("<table><tr><td><table><tr><td>x</td></tr></table></td></tr></table>")
    assert nested.count("<div") == nested.count("</div>") == 2


def test_a_pages_scroll_boxes_are_regions_named_in_its_language() -> None:
    """Focusable and unnamed, they were announced as nothing (the account pages' tables are named)."""
    text = "```\nx\n```\n\n| a |\n|---|\n| 1 |\n"
    french = str(page_markdown(text, translations("fr").gettext))
    assert '<pre tabindex="0" role="region" aria-label="Code">' in french
    assert '<div class="wide" tabindex="0" role="region" aria-label="Tableau">' in french
    assert 'aria-label="Table"' in str(page_markdown(text, translations("en").gettext))
    assert str(page_markdown("plain", translations("fr").gettext)) == render_markdown("plain")


def test_an_empty_link_is_named_by_its_address() -> None:
    """``[](https://…)`` in a real description made a link without a name (axe's link-name)."""
    html = render_markdown("Voir [](https://www.example.org/aides?x=1&y=2).")
    assert (
        '<a href="https://www.example.org/aides?x=1&amp;y=2" rel="nofollow noopener">https://www.example.org/aides?x=1&amp;y=2</a>'
        in html
    )


def test_links_get_nofollow_noopener() -> None:
    html = render_markdown(
        "[site](https://example.org/a?b=1&c=2) and <https://example.com> and www.example.net"
    )
    elements = assert_harmless(html)
    links = [attrs for tag, attrs in elements.found if tag == "a"]
    assert [attrs["href"] for attrs in links] == ["https://example.org/a?b=1&c=2", "https://example.com"]
    assert all(attrs["rel"] == "nofollow noopener" for attrs in links)


def test_a_rel_sent_by_the_author_is_replaced() -> None:
    html = render_markdown('<a href="https://example.org" rel="opener" target="_blank">x</a>')
    (attrs,) = [attrs for tag, attrs in Elements(html).found if tag == "a"]
    assert attrs == {"href": "https://example.org", "rel": "nofollow noopener"}


def test_mail_and_relative_links_stay() -> None:
    html = render_markdown("[write](mailto:someone@example.org) [other](/datasets/other/) [here](#part)")
    hrefs = [attrs["href"] for tag, attrs in Elements(html).found if tag == "a"]
    assert hrefs == ["mailto:someone@example.org", "/datasets/other/", "#part"]


def test_headings_start_under_the_page_title_without_gaps() -> None:
    html = render_markdown("# Top\n\ntext\n\n### Third\n\n###### Sixth\n\n# Again")
    assert [tag for tag, _attrs in Elements(html).found] == ["h2", "p", "h3", "h4", "h2"]
    assert "<h2>Top</h2>" in html
    assert "<h4>Sixth</h4>" in html


def test_code_is_shown_not_run() -> None:
    html = render_markdown("```html\n<script>alert(1)</script>\n```\n\nand `<b onclick=x>`")
    assert "&lt;script&gt;" in html
    assert "&lt;b onclick=x&gt;" in html
    assert_harmless(html)


def test_images_keep_their_text_alternative() -> None:
    html = render_markdown('![A map](https://example.org/map.png "The map")')
    (attrs,) = [attrs for tag, attrs in Elements(html).found if tag == "a"]
    assert attrs == {"href": "https://example.org/map.png", "rel": "nofollow noopener"}
    assert ">A map</a>" in html


HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    "<img src=x onerror=alert(1)//",
    '<body onload="alert(1)">',
    '<div onmouseover="alert(1)">hover</div>',
    '<p style="background:url(javascript:alert(1))">styled</p>',
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<iframe src="https://evil.example"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<button formaction="javascript:alert(1)">go</button>',
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<a href=" javascript:alert(1)">click</a>',
    '<a href="java\tscript:alert(1)">click</a>',
    '<a href="&#106;avascript:alert(1)">click</a>',
    '<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)">click</a>',
    '<a href="javascript&colon;alert(1)">click</a>',
    '<a href="vbscript:msgbox(1)">click</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">click</a>',
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](javascript&#58;alert(1))",
    "[click]( javascript:alert(1) )",
    "[click](data:text/html,<script>alert(1)</script>)",
    "![x](javascript:alert(1))",
    "[ref]\n\n[ref]: javascript:alert(1)",
    "<javascript:alert(1)>",
    '<svg onload="alert(1)"></svg>',
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    '<svg><animate attributeName="href" values="javascript:alert(1)"/></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<template><script>alert(1)</script></template>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    '<details open ontoggle="alert(1)">x</details>',
    '<a href="https://example.org" onclick="alert(1)">ok</a>',
    "<!--<script>alert(1)</script>-->",
    "<textarea><script>alert(1)</script></textarea>",
    '<input autofocus onfocus="alert(1)">',
    '<video><source onerror="alert(1)"></video>',
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_descriptions_are_defused(text: str) -> None:
    html = render_markdown(text)
    assert_harmless(html)
    assert "<script" not in html.lower()


def test_entities_in_text_stay_text() -> None:
    html = render_markdown("&lt;script&gt;alert(1)&lt;/script&gt; and 5 &lt; 6")
    assert "<script" not in html
    assert "&lt;script&gt;" in html


def test_plain_text_is_escaped() -> None:
    html = render_markdown('Tom & Jerry say "5 > 4"')
    assert html.strip() == '<p>Tom &amp; Jerry say "5 &gt; 4"</p>'


def test_empty_description() -> None:
    assert render_markdown("") == ""


def test_excerpts_are_the_text_a_reader_sees() -> None:
    text = (
        "### Le baromètre\n\nLes **résultats** de l'[action publique](https://example.org/a) "
        "<!-- excerpt --> & <script>alert(1)</script>suite.\n\n- un\n- deux"
    )
    assert plain_text(text) == "Le baromètre Les résultats de l'action publique & suite. un deux"
    assert plain_text("a < b > c") == "a < b > c"  # text, escaped later by the template


def test_images_are_links_named_by_their_alt_text() -> None:
    """The pages load nothing from other sites (their CSP): an image showed as a broken icon, and
    an image written in HTML without alt failed axe's image-alt. A link to it instead, named by its
    alt text (its title, else its address); within a link, its name alone (no link in a link)."""
    rendered = render_markdown(
        '<img src="https://example.org/a.png"> ![Bridge](https://example.org/b.png)'
        " [![Logo](https://example.org/l.png)](https://example.org/)"
        ' <img title=\'x alt="y\' src="https://example.org/c.png">'
    )
    assert "<img" not in rendered
    assert (
        '<a href="https://example.org/a.png" rel="nofollow noopener">https://example.org/a.png</a>'
        in rendered
    )
    assert '<a href="https://example.org/b.png" rel="nofollow noopener">Bridge</a>' in rendered
    assert '<a href="https://example.org/" rel="nofollow noopener">Logo</a>' in rendered
    assert '<a href="https://example.org/c.png" rel="nofollow noopener">x alt=&quot;y</a>' in rendered
