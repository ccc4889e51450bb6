"""Outside-system adapter that checks whether remote links answer, guarded against SSRF."""
