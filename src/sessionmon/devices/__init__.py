"""Device layer: serial transports, pure protocol parsers, device objects with connection state.

No Qt here: readings reach the core through plain callbacks and queues.
"""
