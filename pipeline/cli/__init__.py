"""Command-line interface: the `pipeline` group; each command lives in its own module here."""

from __future__ import annotations

import errno
import importlib
import logging
import sys
from pathlib import Path

import click
from rich.markup import escape

from pipeline import __version__
from pipeline.cli.common import err
from pipeline.cli.exits import EXIT_ERROR, EXIT_LOCKED, exit_code_for
from pipeline.errors import ConfigError, PipelineError

# Command name -> "module:attribute", imported only when the command runs (or help lists it).
# Importing every command module up front cost 1.2 s on a quiet machine (4.1 s under load) for
# `pipeline --version`; with this table it imports click, rich and the error types only.
COMMANDS: dict[str, str] = {
    "run": "pipeline.cli.run:run_command",
    "extract": "pipeline.cli.extract:extract_command",
    "reextract": "pipeline.cli.run:reextract_command",
    "sql": "pipeline.cli.query:sql_command",
    "stats": "pipeline.cli.query:stats_command",
    "search": "pipeline.cli.query:search_command",
    "export": "pipeline.cli.query:export_command",
    "eval": "pipeline.cli.evaluate:eval_command",
    "batch": "pipeline.cli.batch:batch_command",
    "load": "pipeline.cli.batch:load_command",
    "review": "pipeline.cli.review:review_command",
}


class LazyGroup(click.Group):
    """A click group whose commands are imported on first use (click's documented lazy pattern)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*COMMANDS, *super().list_commands(ctx)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        module, _, attribute = target.partition(":")
        command = getattr(importlib.import_module(module), attribute)
        if not isinstance(command, click.Command) or command.name != cmd_name:
            raise TypeError(f"{target} is not the click command {cmd_name!r}")
        return command


def _setup_logging(verbose: int, log_file: Path | None) -> None:
    """Logs go to stderr (or the log file); what a command prints for people goes to stdout."""
    level = logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING
    if log_file:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(log_file, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        level = min(level, logging.INFO)
    else:
        from rich.logging import RichHandler

        handler = RichHandler(console=err, show_path=False, markup=False, show_time=verbose > 1)
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    for noisy in ("httpx", "httpcore", "trafilatura", "htmldate", "charset_normalizer"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    # ultimate-sitemap-parser logs every oddity it meets, naming a placeholder URL: our own
    # parser reports what matters (pipeline.capture.discover.sitemaps)
    logging.getLogger("usp").setLevel(logging.CRITICAL)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="pipeline",
                      message="%(prog)s %(version)s")
@click.option("-v", "--verbose", count=True, help="More logging on stderr (-vv for debug).")
@click.option("--log-file", type=click.Path(path_type=Path), help="Write logs to this file instead of stderr.")
def main(verbose: int, log_file: Path | None) -> None:
    """pipeline: collect news pages, strip the clutter, land clean articles in DuckDB."""
    _setup_logging(verbose, log_file)


def _disk_full(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if getattr(seen, "errno", None) == errno.ENOSPC or "No space left on device" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def error_exit(exc: BaseException) -> tuple[int, str | None]:
    """The exit code and one message for an error that ends a command; (1, None) for a bug,
    which keeps its traceback."""
    if isinstance(exc, PipelineError):
        code = exit_code_for(exc)
        text = str(exc)
        if isinstance(exc, ConfigError):
            text = "config error:" + ("\n" if "\n" in text else " ") + text
        logging.getLogger("pipeline").info("exit %d: %s", code, exc)
        return code, text
    if _disk_full(exc):
        logging.getLogger("pipeline").info("exit %d: disk full: %s", EXIT_ERROR, exc)
        return EXIT_ERROR, "disk full: " + str(exc).splitlines()[0]
    return EXIT_ERROR, None


def entry() -> None:
    """The console script: every PipelineError ends the command with its documented exit code;
    a full disk is one line, not a traceback (what landed before it stays, see README)."""
    try:
        main(standalone_mode=True)
    except Exception as exc:
        code, message = error_exit(exc)
        if message is None:
            raise
        style = "yellow" if code == EXIT_LOCKED else "red"
        err.print(f"[{style}]{escape(message)}[/{style}]", highlight=False)
        sys.exit(code)


if __name__ == "__main__":
    entry()
