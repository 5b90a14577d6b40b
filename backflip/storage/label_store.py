"""The run's store of clips and comparisons: SQLite (WAL) plus one ``.npz`` per clip.

A trainer process and one or more labelling windows may open the same run directory at
once. Every write is its own transaction, committed before the call returns, so a crash
(even ``SIGKILL``) loses nothing that a call already returned from. Clip files are written
whole (``backflip/storage/atomic.py``) before their row is committed, so a committed row
always points at a whole file. Nothing here uses pickle. The trainer tells windows how it
is doing through a typed :class:`TrainerStatus`.

A store records the id of the run it belongs to when it is made, and opens for that run
only: another run's ``labels.sqlite`` copied in would name clip files that hold other
clips, and its new clips would overwrite the run's own.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Literal
from urllib.parse import quote

from backflip.errors import BackflipError, ResumableError
from backflip.records import Comparison, Segment
from backflip.storage.clip_files import load_clips, save_clips

SCHEMA_VERSION = 2
BUSY_TIMEOUT_MS = 10_000

TrainerState = Literal["starting", "waiting for labels", "training", "finished"]


class LabelStoreError(BackflipError, ValueError):
    """A label store that cannot be opened or used as asked."""


class LabelStoreFullError(LabelStoreError, ResumableError):
    """The disk filled while writing: every answer committed before is kept."""


class AnsweredMeanwhile(LabelStoreError):
    """An answer to a query that has an answer already: another window claimed it after
    this one's claim went stale, and answered first."""

    def __init__(self, query_id: int, labeller: str) -> None:
        super().__init__(f"query {query_id} is already answered (by {labeller})")
        self.query_id, self.labeller = query_id, labeller


class ClaimLost(LabelStoreError):
    """An answer for a query its giver no longer holds (the claim went to another)."""


@dataclasses.dataclass(frozen=True)
class TrainerStatus:
    """What the trainer of a run tells the labelling windows, through the store."""

    state: TrainerState | None = None
    """None before a trainer has opened the store."""
    budget: int | None = None
    """labels the run will ask in all."""
    env_steps: int = 0
    """env steps the agent has taken."""
    reward_updated_step: int | None = None
    """env step of the last reward-model update."""


_SCHEMA = """
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE segments (
    id INTEGER PRIMARY KEY,
    env_id TEXT NOT NULL,
    seed INTEGER NOT NULL,
    episode INTEGER NOT NULL,
    start_step INTEGER NOT NULL,
    length INTEGER NOT NULL,
    path TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE queries (
    id INTEGER PRIMARY KEY,
    left_id INTEGER NOT NULL REFERENCES segments(id),
    right_id INTEGER NOT NULL REFERENCES segments(id),
    created_at REAL NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'claimed', 'answered')),
    claimed_by TEXT,
    claimed_at REAL,
    label REAL CHECK (label IS NULL OR label IN (0.0, 0.5, 1.0)),
    skipped INTEGER CHECK (skipped IS NULL OR skipped IN (0, 1)),
    source TEXT CHECK (source IS NULL OR source IN ('synthetic', 'human')),
    labeller TEXT,
    answered_at REAL,
    CHECK (left_id != right_id),
    CHECK ((status = 'answered') = (answered_at IS NOT NULL))
);
CREATE INDEX queries_status ON queries(status, id);
"""


