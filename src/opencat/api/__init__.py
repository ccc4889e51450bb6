"""HTTP and udata compatibility: the only package that speaks Starlette and pydantic."""
