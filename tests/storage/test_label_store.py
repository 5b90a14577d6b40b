"""LabelStore: round trips, persistence, WAL, concurrent claims, crashes, bad files."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sqlite3
import time
from pathlib import Path

import numpy as np
import pytest

from backflip.records import Comparison, Segment
from backflip.storage.label_store import (
    SCHEMA_VERSION,
    AnsweredMeanwhile,
    LabelStore,
    LabelStoreError,
    TrainerStatus,
)

OBS, ACT, NSTATE = 4, 2, 5
SPAWN = mp.get_context("spawn")


def open_store(folder: Path) -> LabelStore:
    """The store of a run directory ``folder``, laid out as ``RunDir`` lays it out."""
    return LabelStore(folder / "labels.sqlite", folder / "clips")


def make_segment(rng: np.random.Generator, length: int = 6, **meta: object) -> Segment:
    fields: dict[str, object] = {"env_id": "test", "seed": 0, "episode": 0, "start_step": 0}
    fields.update(meta)
    return Segment(
        obs=rng.normal(size=(length + 1, OBS)),
        acts=rng.normal(size=(length, ACT)),
        oracle_rewards=rng.normal(size=length),
        states=rng.normal(size=(length + 1, NSTATE)),
        **fields,  # type: ignore[arg-type]
    )


def fill(store: LabelStore, n: int, seed: int = 0) -> list[int]:
    rng = np.random.default_rng(seed)
    return [store.add_segment(make_segment(rng, episode=i)) for i in range(n)]


# -- workers for child processes (module level, so spawn can import them) ------------------


def _claim_worker(run_dir: str, ready: object, go: object, out: object) -> None:
    with open_store(Path(run_dir)) as store:
        ready.set()  # type: ignore[attr-defined]
        go.wait(30)  # type: ignore[attr-defined]
        claimed = []
        while (q := store.claim_query("child")) is not None:
            claimed.append(q[0])
            time.sleep(0.001)
    out.put(claimed)  # type: ignore[attr-defined]


def _crash_worker(run_dir: str, n: int) -> None:
    store = open_store(Path(run_dir))
    ids = fill(store, 2, seed=1)
    for i in range(n):
        store.add_comparison(Comparison(ids[0], ids[1], label=(0.0, 0.5, 1.0)[i % 3]))
    store.set_trainer_status(state="training", env_steps=1234)
    os.kill(os.getpid(), signal.SIGKILL)


# -- segments -----------------------------------------------------------------------------


def test_segment_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    seg = make_segment(rng, length=7, env_id="Hopper-v5", seed=3, episode=11, start_step=50)
    with open_store(tmp_path) as store:
        seg_id = store.add_segment(seg)
        assert (tmp_path / "clips" / f"{seg_id:08d}.npz").is_file()
        assert not list((tmp_path / "clips").glob("*.tmp"))
    with open_store(tmp_path) as store:  # fresh store: read from disk, not from the cache
        back = store.load_segment(seg_id)
        assert store.segment_ids() == [seg_id]
    for name in ("obs", "acts", "oracle_rewards", "states"):
        np.testing.assert_array_equal(getattr(back, name), getattr(seg, name))
        assert getattr(back, name).dtype == getattr(seg, name).dtype
    assert back.obs.dtype == np.float32 and back.states.dtype == np.float64
    assert (back.env_id, back.seed, back.episode, back.start_step) == ("Hopper-v5", 3, 11, 50)
    assert len(back) == 7


def test_clip_file_has_no_pickle(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        seg_id = fill(store, 1)[0]
    # The one clip format (backflip/records.py): arrays with a leading clip axis.
    with np.load(tmp_path / "clips" / f"{seg_id:08d}.npz", allow_pickle=False) as data:
        assert data["env_id"].tolist() == ["test"]
        assert data["episode"].shape == (1,) and int(data["count"]) == 1


def test_segment_ids_and_unknown_id(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        ids = fill(store, 3)
        assert store.segment_ids() == ids == sorted(set(ids))
        with pytest.raises(KeyError, match="no segment"):
            store.load_segment(max(ids) + 1)


def test_numpy_integer_ids_accepted(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        a, b = (np.int64(i) for i in fill(store, 2))
        store.add_comparison(Comparison(a, b, 1.0))  # type: ignore[arg-type]
        assert store.load_segment(a).episode == 0  # type: ignore[arg-type]
        assert store.comparisons()[0].left_id == int(a)


# -- comparisons --------------------------------------------------------------------------


def test_comparison_round_trip_and_persistence(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        a, b, c = fill(store, 3)
        made = [
            Comparison(a, b, 1.0, "synthetic", "oracle-1", 10.0),
            Comparison(b, c, 0.0, "human", "alice", 11.0),
            Comparison(a, c, 0.5, "human", "bob", 12.0),
            Comparison(c, b, None, "synthetic", "oracle-1", 13.0),
        ]
        for comp in made:
            store.add_comparison(comp)
    with open_store(tmp_path) as store:
        assert store.comparisons(include_skipped=True) == made
        assert store.comparisons() == made[:3]
        assert store.n_answered() == 4
        assert store.n_answered(include_skipped=False) == 3
        assert store.asked_pairs() == {frozenset(p) for p in [(a, b), (b, c), (a, c)]}


def test_add_comparison_rejects_unknown_segments(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        a, _ = fill(store, 2)
        with pytest.raises(KeyError):
            store.add_comparison(Comparison(a, 999, 1.0))
        with pytest.raises(KeyError):
            store.add_query(999, a)
        assert store.n_answered() == 0 and store.pending_count() == 0


def test_query_answer_flow(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        a, b, c = fill(store, 3)
        q1 = store.add_query(a, b)
        q2 = store.add_query(b, c)
        assert store.pending_count() == 2
        assert store.asked_pairs() == {frozenset((a, b)), frozenset((b, c))}
        assert store.claim_query("alice") == (q1, a, b)
        assert store.query_status(q1) == "claimed"
        assert store.pending_count() == 2
        assert store.pending_count(include_claimed=False) == 1
        store.answer(q1, Comparison(a, b, 0.0, "human", "alice", 5.0))
        assert store.query_status(q1) == "answered"
        assert store.pending_count() == 1
        assert store.comparisons() == [Comparison(a, b, 0.0, "human", "alice", 5.0)]
        with pytest.raises(ValueError, match="already answered"):
            store.answer(q1, Comparison(a, b, 1.0, "human", "alice"))
        # An answer given with the clips swapped is stored in the query's orientation.
        store.answer(q2, Comparison(c, b, 1.0, "human", "alice", 6.0))
        assert store.comparisons()[1] == Comparison(b, c, 0.0, "human", "alice", 6.0)
        with pytest.raises(ValueError, match="compares clips"):
            store.answer(store.add_query(a, c), Comparison(a, b, 1.0, "human", "alice"))
        assert store.pending_count() == 1


def test_answers_survive_reopen(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        a, b = fill(store, 2)
        q = store.add_query(a, b)
        store.answer(q, Comparison(a, b, 0.5, "human", "alice", 7.0))
    with open_store(tmp_path) as store:
        assert store.comparisons() == [Comparison(a, b, 0.5, "human", "alice", 7.0)]
        assert store.pending_count() == 0


def test_skipped_answers_excluded_by_default(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        a, b, c = fill(store, 3)
        q1, q2 = store.add_query(a, b), store.add_query(b, c)
        store.answer(q1, Comparison(a, b, None, "human", "alice"))
        store.answer(q2, Comparison(b, c, 1.0, "human", "alice"))
        assert [x.label for x in store.comparisons()] == [1.0]
        assert [x.label for x in store.comparisons(include_skipped=True)] == [None, 1.0]
        assert store.n_answered() == 2 and store.n_answered(include_skipped=False) == 1


def test_undo_returns_query_to_pending(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        a, b = fill(store, 2)
        q = store.add_query(a, b)
        assert store.claim_query("alice") is not None
        store.answer(q, Comparison(a, b, 1.0, "human", "alice"))
        assert len(store.comparisons()) == 1
        store.undo(q)
        assert store.query_status(q) == "pending"
        assert store.comparisons(include_skipped=True) == []
        assert store.n_answered() == 0
        assert store.pending_count(include_claimed=False) == 1
        with pytest.raises(ValueError, match="not answered"):
            store.undo(q)
        # It can be claimed and answered again, and the new answer is the one kept.
        assert store.claim_query("bob") == (q, a, b)
        store.answer(q, Comparison(a, b, 0.0, "human", "bob"))
        assert [(x.label, x.labeller) for x in store.comparisons()] == [(0.0, "bob")]


def test_release_returns_claim(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        a, b = fill(store, 2)
        q = store.add_query(a, b)
        assert store.claim_query("alice") == (q, a, b)
        assert store.claim_query("bob") is None
        store.release(q)
        assert store.claim_query("bob") == (q, a, b)


# -- claims -------------------------------------------------------------------------------


def test_two_stores_claim_disjoint_queries(tmp_path: Path) -> None:
    with open_store(tmp_path) as s1, open_store(tmp_path) as s2:
        ids = fill(s1, 4)
        queries = {s1.add_query(ids[i], ids[j]) for i in range(4) for j in range(i + 1, 4)}
        got1: list[int] = []
        got2: list[int] = []
        for _ in range(10):
            for store, got, name in ((s1, got1, "w1"), (s2, got2, "w2")):
                claim = store.claim_query(name)
                if claim is not None:
                    got.append(claim[0])
        assert not set(got1) & set(got2)
        assert set(got1) | set(got2) == queries
        assert len(got1) == len(got2) == 3
        assert s1.claim_query("w1") is None and s2.claim_query("w2") is None


def test_claims_across_processes_are_disjoint(tmp_path: Path) -> None:
    n_queries = 150
    with open_store(tmp_path) as store:
        ids = fill(store, 20)
        pairs = [(i, j) for i in ids for j in ids if i < j][:n_queries]
        queries = {store.add_query(i, j) for i, j in pairs}
        ready, go, out = SPAWN.Event(), SPAWN.Event(), SPAWN.Queue()
        child = SPAWN.Process(target=_claim_worker, args=(str(tmp_path), ready, go, out))
        child.start()
        try:
            assert ready.wait(60), "child never opened the store"
            go.set()
            mine = []
            while (q := store.claim_query("parent")) is not None:
                mine.append(q[0])
                time.sleep(0.001)
            theirs = out.get(timeout=60)
        finally:
            child.join(60)
            if child.is_alive():
                child.kill()
        assert child.exitcode == 0
    assert not set(mine) & set(theirs)
    assert len(mine) + len(theirs) == n_queries
    assert set(mine) | set(theirs) == queries
    assert mine and theirs, "both processes should have claimed some queries"


def test_stale_claims_are_reclaimable(tmp_path: Path) -> None:
    with open_store(tmp_path) as s1, open_store(tmp_path) as s2:
        a, b = fill(s1, 2)
        q = s1.add_query(a, b)
        assert s1.claim_query("alice") == (q, a, b)
        assert s2.claim_query("bob") is None  # fresh claim is held
        time.sleep(0.05)
        assert s2.claim_query("bob", stale_after_s=10.0) is None
        assert s2.claim_query("bob", stale_after_s=0.01) == (q, a, b)
        assert s1.claim_query("alice", stale_after_s=10.0) is None  # bob holds it now
        s2.answer(q, Comparison(a, b, 1.0, "human", "bob"))
        assert s1.claim_query("alice", stale_after_s=0.0) is None  # answered: never reclaimed


def test_a_late_answer_to_a_stale_claim_says_who_answered_first(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        a, b = fill(store, 2)
        q = store.add_query(a, b)
        assert store.claim_query("alice") == (q, a, b)
        assert store.claim_query("bob", stale_after_s=0.0) == (q, a, b)  # alice went away
        store.answer(q, Comparison(a, b, 1.0, "human", "bob"))
        with pytest.raises(AnsweredMeanwhile, match="already answered") as err:
            store.answer(q, Comparison(a, b, 0.0, "human", "alice"))
        assert (err.value.query_id, err.value.labeller) == (q, "bob")
        assert [(c.label, c.labeller) for c in store.comparisons()] == [(1.0, "bob")]


def test_release_by_a_claimant_leaves_a_claim_another_took_over(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        a, b = fill(store, 2)
        q = store.add_query(a, b)
        store.claim_query("alice")
        store.claim_query("bob", stale_after_s=0.0)
        store.release(q, "alice")  # alice's window closes: bob's claim stays
        assert store.claims() == {q: "bob"}
        store.release(q, "bob")
        assert store.query_status(q) == "pending"


# -- durability and bad files -------------------------------------------------------------


def test_wal_mode_is_on(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        fill(store, 1)
        conn = sqlite3.connect(tmp_path / "labels.sqlite")
        try:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        finally:
            conn.close()


def test_killed_writer_loses_nothing_committed(tmp_path: Path) -> None:
    n = 25
    child = SPAWN.Process(target=_crash_worker, args=(str(tmp_path), n))
    child.start()
    child.join(60)
    assert child.exitcode == -signal.SIGKILL
    with open_store(tmp_path) as store:
        assert store.n_answered() == n
        assert [c.label for c in store.comparisons()] == [(0.0, 0.5, 1.0)[i % 3] for i in range(n)]
        assert store.trainer_status().env_steps == 1234
        assert [store.load_segment(i).episode for i in store.segment_ids()] == [0, 1]


def test_corrupted_file_raises(tmp_path: Path) -> None:
    (tmp_path / "labels.sqlite").write_bytes(b"this is not a database at all " * 200)
    with pytest.raises(ValueError, match=r"labels\.sqlite is corrupted or not a backflip") as err:
        open_store(tmp_path)
    assert "\n" not in str(err.value)


def test_foreign_sqlite_file_raises(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "labels.sqlite")
    conn.execute("CREATE TABLE other (x)")
    conn.commit()
    conn.close()
    with pytest.raises(ValueError, match="mismatched"):
        open_store(tmp_path)


def test_schema_version_mismatch_raises(tmp_path: Path) -> None:
    open_store(tmp_path).close()
    conn = sqlite3.connect(tmp_path / "labels.sqlite")
    conn.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(ValueError, match=f"mismatched: schema version 999.*{SCHEMA_VERSION}"):
        open_store(tmp_path)


def test_a_store_opens_only_for_the_run_it_was_made_for(tmp_path: Path) -> None:
    db, clips = tmp_path / "labels.sqlite", tmp_path / "clips"
    LabelStore(db, clips, run_id="run-a").close()
    before = db.read_bytes()
    for other in ("run-b", None):
        with pytest.raises(LabelStoreError, match="belongs to another run") as err:
            LabelStore(db, clips, run_id=other)
        assert "\n" not in str(err.value)
    assert db.read_bytes() == before  # a refused store is left as it was
    LabelStore(db, clips, run_id="run-a").close()
    # A store made without an id (a run from before run ids) opens only without one.
    LabelStore(tmp_path / "old.sqlite", clips).close()
    LabelStore(tmp_path / "old.sqlite", clips).close()
    with pytest.raises(LabelStoreError, match="a run made before run ids; this is run run-a"):
        LabelStore(tmp_path / "old.sqlite", clips, run_id="run-a")


def test_a_read_only_store_reads_and_refuses_writes(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        a, b = fill(store, 2)
        store.add_comparison(Comparison(a, b, 1.0))
    files = sorted(p.name for p in tmp_path.iterdir())
    with LabelStore(tmp_path / "labels.sqlite", tmp_path / "clips", read_only=True) as store:
        assert [c.label for c in store.comparisons()] == [1.0]
        assert store.load_segment(a).episode == 0
        with pytest.raises(LabelStoreError, match="opened read-only"):
            store.add_comparison(Comparison(a, b, 0.0))
    assert sorted(p.name for p in tmp_path.iterdir()) == files  # no WAL files left behind
    with pytest.raises(LabelStoreError, match="does not exist"):
        LabelStore(tmp_path / "none.sqlite", tmp_path / "clips", read_only=True)
    assert not (tmp_path / "none.sqlite").exists()


# -- the trainer's status -----------------------------------------------------------------


def test_trainer_status_round_trip(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        assert store.trainer_status() == TrainerStatus()  # no trainer yet
        store.set_trainer_status(state="starting", budget=40)
        store.set_trainer_status(state="training", env_steps=100)
        store.set_trainer_status(env_steps=200, reward_updated_step=100)
    with open_store(tmp_path) as store:  # other processes read what the trainer set
        assert store.trainer_status() == TrainerStatus(
            state="training", budget=40, env_steps=200, reward_updated_step=100
        )


def test_closed_store_raises(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    store.close()
    store.close()
    with pytest.raises(ValueError, match="closed"):
        store.segment_ids()
