"""The one exception type users see: a single line that says what is wrong and what to do."""


class HyteError(Exception):
    """An error caused by input or configuration, reported as one clear line (no traceback)."""
