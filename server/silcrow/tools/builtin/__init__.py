"""The nine built-in tools, one module each: read, write, edit, list, find,
search, scrape, recall, shell. ``silcrow.tools.registry.default_tools`` binds
them to a workspace.
"""
