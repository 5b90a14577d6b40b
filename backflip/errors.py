"""The base of every error a user can act on.

Each layer raises its own subclass (``ConfigError``, ``EnvError``, ``RunDirError``,
``LabelStoreError``, ``RenderError``, ``WindowError``, ``UsageError``); only
``backflip/cli.py`` turns them into one line on stderr and exit status 2. Any other
exception is a bug and keeps its traceback.
"""


class BackflipError(Exception):
    """Bad input or a run directory that cannot be used as asked: one line for the user."""


class UsageError(BackflipError):
    """A command was given input it cannot use (a flag value, a run that cannot be read)."""


class ResumableError(BackflipError):
    """A failure after which the run is whole and the same command with ``--resume``
    continues it (a full disk while writing): nothing of the run may be removed."""
