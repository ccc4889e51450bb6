"""Full-text search and filtered listings on an embedded Tantivy index (a replica of the database)."""
