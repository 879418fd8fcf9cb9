"""Fake providers for tests, benchmarks and the offline demo.

``script`` holds the shared scripting and counting rules; ``inproc`` is the
in-process scripted provider; the loopback servers that speak each vendor's
real wire protocol live beside them.
"""
