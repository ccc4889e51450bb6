"""Pure domain: catalog objects, their rules and errors. Standard library only."""
