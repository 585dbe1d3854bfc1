"""Commands that open a terminal user interface: ``qualcode code``."""

import click

from qualcode.cli.common import writing_project_option
from qualcode.selection import parse_pairs

# --order names; each maps to an ordering in qualcode.worklist.ORDERS, or one built here.
ORDER_CHOICES = ("document", "uncoded", "uncertain")


@click.command()
@click.argument("documents", nargs=-1, metavar="[DOC|DOC:N]...")
@click.option("--coder", metavar="NAME", help="Who is coding (default: $QUALCODE_CODER, else the project's coder, else asked once).")
@click.option("--attr", "attributes", multiple=True, metavar="KEY=VALUE", help="Only documents with this attribute value (repeatable).")
@click.option("--order", type=click.Choice(ORDER_CHOICES), default="document", show_default=True,
              help="document: in document order; uncoded: segments you have not reviewed first; "
              "uncertain: unreviewed segments the suggester is least sure about first (active learning).")
@click.option("--show-others", is_flag=True, help="Also show other coders' codes, read-only (coding is blind by default).")
@writing_project_option(coder=False)
def code(project, documents, coder, attributes, order, show_others):
    """Code segments from the keyboard, one at a time, in the terminal (DOC... or DOC:N... narrow
    the selection). Every key press is saved at once (no save step); ctrl+z undoes, ? shows all
    keys.

    \b
    Example:
        qualcode code km-maasdelta-01 --coder anna
        qualcode code --attr role=klantmanager --order uncoded
        qualcode code --order uncertain
    """
    from qualcode.errors import BadInput  # noqa: PLC0415 - keeps --help fast
    from qualcode.tui.coder import CoderApp  # noqa: PLC0415 - textual loads only when the coder opens
    from qualcode.worklist import ORDERS  # noqa: PLC0415 - SQLAlchemy loads only when a project is used

    items = project.worklist(list(documents) or None, attributes=parse_pairs(attributes))
    if not items:
        raise BadInput("no segments to code in this selection: import transcripts first ('qualcode import'), or widen DOC/--attr")
    # Blind unless --show-others: the coder's name may be asked only once the app is open.
    suggester = project.suggester(None if show_others else lambda: project.coder(coder))
    if order == "uncertain":
        click.echo("training the suggester on your coding to find the uncertain segments ...", err=True)
    arrange = suggester.arrange if order == "uncertain" else ORDERS[order]
    CoderApp(
        project, items, coder=project.coder(coder), show_others=show_others, order=arrange,
        suggest=suggester.suggest_when_ready, retrain=suggester.retrain,
    ).run()
