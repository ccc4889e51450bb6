"""The public pages: server-rendered HTML for people, beside the API (same layer, same use cases)."""