class LabelStore:
    """Clips and comparisons of one run, shared safely between processes.

    Args:
        db_path: the SQLite file (a run's ``labels.sqlite``; see ``RunDir.label_store``).
        clip_dir: the folder of the clip files.
        cache_size: how many loaded clips to keep in memory (least recently used go).
        run_id: the id of the run the store belongs to (``config.json``'s ``run_id``). A
            new store records it; an existing one opens only if it recorded the same id.
            None is an id too: that of a run made before runs had ids (its store recorded
            none, and opens as it always did) or of a store outside any run. A store
            without an id is never given one later, so one copied into a run that has an
            id is refused like any other run's.
        read_only: open an existing store to read, never to write (a finished run on a
            read-only filesystem); writes raise ``LabelStoreError``.

    Raises:
        LabelStoreError: ``db_path`` is not a SQLite database, not one of this schema
            version, belongs to another run, or cannot be written (a read-only filesystem)
            though ``read_only`` is False.
    """

    def __init__(
        self,
        db_path: Path,
        clip_dir: Path,
        cache_size: int = 2048,
        run_id: str | None = None,
        read_only: bool = False,
    ) -> None:
        self.db_path = Path(db_path)
        self.clip_dir = Path(clip_dir)
        self.read_only = read_only
        self._cache: OrderedDict[int, Segment] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        problem = None if read_only else unwritable(self.db_path, self.clip_dir)
        if problem is not None:
            raise LabelStoreError(problem)
        try:
            self._conn = self._connect()
            self._setup(run_id)
        except sqlite3.DatabaseError as exc:
            self.close()
            raise LabelStoreError(self._why(exc)) from None
        except LabelStoreError:
            self.close()
            raise
        if not read_only:
            self.clip_dir.mkdir(parents=True, exist_ok=True)  # only for a store that opened

    # -- connection -------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        """Autocommit mode: every transaction below is explicit (BEGIN ... COMMIT)."""
        if self.read_only and not self.db_path.is_file():
            raise LabelStoreError(f"{self.db_path} does not exist: the run has no labels")
        target = str(self.db_path)
        uri = self.read_only and unwritable(self.db_path, self.clip_dir) is not None
        if uri:  # where it can be written, a plain connection cleans up its WAL files
            target = f"file:{quote(str(self.db_path.resolve()))}?mode=ro"
            # SQLite cannot make the WAL's shared-memory file on a read-only filesystem;
            # nobody can write the file there either, so it may be read as immutable.
            wal = self.db_path.with_name(self.db_path.name + "-wal")
            if _read_only_fs(self.db_path.parent) and not wal.exists():
                target += "&immutable=1"
        return sqlite3.connect(
            target,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,
            uri=uri,
        )

    def _setup(self, run_id: str | None) -> None:
        conn = self._connection
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if self.read_only:
            self._check(run_id)
            return
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise LabelStoreError(f"{self.db_path}: could not switch to WAL mode (got {mode!r})")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        with self._write():
            if conn.execute("SELECT name FROM sqlite_master").fetchone() is None:
                self._create(conn, run_id)
            else:
                self._check(run_id)  # in the transaction: a refused store is left as it was

    def _create(self, conn: sqlite3.Connection, run_id: str | None) -> None:
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)
        meta = {"schema_version": str(SCHEMA_VERSION)}
        if run_id is not None:
            meta["run_id"] = run_id
        conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", meta.items())

    def _check(self, run_id: str | None) -> None:
        """Raises ``LabelStoreError`` unless the file is a store of this schema version
        that belongs to run ``run_id``."""
        conn = self._connection
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        meta = dict(conn.execute("SELECT key, value FROM meta")) if "meta" in tables else {}
        version = meta.get("schema_version")
        if version is None:
            raise LabelStoreError(
                f"{self.db_path} is mismatched: a SQLite file that is not a backflip label store"
            )
        if version != str(SCHEMA_VERSION):
            raise LabelStoreError(
                f"{self.db_path} is mismatched: schema version {version}, "
                f"this code reads version {SCHEMA_VERSION}"
            )
        recorded = meta.get("run_id")
        if recorded != run_id:
            theirs = f"run {recorded}" if recorded else "a run made before run ids"
            ours = f"run {run_id}" if run_id else "a run made before run ids"
            raise LabelStoreError(
                f"{self.db_path} belongs to another run ({theirs}; this is {ours}): labels "
                "cannot be moved between runs, put back this run's own labels.sqlite"
            )

    def _why(self, exc: sqlite3.DatabaseError) -> str:
        """The one line that says why SQLite could not open or set up the store."""
        if isinstance(exc, sqlite3.OperationalError):
            problem = unwritable(self.db_path, self.clip_dir)
            if problem is not None and not self.read_only:
                return problem
            if "unable to open" in str(exc):
                return f"{self.db_path} cannot be opened ({exc})"
        return f"{self.db_path} is corrupted or not a backflip label store ({exc})"

    @property
    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise LabelStoreError("the label store is closed")
        return self._conn

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (``BEGIN IMMEDIATE``) and committed on exit."""
        with self._lock:
            conn = self._connection
            if self.read_only:
                raise LabelStoreError(f"{self.db_path} was opened read-only: it cannot be written")
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except sqlite3.OperationalError as err:
                with contextlib.suppress(sqlite3.OperationalError):  # SQLite may have already
                    conn.execute("ROLLBACK")
                if "full" in str(err):  # SQLITE_FULL: "database or disk is full"
                    raise LabelStoreFullError(
                        f"no space left on device while writing {self.db_path}: free space "
                        "and run the same command with --resume (every answer so far is kept)"
                    ) from None
                raise
            except BaseException:
                with contextlib.suppress(sqlite3.OperationalError):
                    conn.execute("ROLLBACK")
                raise

    def close(self) -> None:
        """Closes the database; later calls raise ``LabelStoreError``. Safe to call twice."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            self._cache.clear()

    def __enter__(self) -> LabelStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _query(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple]:
        with self._lock:
            return self._connection.execute(sql, params).fetchall()

    # -- segments ---------------------------------------------------------------------

    def add_segment(self, seg: Segment) -> int:
        """Stores a clip (``{clip_dir}/{id:08d}.npz`` plus a row) and returns its id."""
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO segments (env_id, seed, episode, start_step, length, path, "
                "created_at) VALUES (?, ?, ?, ?, ?, '', ?)",
                (
                    str(seg.env_id),
                    int(seg.seed),
                    int(seg.episode),
                    int(seg.start_step),
                    len(seg),
                    time.time(),
                ),
            )
            seg_id = cur.lastrowid
            assert seg_id is not None
            name = f"{seg_id:08d}.npz"
            conn.execute("UPDATE segments SET path = ? WHERE id = ?", (name, seg_id))
            # The file is whole and on disk before the row that names it is committed.
            save_clips(self.clip_dir / name, [seg])
        self._remember(seg_id, seg)
        return seg_id

    def load_segment(self, seg_id: int) -> Segment:
        """The clip with id ``seg_id`` (cached). Raises ``KeyError`` for an unknown id."""
        seg_id = int(seg_id)
        with self._lock:
            if seg_id in self._cache:
                self._cache.move_to_end(seg_id)
                return self._cache[seg_id]
        rows = self._query("SELECT path FROM segments WHERE id = ?", (seg_id,))
        if not rows:
            raise KeyError(f"no segment with id {seg_id}")
        (seg,) = load_clips(self.clip_dir / rows[0][0])
        self._remember(seg_id, seg)
        return seg

    def segment_ids(self) -> list[int]:
        """Ids of all stored clips, ascending."""
        return [r[0] for r in self._query("SELECT id FROM segments ORDER BY id")]

    def _remember(self, seg_id: int, seg: Segment) -> None:
        with self._lock:
            self._cache[seg_id] = seg
            self._cache.move_to_end(seg_id)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    # -- queries ----------------------------------------------------------------------

    def add_query(self, left_id: int, right_id: int) -> int:
        """Asks for a comparison of two stored clips (status ``pending``); returns its id."""
        with self._write() as conn:
            self._check_segments(conn, left_id, right_id)
            cur = conn.execute(
                "INSERT INTO queries (left_id, right_id, created_at) VALUES (?, ?, ?)",
                (int(left_id), int(right_id), time.time()),
            )
            assert cur.lastrowid is not None
            return cur.lastrowid

    def claim_query(
        self, labeller: str, stale_after_s: float = 300.0
    ) -> tuple[int, int, int] | None:
        """Claims the oldest open query for ``labeller``; ``(query_id, left_id, right_id)``.

        Open means pending, or claimed at least ``stale_after_s`` seconds ago (its labeller
        is presumed gone). The claim is atomic: two callers never get the same query.
        Returns ``None`` when nothing is open.
        """
        now = time.time()
        with self._write() as conn:
            row = conn.execute(
                "SELECT id, left_id, right_id FROM queries WHERE status = 'pending' "
                "OR (status = 'claimed' AND claimed_at <= ?) ORDER BY id LIMIT 1",
                (now - stale_after_s,),
            ).fetchone()
            if row is None:
                return None
            conn.execute(
                "UPDATE queries SET status = 'claimed', claimed_by = ?, claimed_at = ? "
                "WHERE id = ?",
                (str(labeller), now, row[0]),
            )
            return int(row[0]), int(row[1]), int(row[2])

    def touch_claim(self, query_id: int, claimant: str) -> bool:
        """Renews ``claimant``'s claim of ``query_id`` (someone is still looking at it, so
        it does not go stale); False if they no longer hold it."""
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE queries SET claimed_at = ? WHERE id = ? AND status = 'claimed' "
                "AND claimed_by = ?",
                (time.time(), int(query_id), str(claimant)),
            )
            return cur.rowcount == 1

    def release(self, query_id: int, claimant: str | None = None) -> None:
        """Returns a claimed, unanswered query to ``pending`` (a window closing early); with
        ``claimant``, only while it holds the claim (not once another took a stale one)."""
        query_id = int(query_id)
        mine = "" if claimant is None else " AND claimed_by = ?"
        params = (query_id,) if claimant is None else (query_id, str(claimant))
        with self._write() as conn:
            conn.execute(
                "UPDATE queries SET status = 'pending', claimed_by = NULL, claimed_at = NULL "
                f"WHERE id = ? AND status = 'claimed'{mine}",
                params,
            )

    def answer(self, query_id: int, comparison: Comparison, claimant: str | None = None) -> None:
        """Stores the answer to a pending or claimed query, committed at once.

        ``comparison`` must name the query's two clips, in either order (a swapped one is
        stored with its label flipped). The first answer stands: a window whose stale claim
        another took may still answer first. Raises ``KeyError`` for an unknown query,
        ``ValueError`` for other clips and :class:`AnsweredMeanwhile` for a query already
        answered. With ``claimant``, only while it holds the claim (:class:`ClaimLost`
        otherwise): the web page's labellers answer only what they were handed.
        """
        query_id = int(query_id)
        with self._write() as conn:
            row = conn.execute(
                "SELECT left_id, right_id, status, labeller, claimed_by FROM queries WHERE id = ?",
                (query_id,),
            ).fetchone()
            if row is None:
                raise KeyError(f"no query with id {query_id}")
            left_id, right_id, status, answered_by, holder = row
            label = comparison.label
            if (comparison.left_id, comparison.right_id) == (right_id, left_id):
                label = None if label is None else 1.0 - float(label)
            elif (comparison.left_id, comparison.right_id) != (left_id, right_id):
                raise ValueError(
                    f"query {query_id} compares clips {left_id} and {right_id}, "
                    f"not {comparison.left_id} and {comparison.right_id}"
                )
            if status == "answered":
                raise AnsweredMeanwhile(query_id, str(answered_by))
            if claimant is not None and (status != "claimed" or holder != claimant):
                raise ClaimLost(f"query {query_id} is not held by {claimant}")
            conn.execute(
                "UPDATE queries SET status = 'answered', label = ?, skipped = ?, source = ?, "
                "labeller = ?, answered_at = ? WHERE id = ?",
                (
                    None if label is None else float(label),
                    int(comparison.skipped),
                    comparison.source,
                    str(comparison.labeller),
                    float(comparison.answered_at),
                    query_id,
                ),
            )

    def undo(self, query_id: int, labeller: str | None = None) -> None:
        """Returns an answered query to ``pending`` and forgets its answer; with
        ``labeller``, only an answer of theirs.

        Raises ``KeyError`` for an unknown query, ``ValueError`` if it is not answered (by
        ``labeller``).
        """
        query_id = int(query_id)
        with self._write() as conn:
            row = conn.execute(
                "SELECT status, labeller FROM queries WHERE id = ?", (query_id,)
            ).fetchone()
            if row is None:
                raise KeyError(f"no query with id {query_id}")
            if row[0] != "answered":
                raise ValueError(f"query {query_id} is {row[0]}, not answered")
            if labeller is not None and row[1] != labeller:
                raise ValueError(f"query {query_id} was answered by {row[1]}, not {labeller}")
            conn.execute(
                "UPDATE queries SET status = 'pending', claimed_by = NULL, claimed_at = NULL, "
                "label = NULL, skipped = NULL, source = NULL, labeller = NULL, "
                "answered_at = NULL WHERE id = ?",
                (query_id,),
            )

    def query_clips(self, query_id: int) -> tuple[int, int]:
        """``(left_id, right_id)`` of a query; ``KeyError`` for an unknown id."""
        rows = self._query("SELECT left_id, right_id FROM queries WHERE id = ?", (int(query_id),))
        if not rows:
            raise KeyError(f"no query with id {query_id}")
        return int(rows[0][0]), int(rows[0][1])

    def pending_clips(self, limit: int) -> list[int]:
        """The clip ids of the ``limit`` oldest pending queries, in the order they will be
        handed out (what to render ahead)."""
        rows = self._query(
            "SELECT left_id, right_id FROM queries WHERE status = 'pending' ORDER BY id LIMIT ?",
            (int(limit),),
        )
        return [int(seg_id) for pair in rows for seg_id in pair]

    def query_status(self, query_id: int) -> str:
        """``'pending'``, ``'claimed'`` or ``'answered'``; ``KeyError`` for an unknown id."""
        query_id = int(query_id)
        rows = self._query("SELECT status FROM queries WHERE id = ?", (query_id,))
        if not rows:
            raise KeyError(f"no query with id {query_id}")
        return str(rows[0][0])

    def claims(self) -> dict[int, str]:
        """``{query_id: claimed_by}`` of every claimed, unanswered query."""
        rows = self._query("SELECT id, claimed_by FROM queries WHERE status = 'claimed'")
        return {int(query_id): str(owner) for query_id, owner in rows}

    def pending_count(self, include_claimed: bool = True) -> int:
        """How many queries await an answer (by default counting claimed ones too)."""
        statuses = "('pending', 'claimed')" if include_claimed else "('pending')"
        return int(self._query(f"SELECT COUNT(*) FROM queries WHERE status IN {statuses}")[0][0])

    # -- comparisons ------------------------------------------------------------------

    def add_comparison(self, c: Comparison) -> int:
        """Stores an already-answered query (the synthetic oracle's path); returns its id."""
        with self._write() as conn:
            self._check_segments(conn, c.left_id, c.right_id)
            cur = conn.execute(
                "INSERT INTO queries (left_id, right_id, created_at, status, label, skipped, "
                "source, labeller, answered_at) VALUES (?, ?, ?, 'answered', ?, ?, ?, ?, ?)",
                (
                    int(c.left_id),
                    int(c.right_id),
                    time.time(),
                    None if c.label is None else float(c.label),
                    int(c.skipped),
                    c.source,
                    str(c.labeller),
                    float(c.answered_at),
                ),
            )
            assert cur.lastrowid is not None
            return cur.lastrowid

    def comparisons(self, include_skipped: bool = False) -> list[Comparison]:
        """Answered comparisons in id order; skipped ones only if ``include_skipped``."""
        where = "status = 'answered'" + ("" if include_skipped else " AND skipped = 0")
        rows = self._query(
            "SELECT left_id, right_id, label, source, labeller, answered_at FROM queries "
            f"WHERE {where} ORDER BY id"
        )
        return [
            Comparison(
                left_id=int(left),
                right_id=int(right),
                label=None if label is None else float(label),
                source=source,
                labeller=labeller,
                answered_at=float(answered_at),
            )
            for left, right, label, source, labeller, answered_at in rows
        ]

    def n_answered(self, include_skipped: bool = True) -> int:
        """How many queries are answered (optionally not counting skipped ones)."""
        where = "status = 'answered'" + ("" if include_skipped else " AND skipped = 0")
        return int(self._query(f"SELECT COUNT(*) FROM queries WHERE {where}")[0][0])

    def answer_counts(self) -> dict[str, int]:
        """``{labeller: answers}`` of every answered query, skips included."""
        rows = self._query(
            "SELECT labeller, COUNT(*) FROM queries WHERE status = 'answered' GROUP BY labeller"
        )
        return {str(labeller): int(n) for labeller, n in rows}

    def asked_pairs(self) -> set[frozenset[int]]:
        """Every pair ever asked, in any status, so that no pair is asked twice."""
        rows = self._query("SELECT left_id, right_id FROM queries")
        return {frozenset((int(a), int(b))) for a, b in rows}

    # -- the trainer's status ---------------------------------------------------------

    def set_trainer_status(
        self,
        state: TrainerState | None = None,
        budget: int | None = None,
        env_steps: int | None = None,
        reward_updated_step: int | None = None,
    ) -> None:
        """Updates the given parts of the trainer's status (the others stay)."""
        given = {
            "state": state,
            "budget": budget,
            "env_steps": env_steps,
            "reward_updated_step": reward_updated_step,
        }
        with self._write() as conn:
            for key, value in given.items():
                if value is not None:
                    conn.execute(
                        "INSERT INTO meta (key, value) VALUES (?, ?) "
                        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                        (key, str(value)),
                    )

    def trainer_status(self) -> TrainerStatus:
        """The trainer's status as last set (defaults before it has set any)."""
        meta = dict(self._query("SELECT key, value FROM meta"))

        def number(key: str) -> int | None:
            return int(meta[key]) if key in meta else None

        return TrainerStatus(
            state=meta.get("state"),
            budget=number("budget"),
            env_steps=number("env_steps") or 0,
            reward_updated_step=number("reward_updated_step"),
        )

    # -- helpers ----------------------------------------------------------------------

    @staticmethod
    def _check_segments(conn: sqlite3.Connection, left_id: int, right_id: int) -> None:
        if left_id == right_id:
            raise ValueError("a query needs two different clips")
        for seg_id in (int(left_id), int(right_id)):
            if conn.execute("SELECT 1 FROM segments WHERE id = ?", (seg_id,)).fetchone() is None:
                raise KeyError(f"no segment with id {seg_id}")


def unwritable(db_path: Path, clip_dir: Path) -> str | None:
    """Why a store at ``db_path`` with clips in ``clip_dir`` cannot be written (a
    read-only filesystem, a file or folder without write permission), or None."""
    folder = db_path.parent
    if not folder.is_dir():
        return None  # SQLite says why it cannot open the file
    if _read_only_fs(folder):
        return f"{folder} is on a read-only filesystem: its {db_path.name} cannot be written"
    for path in (folder, db_path, clip_dir):
        if path.exists() and not os.access(path, os.W_OK):
            return f"{path} is not writable: the label store cannot be written"
    return None


def _read_only_fs(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False
