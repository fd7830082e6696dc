"""Sub-commands of the ``sessionmon`` command line, one module each."""
