"""``workbench serve``: the app in browser tabs (textual-serve), behind an access token.

Imported only by that command: aiohttp and textual-serve cost nothing to the others.
"""
