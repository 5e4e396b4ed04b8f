"""The exceptions of every user-facing failure, and which exit code each kind of mistake gets.

The CLI catches CostbasisError and prints its message as a single line with a non-zero exit code;
anything else is a bug and keeps its traceback. The HTTP API answers both with 400 (404 for an
unknown chain or endpoint).

One rule for the exit code, everywhere:
- 2 (UsageError): the command line is wrong whatever the store holds — a malformed, empty or
  out-of-range option value (`--asof 2026-13-01`, `--window 1`, `--price 1e308`), options that
  exclude or need each other (`--asof` with `--from`), an option or command the chosen chain's
  family does not take (`--token` on Bitcoin, `sopr` on an EVM chain). Click's own parse errors
  (`--window abc`, an unknown option) exit 2 as well.
- 1 (CostbasisError): the command line is well-formed but what it points at cannot answer — a
  date outside the stored chain, no such chain, no prices or labels imported, an unreadable or
  invalid input file, a damaged store, an unreachable node, a full disk.
- 130: interrupted (Ctrl-C); the store keeps what was committed.
"""


class CostbasisError(Exception):
    """A problem with the user's input or environment, reported in one line (exit 1)."""

    exit_code = 1

    def __init__(self, message: str, exit_code: int | None = None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(CostbasisError):
    """The command line itself is wrong (exit 2): see the module docstring for the rule."""

    exit_code = 2
