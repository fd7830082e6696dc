"""Allow ``python -m sessionmon``."""

from sessionmon.cli import main

raise SystemExit(main())
