"""Tools: the ``Tool``/``ToolResult`` contract, the built-ins, the ``Workspace``
port they act through (local disk here, the editor in ``silcrow.lsp``), and
the permission policy.

The package is also Cogency's ``tools`` registry (``silcrow.tools.catalogue``):
``tools()`` selects every built-in, ``tools.name(...)``, ``tools.category(...)``
and ``tools.get(...)`` some of them. Nothing is imported until one is called.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from silcrow.tools.catalogue import Builtin


class _Registry(types.ModuleType):
    def __call__(self) -> list[Builtin]:
        from silcrow.tools.catalogue import every

        return every()


def name(names: str | Iterable[str]) -> list[Builtin]:
    from silcrow.tools import catalogue

    return catalogue.name(names)


def category(categories: str | Iterable[str]) -> list[Builtin]:
    from silcrow.tools import catalogue

    return catalogue.category(categories)


def get(tool_name: str) -> Builtin | None:
    from silcrow.tools import catalogue

    return catalogue.get(tool_name)


sys.modules[__name__].__class__ = _Registry
