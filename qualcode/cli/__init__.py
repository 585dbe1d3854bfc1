"""The ``qualcode`` command: parses, calls ``qualcode.Project``, renders. Nothing else.

Sub-commands live in one module per command group and are imported only when used, so
``qualcode --help`` starts fast: no module here imports pandas, spaCy, scikit-learn or
SQLAlchemy at top level. Library errors are mapped to one line and an exit code here, once.
"""

import importlib
import sys

import click

from qualcode import __version__
from qualcode.errors import QualcodeError

# command name -> "module:attribute" under qualcode.cli; the order is the order of --help.
COMMANDS = {
    "init": "project:init",
    "status": "project:status",
    "demo": "project:demo",
    "codebook": "codebook:codebook",
    # import and look (issue 3)
    "import": "ingest:import_",
    "documents": "ingest:documents",
    "show": "ingest:show",

    # coding (issue 4)
    "code": "tui:code",
    "tag": "coding:tag",
    "untag": "coding:untag",
    "review": "coding:review",
    "apply": "coding:apply_codings",
    "codings": "coding:codings",
    "segments": "retrieval:segments",
    "quotes": "retrieval:quotes",
    "codes": "codes:codes",
    "memo": "memo:memo",
    "log": "coding:log",

    # suggestions (issue 5)
    "suggest": "suggest:suggest",
    "autocode": "suggest:autocode",
    "evaluate": "suggest:evaluate",

    # agreement (issue 6)
    "agreement": "agreement:agreement",
    "disagreements": "agreement:disagreements",
    "consensus": "agreement:consensus",
    "adjudicate": "agreement:adjudicate",
    "merge": "agreement:merge",

    # matrices (issue 7)
    "matrix": "matrices:matrix",
    "cooccurrence": "matrices:cooccurrence",
    "framework": "matrices:framework",

    # REFI-QDA (issue 8)
    "export": "interop:export",

}


class CommandError(click.ClickException):
    """A library error shown as one line on stderr with its exit code."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file=None) -> None:
        click.echo(f"qualcode: error: {self.format_message()}", err=True, file=file)


class QualcodeGroup(click.Group):
    """A group whose sub-commands load lazily and whose errors become one line."""

    def __init__(self, *args, lazy: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy = lazy or {}

    def list_commands(self, ctx):
        return list(self.lazy) + sorted(name for name in self.commands if name not in self.lazy)

    def get_command(self, ctx, name):
        if name in self.lazy and name not in self.commands:
            module_name, attribute = self.lazy[name].split(":")
            module = importlib.import_module(f"qualcode.cli.{module_name}")
            self.add_command(getattr(module, attribute), name)
        return self.commands.get(name)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except QualcodeError as exc:
            raise CommandError(str(exc), exc.exit_code) from None
        except KeyboardInterrupt:
            raise CommandError("interrupted; nothing of the unfinished command was written", 130) from None


@click.group(
    cls=QualcodeGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "--version", prog_name="qualcode")
def cli():
    """Code qualitative interviews in the terminal: import transcripts, code them against a
    codebook, check agreement, and export theme matrices to SPSS, Stata, R and Excel.

    Everything stays on this machine. Start with the demo, or a project of your own:

    \b
        qualcode demo
        qualcode init my-study --codebook codebooks/professioneel-handelen.yaml
        cd my-study && qualcode status
    """


def main(argv=None):
    """Console entry point."""
    sys.exit(cli.main(args=argv, prog_name="qualcode"))
