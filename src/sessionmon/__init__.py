"""sessionmon: monitoring console for supervised ketamine and esketamine sessions.

Not a certified medical device. See README.md.
"""

__version__ = "0.1.0"
