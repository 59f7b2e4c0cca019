"""`python -m pipeline` is the `pipeline` command."""

from pipeline.cli import entry

entry()
