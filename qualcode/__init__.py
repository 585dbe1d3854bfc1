"""qualcode: code qualitative interviews in the terminal, locally, and hand the result to statistics.

The library is the product; the command line and the terminal UI are skins over it::

    >>> from qualcode import Project                      # doctest: +SKIP
    >>> project = Project.init("my-study", codebook="codebooks/professioneel-handelen.yaml")
    >>> project.status()["codes"]
"""

__version__ = "0.1.0"

__all__ = ["Project", "__version__"]


def __getattr__(name):
    # Project pulls in SQLAlchemy; importing qualcode (for the CLI's --help) must stay cheap.
    if name == "Project":
        from qualcode.project import Project

        return Project
    raise AttributeError(f"module 'qualcode' has no attribute {name!r}")
