"""The people who may label a run from the web page: a name and a secret each.

Kept in ``RUN_DIR/web/labellers.json`` as ``{name: sha256(secret) in hex}``: the file never
holds a secret, so reading it does not let anyone in. A secret is shown once, in the invite
link ``backflip serve`` prints.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from pathlib import Path

from backflip.errors import BackflipError
from backflip.storage.atomic import atomic_write_text

MAX_NAME = 40


class LabellerError(BackflipError, ValueError):
    """A labeller name that can't be used, or a labellers file that can't be read."""


def check_name(name: str) -> str:
    """``name`` stripped, if it is 1-40 printable characters; else :class:`LabellerError`."""
    stripped = name.strip()
    if not 0 < len(stripped) <= MAX_NAME or not stripped.isprintable():
        raise LabellerError(f"a labeller name is 1 to {MAX_NAME} printable characters: {name!r}")
    return stripped


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Labellers:
    """The labellers file of a run's web page; re-read on every check, so a labeller added
    by ``backflip serve --add-labeller`` while the server runs can log in at once."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def _read(self) -> dict[str, str]:
        if not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise LabellerError(f"{self.path} cannot be read ({err})") from None
        if not isinstance(data, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in data.items()
        ):
            raise LabellerError(f"{self.path} is not a labellers file")
        return data

    def names(self) -> list[str]:
        return sorted(self._read())

    def add(self, name: str) -> str:
        """Adds ``name`` (or gives them a new secret, the old one no longer works); returns
        the secret, which is not stored."""
        name = check_name(name)
        secret = secrets.token_urlsafe(24)
        data = self._read()
        data[name] = _digest(secret)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.path, json.dumps(data, indent=1, sort_keys=True) + "\n")
        return secret

    def who(self, secret: str | None) -> str | None:
        """The name whose secret ``secret`` is, or None (compared in constant time)."""
        if not secret or len(secret) > 200:
            return None
        digest = _digest(secret)
        found = None
        for name, known in self._read().items():
            if hmac.compare_digest(digest, known):
                found = name
        return found
