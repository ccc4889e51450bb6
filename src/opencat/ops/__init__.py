"""Watching the server run: request ids, the access log, health probes and Prometheus metrics."""
