"""The live plotter's model: numbers parsed from a board's printed lines, kept per board.

:mod:`~workbench.plot.parse` finds the numbers in a line; :mod:`~workbench.plot.series` keeps one
board's rolling window of them. Both are pure; the Textual pane is
``workbench/app/widgets/plot_pane.py``.
"""
