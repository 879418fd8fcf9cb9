"""The daemon: a pygls language server hosting one agent per workspace folder.

Nothing heavy is imported here; ``silcrow.cli`` imports the modules it needs
in the order that keeps ``initialize`` fast. See docs/protocol.md for the
editor contract.
"""
