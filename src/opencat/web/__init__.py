"""The public HTML pages and what machines read beside them (sitemaps, robots.txt, JSON-LD)."""
