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
        "fin  \nligne\n\n```\nx  y\n z\n```\n\n\\<tag> & `f()`"
    )


def test_the_sources_text_is_escaped_where_markdown_would_read_markup() -> None:
    """A source's literal ``2*3*4`` became emphasis, ``&lt;b&gt;`` a tag that bolded the rest of
    the description, a paragraph starting with ``#`` a heading (a harvest review)."""
    html = (
        "<p>Le tarif est 2*3*4, le champ code_postal_insee, le fichier *_2024.csv.</p>"
        "<p># 12 rue de la Paix</p><p>Si &lt;b&gt; vaut &lt;script&gt; alors 1 &lt; 2.</p>"
        "<p>1. premier</p><p>- tiret</p><p>[lien](x) &amp;amp; &amp; <code>a*b_c</code></p>"
    )
    assert html_as_markdown(html) == (
        "Le tarif est 2\\*3\\*4, le champ code_postal_insee, le fichier \\*\\_2024.csv.\n\n"
        "\\# 12 rue de la Paix\n\nSi \\<b> vaut \\<script> alors 1 \\< 2.\n\n"
        "1\\. premier\n\n\\- tiret\n\n\\[lien\\](x) \\&amp; & `a*b_c`"
    )
    # Read back as Markdown by the pages, it says the source's text, nothing more.
    from opencat.web.markdown import page_markdown

    shown = page_markdown(html_as_markdown(html), lambda text: text)
    assert "<em>" not in shown
    assert "<h1>" not in shown
    assert "<b>" not in shown
    assert "<li>" not in shown
    assert "2*3*4" in shown
    assert "&lt;script&gt;" in shown
    assert "&amp;amp;" in shown


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
    # Blank texts between elements that write nothing: whether a text starts a line was found by
    # reading the output back over them (16,000 took 5 s).
    import time

    blank = "<p>" + "<span> </span>" * 16_000 + "# x</p>"
    started = time.process_time()
    assert html_as_markdown(blank) == "\\# x"
    assert time.process_time() - started < 2.0
    nested = html_as_markdown("<ul><li>a<ul><li>b<ul><li>c</li></ul></li></ul></li></ul>")
    assert nested.splitlines()[-1] == "    * c"
