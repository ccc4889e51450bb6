"""File storage: where uploaded files live (local disk or an S3-compatible bucket)."""
