"""Descriptions rendered from Markdown (web/markdown.py): what is kept of long ones."""


def test_a_long_description_is_rendered_once_and_the_kept_renderings_are_bounded() -> None:
    """A hostile description at its limit took a second to render, on every view of its page."""
    import time

    from opencat.web import markdown

    text = "-\n" * 50_000
    started = time.monotonic()
    first = markdown.render_markdown(text)
    first_took = time.monotonic() - started
    started = time.monotonic()
    assert markdown.render_markdown(text) == first
    assert time.monotonic() - started < max(first_took / 10, 0.005)
    for number in range(200):
        markdown.render_markdown(f"# {number}\n\n" + "word " * 20_000)
    assert markdown._kept_size <= markdown._KEPT_BYTES
    assert sum(len(html) for html in markdown._kept.values()) == markdown._kept_size
