"""daphne as it would run on a twisted release that renamed a private attribute the alert fast path
reads (``FileDescriptor._tempDataLen``, renamed ``_tempDataSize``).

The rename is made in twisted's own code, so twisted keeps working and only the fast path's knowledge
of it is stale: exactly what a twisted upgrade can do. Usage: ``python -m
tests.alerts.renamed_twisted_daphne <daphne arguments>``.
"""

from __future__ import annotations

import sys
import types

import daphne.server  # noqa: F401  (first: it installs the asyncio reactor twisted must use)
from twisted.internet import abstract

OLD, NEW = "_tempDataLen", "_tempDataSize"


def renamed(code: types.CodeType) -> types.CodeType:
    consts = tuple(renamed(c) if isinstance(c, types.CodeType) else c for c in code.co_consts)
    names = tuple(NEW if name == OLD else name for name in code.co_names)
    return code.replace(co_names=names, co_consts=consts)


def rename_in(cls: type) -> dict[types.FunctionType, types.CodeType]:
    """Rename ``OLD`` in every function defined on ``cls``; returns their original code (to undo)."""
    originals = {}
    for value in vars(cls).values():
        if isinstance(value, types.FunctionType) and OLD in value.__code__.co_names:
            originals[value] = value.__code__
            value.__code__ = renamed(value.__code__)
    return originals


def undo(originals: dict[types.FunctionType, types.CodeType]) -> None:
    for function, code in originals.items():
        function.__code__ = code


if __name__ == "__main__":
    assert len(rename_in(abstract.FileDescriptor)) >= 3  # __init__, write, doWrite, ...
    from daphne.cli import CommandLineInterface

    sys.argv[0] = "daphne"
    CommandLineInterface.entrypoint()
