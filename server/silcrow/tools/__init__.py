"""Tools: the ``Tool``/``ToolResult`` contract, the built-ins, the ``Workspace``
port they act through (local disk here, the editor in ``silcrow.lsp``), and
the permission policy.
"""
