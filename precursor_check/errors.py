"""Error types and the process exit codes."""

from enum import IntEnum


class ExitCode(IntEnum):
    """What `precheck` exits with (documented in the README)."""

    OK = 0  # screen completed, no hit at or above --fail-on
    HIT = 1  # at least one hit at or above --fail-on
    USAGE = 2  # bad command line (Click's own)
    INCOMPLETE = 3  # some inputs unresolved/invalid and no hits, or a file could not be read


class PrecheckError(Exception):
    """An error the user can fix; the CLI prints it on one line and exits 3."""

    exit_code = ExitCode.INCOMPLETE


class WatchlistError(PrecheckError):
    """The watchlist file is unreadable or invalid; the message names the bad entry."""


class InputError(PrecheckError):
    """An input file could not be read."""


class UsageError(InputError):
    """The command line names something the input does not have (a column): exit 2, as Click's own."""

    exit_code = ExitCode.USAGE
