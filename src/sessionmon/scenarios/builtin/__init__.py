"""The built-in scenario files (``*.toml``); see :func:`sessionmon.scenarios.list_builtin`."""
