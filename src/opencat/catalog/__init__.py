"""Use cases: one function per thing a client can do; each owns its transaction."""
