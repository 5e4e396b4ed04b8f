"""One exception type for every user-facing failure.

The CLI catches CostbasisError and prints its message as a single line with a
non-zero exit code; anything else is a bug and keeps its traceback.
"""


class CostbasisError(Exception):
    """A problem with the user's input or environment, reported in one line."""

    exit_code = 1

    def __init__(self, message: str, exit_code: int | None = None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(CostbasisError):
    exit_code = 2
