"""The ``qualcode`` command: parses, calls ``qualcode.Project``, renders. Nothing else.

Sub-commands live in one module per command group and are imported only when used, so
``qualcode --help`` starts fast: no module here imports pandas, spaCy, scikit-learn or
SQLAlchemy at top level. Library errors are mapped to one line and an exit code here, once.
"""

import importlib
import os
import sys

import click

from qualcode import __version__
from qualcode.errors import QualcodeError

COMPLETE_VAR = "_QUALCODE_COMPLETE"  # click's shell completion asks through this variable

# command name -> ("module:attribute" under qualcode.cli, the one line `qualcode --help` shows).
# The line lives here so that listing the commands imports none of them. Order = --help order.
COMMANDS = {
    # the project
    "init": ("project:init", "Create a project, optionally with a codebook."),
    "status": ("project:status", "Documents, segments, codes, codings per coder."),
    "demo": ("project:demo", "Run the whole pipeline on the bundled samples."),
    "copy": ("project:copy", "Copy a project whole: SQLite <-> PostgreSQL server."),
    "codebook": ("codebook:codebook", "Check, show, load or export the codebook."),
    "team": ("team:team", "Who is who on a server project: roles and blind coding."),
    # import and look (issue 3)
    "import": ("ingest:import_", "Import transcripts (.docx .md .txt .vtt .srt) or REFI-QDA."),
    "inspect": ("inspect:inspect", "Show the detected layout and speakers; writes nothing."),
    "documents": ("ingest:documents", "List imported documents and their attributes."),
    "show": ("ingest:show", "Print a transcript with segment numbers."),
    "pseudonymise": ("pseudonymise:pseudonymise", "Replace names and numbers by tags; key kept apart."),
    "depseudonymise": ("pseudonymise:depseudonymise", "Copy the project with the originals back (needs the key)."),
    "forget": ("privacy:forget", "Erase a document for good, audit log included."),
    # coding (issue 4)
    "code": ("tui:code", "Code from the keyboard in the terminal."),
    "tag": ("coding:tag", "Apply codes to segment DOC:N."),
    "untag": ("coding:untag", "Remove codes from segment DOC:N."),
    "review": ("coding:review", "Mark segment DOC:N reviewed with no code."),
    "apply": ("coding:apply_codings", "Apply codings from a CSV, all or nothing."),
    "codings": ("coding:codings", "Export codings as CSV or JSON (apply's columns)."),
    "segments": ("retrieval:segments", "Find segments by code, coder, attribute, text."),
    "quotes": ("retrieval:quotes", "Write coded segments as quotes to Word or CSV."),
    "codes": ("codes:codes", "Add, rename, move, merge or delete codes."),
    "memo": ("memo:memo", "Write and read memos."),
    "log": ("coding:log", "Show the audit log of every change."),
    # suggestions (issue 5)
    "suggest": ("suggest:suggest", "Suggest codes for segments, with reasons."),
    "autocode": ("suggest:autocode", "Code everything under a model coder."),
    "evaluate": ("suggest:evaluate", "Measure suggestion quality (grouped CV)."),
    # agreement (issue 6)
    "agreement": ("agreement:agreement", "Krippendorff's alpha, kappa, AC1 per code."),
    "disagreements": ("agreement:disagreements", "Segments where coders differ."),
    "consensus": ("agreement:consensus", "Write a consensus coder by a rule."),
    "adjudicate": ("agreement:adjudicate", "Settle disagreements in the terminal."),
    "merge": ("agreement:merge", "Merge the coding of another copy of the project."),
    # matrices (issue 7)
    "matrix": ("matrices:matrix", "Respondent x code matrix; .csv .xlsx .sav .dta .parquet."),
    "cooccurrence": ("matrices:cooccurrence", "Code x code co-occurrence matrix."),
    "framework": ("matrices:framework", "Framework matrix of quotes per respondent and theme."),
    # the survey (issue 16)
    "join": ("survey:join", "Add the theme matrix to a survey file by respondent key."),
    "joint-display": ("survey:joint_display", "Themes x survey groups with prevalence and quotes."),
    # the methods report (issue 20)
    "report": ("report:report", "Write the methods report (.html or .docx) with figures."),
    # REFI-QDA (issue 8)
    "export": ("interop:export", "Export the codebook (.qdc) or project (.qdpx)."),
    # the shell
    "completion": ("complete:completion", "Print the shell completion script (bash, zsh, fish)."),
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

    def __init__(self, *args, lazy: dict[str, tuple[str, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy = lazy or {}

    def list_commands(self, ctx):
        return list(self.lazy) + sorted(name for name in self.commands if name not in self.lazy)

    def get_command(self, ctx, name):
        if name in self.lazy and name not in self.commands:
            module_name, attribute = self.lazy[name][0].split(":")
            module = importlib.import_module(f"qualcode.cli.{module_name}")
            self.add_command(getattr(module, attribute), name)
        command = self.commands.get(name)
        if command is not None and COMPLETE_VAR in os.environ:
            from qualcode.cli.complete import attach  # noqa: PLC0415 - only while the shell completes

            attach(command)
        return command

    def format_commands(self, ctx, formatter):
        """List the commands from the registry's one-liners, without importing them."""
        rows = [(name, summary) for name, (_, summary) in self.lazy.items()]
        rows += [(name, self.commands[name].get_short_help_str()) for name in self.commands if name not in self.lazy]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

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
