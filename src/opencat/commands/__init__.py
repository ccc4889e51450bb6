"""The work behind the ``opencat`` subcommands that grew past a few lines (``opencat.cli`` parses)."""
