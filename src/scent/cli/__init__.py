"""The `scent` command line: one small module per group of commands, each registering itself on `app`. Data
goes to stdout (`--json` everywhere), progress and messages to stderr. The commands call the wiring layer
(`scent.app`) and import the work inside each command, so `scent --help` loads only typer."""

from __future__ import annotations

import sys

import typer

from scent.cli import agent, eval, index, models, rl, search, sources, synth
from scent.serve import cli as serve

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="scent: a deep-research search agent for your own documents, offline.")

for module in (index, sources, search, models, agent, serve, eval, synth, rl):  # the order of `scent --help`
    module.register(app)


def main() -> None:
    try:
        app()
    except BrokenPipeError:  # `scent search … | head`
        sys.stderr.close()


if __name__ == "__main__":
    main()
