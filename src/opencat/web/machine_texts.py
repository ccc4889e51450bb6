"""The documents machines read beside the pages: sitemaps (sitemaps.org 0.9), robots.txt and the
OpenSearch description (1.1)."""

from collections.abc import Iterable
from xml.sax.saxutils import escape, quoteattr

from opencat.catalog.sitemaps import Entry, SitemapIndex
from opencat.domain.dates import iso
from opencat.domain.urls import Urls

SITEMAPS = "http://www.sitemaps.org/schemas/sitemap/0.9"
OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"
# OpenSearch's ShortName holds at most 16 characters.
SHORT_NAME = 16


def sitemap_index(index: SitemapIndex, urls: Urls) -> str:
    """One sitemap per page of datasets and of organizations, each named by its first id."""
    pages = [f"datasets-{first}" for first in index.datasets]
    pages += [f"organizations-{first}" for first in index.organizations]
    items = "".join(
        f"<sitemap><loc>{escape(urls.base)}/sitemaps/{page}.xml</loc></sitemap>\n" for page in pages
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{SITEMAPS}">\n{items}</sitemapindex>\n'
    )


def urlset(pages: Iterable[tuple[str, Entry]]) -> str:
    """``pages``: each page's URL and what it shows."""
    items = "".join(
        f"<url><loc>{escape(url)}</loc><lastmod>{iso(entry.last_modified)}</lastmod></url>\n"
        for url, entry in pages
    )
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{SITEMAPS}">\n{items}</urlset>\n'


def robots_txt(urls: Urls) -> str:
    # The API and the files are for programs that know what they ask; search result pages with
    # their endless combinations of filters would waste a crawler's time (the sitemaps list every
    # dataset), on the search page as on an organization's or a user's, which carry the same
    # filters. The API's documentation page is for people. A file's preview makes the server fetch
    # the file, and the accounts' pages are behind a sign-in.
    return (
        "User-agent: *\n"
        "Allow: /\n"
        "Allow: /api/1/$\n"
        "Disallow: /api/\n"
        "Disallow: /resources/\n"
        "Disallow: /datasets/?\n"
        "Disallow: /organizations/*?\n"
        "Disallow: /users/*?\n"
        "Disallow: /*?preview=\n"
        "Disallow: /account/\n"
        "Disallow: /admin/\n"
        "Disallow: /login\n"
        f"Sitemap: {urls.base}/sitemap.xml\n"
    )


def opensearch_description(urls: Urls, site_title: str) -> str:
    search = f"{urls.home}datasets/?q={{searchTerms}}"
    feed = f"{urls.base}/api/1/datasets/recent.atom?q={{searchTerms}}"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<OpenSearchDescription xmlns="{OPENSEARCH}">\n'
        f"<ShortName>{escape(site_title[:SHORT_NAME])}</ShortName>\n"
        f"<Description>{escape(f'Search the datasets of {site_title}')}</Description>\n"
        "<InputEncoding>UTF-8</InputEncoding>\n"
        f'<Url type="text/html" method="get" template={quoteattr(search)}/>\n'
        f'<Url type="application/atom+xml" method="get" template={quoteattr(feed)}/>\n'
        f'<Url type="application/opensearchdescription+xml" rel="self" '
        f"template={quoteattr(f'{urls.base}/opensearch.xml')}/>\n"
        "</OpenSearchDescription>\n"
    )
