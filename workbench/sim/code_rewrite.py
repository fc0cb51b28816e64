"""The user's code, rewritten before it runs, where CPython and MicroPython would show different things.

Two places in a program see an exception object or its raising directly, and there the
simulated board must behave as a board does:

* ``except ... as e:``: the handler sees CPython's exception, with CPython's message in
  ``e.args``. A call to ``__wb_caught__(e)`` (``micro_errors.translate``) is put at the start
  of the handler: it rewrites the message to MicroPython's in place, so ``print(e)``,
  ``e.args`` and ``str(e)`` match what the handler sees on a board.
* ``raise X from Y``: MicroPython has no exception chaining; ports built with warnings
  (``MICROPY_WARNINGS``) print ``Warning: exception chaining not supported`` when the
  statement runs (``py/vm.c``, ``MP_BC_RAISE_FROM``), and ``from None`` compiles to a plain
  raise. The cause becomes ``__wb_chained__(X, Y)``, which prints that line and returns ``X``.

Line numbers are unchanged: the added calls carry the location of the statement they sit in.
The child parses only code whose text contains ``except`` or ``from`` into a tree.

Loaded by path into the child process (it imports ``ast``, on first use).
"""

from __future__ import annotations

import ast

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import CodeType

CAUGHT = "__wb_caught__"
CHAINED = "__wb_chained__"
CHAINING_WARNING = "Warning: exception chaining not supported\n"


def compile_rewritten(source: bytes, filename: str, mode: str, *, warn_chaining: bool) -> CodeType:
    """Compile ``source`` with the rewrites; raises what ``compile()`` raises for bad code."""
    tree = ast.parse(source, filename, mode)
    tree = _Rewriter(warn_chaining).visit(tree)
    ast.fix_missing_locations(tree)
    return compile(tree, filename, mode, dont_inherit=True)


class _Rewriter(ast.NodeTransformer):
    def __init__(self, warn_chaining: bool) -> None:
        self.warn_chaining = warn_chaining

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> ast.ExceptHandler:
        self.generic_visit(node)
        if node.name:
            call = ast.Expr(ast.Call(ast.Name(CAUGHT, ast.Load()), [ast.Name(node.name, ast.Load())], []))
            node.body.insert(0, _located(call, node))
        return node

    def visit_Raise(self, node: ast.Raise) -> ast.Raise:
        self.generic_visit(node)
        if node.cause is None or node.exc is None or not self.warn_chaining:
            return node
        if isinstance(node.cause, ast.Constant) and node.cause.value is None:
            return node
        node.exc = _located(ast.Call(ast.Name(CHAINED, ast.Load()), [node.exc, node.cause], []), node.exc)
        node.cause = None
        return node


def _located(new: ast.AST, old: ast.AST) -> ast.AST:
    """``new`` and the nodes made with it at ``old``'s place in the source (the user's nodes keep theirs)."""
    for child in ast.walk(new):
        if getattr(child, "lineno", None) is None and "lineno" in child._attributes:
            ast.copy_location(child, old)
    return new
