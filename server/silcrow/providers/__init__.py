"""Wire adapters: provider-neutral messages in, text deltas and usage out.

Providers know nothing of tools, the store or the § protocol beyond the stop
sequence they are asked to honour.
"""
