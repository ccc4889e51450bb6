"""Remote catalogs' HTML descriptions as the Markdown the catalog stores (udata's html2text step)."""

import pytest

from opencat.domain.html_markdown import html_as_markdown, is_html


def test_udatas_fixture_abstract_reads_as_udata_stores_it() -> None:
    html = "<h1>h1 title</h1><h2>h2 title</h2><b>and bold text</b>"
    assert html_as_markdown(html) == "# h1 title\n\n## h2 title\n\n**and bold text**"


def test_paragraphs_links_lists_breaks_and_code() -> None:
    html = (
        '<p>Données de <a href="https://x.org/a">la  ville</a>.</p>\n<p>Voir :</p>'
        "<ul><li>un</li><li>deux <em>2</em></li></ul><ol><li>a</li><li>b</li></ol>"
        "<p>fin<br>ligne</p><pre>x  y\n z</pre><p>&lt;tag&gt; &amp; <code>f()</code></p>"
    )
    assert html_as_markdown(html) == (
        "Données de [la ville](https://x.org/a).\n\nVoir :\n\n* un\n* deux *2*\n\n1. a\n2. b\n\n"
        "fin  \nligne\n\n```\nx  y\n z\n```\n\n<tag> & `f()`"
    )


def test_what_runs_or_styles_is_dropped_with_its_text() -> None:
    assert html_as_markdown("<p>Texte</p><script>alert(1)</script><style>p{}</style>") == "Texte"


@pytest.mark.parametrize(
    "text",
    ["Plain text, kept as it is", "Voir <https://example.org/a>", "a < b and c > d", "**Markdown** already"],
)
def test_text_that_is_no_html_is_kept(text: str) -> None:
    assert not is_html(text)
    assert html_as_markdown(f"  {text}\n") == text


def test_the_output_stays_linear_in_the_input() -> None:
    """Unclosed lists nested 10,000 deep made 100 MB of indentation from 80 KB (a harvested page's
    description, or a preview any user may ask for)."""
    html = "<ul><li>" * 10_000
    assert len(html_as_markdown(html)) < 20 * len(html)
    nested = html_as_markdown("<ul><li>a<ul><li>b<ul><li>c</li></ul></li></ul></li></ul>")
    assert nested.splitlines()[-1] == "    * c"
