"""Sending mail: the one adapter that speaks SMTP (the standard library's smtplib)."""
