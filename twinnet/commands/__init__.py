"""Subcommands of the ``twinnet`` command line, one module each."""
