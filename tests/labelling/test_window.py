"""The clip comparison window, headless (SDL's dummy video driver)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

os.environ["SDL_VIDEODRIVER"] = "dummy"

import numpy as np  # noqa: E402
import pygame  # noqa: E402
from human_runs import ENV, make_run  # noqa: E402

from backflip.labelling.pair_source import release_orphaned_claims  # noqa: E402
from backflip.labelling.window import HEADER, PAD, LabelWindow, ReadyPair  # noqa: E402
from backflip.records import Comparison  # noqa: E402
from backflip.storage.label_store import LabelStore  # noqa: E402
from backflip.storage.run_dir import RunDir  # noqa: E402

W, H = 96, 72


def scripted(events):
    """An on_frame hook that posts the next event once a pair is on screen and the last
    event has been handled (answers move on to the next pair; u and q don't)."""
    pending = list(events)
    frames_since = [0]

    def hook(window: LabelWindow, pair: ReadyPair | None) -> None:
        frames_since[0] += 1
        if pair is not None and pending and frames_since[0] > 2 and not pygame.event.peek():
            pygame.event.post(pending.pop(0))
            frames_since[0] = 0

    return hook


def key(k: int) -> pygame.event.Event:
    return pygame.event.Event(pygame.KEYDOWN, key=k)


def window(tmp_path, events, **kwargs) -> LabelWindow:
    return LabelWindow(RunDir(tmp_path), ENV, "tester", W, H, on_frame=scripted(events), **kwargs)


def answers(store: LabelStore) -> list[float | None]:
    return [c.label for c in store.comparisons(include_skipped=True)]


def test_keys_map_to_labels_and_skip_is_not_trained_on(tmp_path) -> None:
    store, _ = make_run(tmp_path)
    events = [key(pygame.K_LEFT), key(pygame.K_RIGHT), key(pygame.K_UP), key(pygame.K_DOWN)]
    assert window(tmp_path, events, max_labels=4).run() == 4
    assert answers(store) == [1.0, 0.0, 0.5, None]
    assert [c.label for c in store.comparisons()] == [1.0, 0.0, 0.5]  # the skip is left out
    assert {c.source for c in store.comparisons(include_skipped=True)} == {"human"}


def test_mouse_clicks_choose_a_clip(tmp_path) -> None:
    store, _ = make_run(tmp_path)
    left = pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(PAD + 5, HEADER + 5), button=1)
    right = pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=(2 * PAD + W + 5, HEADER + 5), button=1)
    window(tmp_path, [right, left], max_labels=2).run()
    assert answers(store) == [0.0, 1.0]


def test_undo_removes_exactly_the_last_label(tmp_path) -> None:
    store, queries = make_run(tmp_path)
    events = [key(pygame.K_LEFT), key(pygame.K_RIGHT), key(pygame.K_u), key(pygame.K_q)]
    window(tmp_path, events).run()
    assert answers(store) == [1.0]
    assert store.query_status(queries[1]) == "pending"  # asked again later


def test_quitting_mid_clip_loses_nothing_and_frees_its_claims(tmp_path) -> None:
    store, queries = make_run(tmp_path)
    events = [key(pygame.K_LEFT), key(pygame.K_RIGHT), key(pygame.K_ESCAPE)]
    assert window(tmp_path, events).run() == 2
    assert answers(store) == [1.0, 0.0]
    assert [store.query_status(q) for q in queries[2:]] == ["pending"] * 4


def test_a_pair_answered_meanwhile_is_reported_and_the_window_moves_on(tmp_path, capsys) -> None:
    store, queries = make_run(tmp_path, n_queries=3)
    footers: list[str] = []
    taken: list[int] = []

    def hook(win: LabelWindow, pair: ReadyPair | None) -> None:
        if pair is not None and not taken:
            # The person was away longer than a claim lasts: another window took the pair
            # and answered it.
            assert store.claim_query("other", stale_after_s=0.0) == (
                pair.query_id,
                pair.left_id,
                pair.right_id,
            )
            other = Comparison(pair.left_id, pair.right_id, 0.5, "human", "other")
            store.answer(pair.query_id, other)
            taken.append(pair.query_id)
        footers.append(win.message)
        post(win, pair)

    post = scripted([key(pygame.K_LEFT), key(pygame.K_RIGHT)])
    win = LabelWindow(RunDir(tmp_path), ENV, "tester", W, H, on_frame=hook, max_labels=1)
    assert win.run() == 1  # the pair answered meanwhile is not counted
    labels = [(c.label, c.labeller) for c in store.comparisons(include_skipped=True)]
    assert labels == [(0.5, "other"), (0.0, "tester")]  # the first answer stands
    assert any("answered meanwhile by other" in footer for footer in footers)
    printed = capsys.readouterr().out
    assert f"pair {queries[0]} was answered meanwhile by other" in printed


def test_orphaned_claims_are_released_whatever_the_labeller_is_called(tmp_path) -> None:
    store, queries = make_run(tmp_path, n_queries=5)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    host = socket.gethostname()
    for name in ("ann", "ann#2", "#", "a##b#"):
        store.claim_query(f"{name}#{host}#{gone.pid}")  # windows killed with kill -9
    live = f"bob#1#{host}#{os.getpid()}"
    store.claim_query(live)
    assert release_orphaned_claims(store) == 4
    assert store.claims() == {queries[4]: live}


def screenshot(tmp_path, name: str, **kwargs) -> np.ndarray:
    """``(rows, cols, 3)`` pixels of the window once the first pair is on screen."""
    shot = tmp_path / f"{name}.png"
    window(tmp_path, [key(pygame.K_LEFT), key(pygame.K_q)], screenshot=shot, **kwargs).run()
    return pygame.surfarray.array3d(pygame.image.load(str(shot))).swapaxes(0, 1)


def test_screenshot_shows_both_clips_under_the_question(tmp_path) -> None:
    make_run(tmp_path, n_queries=4)
    image = screenshot(tmp_path, "asked", question="Which clip is the better backflip?")
    for side in (0, 1):
        x = PAD + side * (W + PAD)
        panel = image[HEADER : HEADER + H, x : x + W]
        assert panel.std() > 10, "a clip panel is blank"
    unasked = screenshot(tmp_path, "unasked", question="")
    question_line = (slice(4, 28), slice(0, 2 * W))
    assert image[question_line].max() > 200  # white text
    assert unasked[question_line].max() < 100  # the background alone


def test_the_clips_scale_with_a_resized_window(tmp_path) -> None:
    store, _ = make_run(tmp_path)
    bigger = (2 * (2 * W + 3 * PAD), HEADER + 2 * H + 44)
    resize = pygame.event.Event(pygame.VIDEORESIZE, w=bigger[0], h=bigger[1], size=bigger)
    # The middle of the right clip once it is twice as large: outside the first window.
    click = (2 * PAD + 2 * W + W, HEADER + H)
    right = pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=click, button=1)
    sizes: list[tuple[int, int]] = []

    def hook(win: LabelWindow, pair: ReadyPair | None) -> None:
        sizes.append(win.panel_size())
        post(win, pair)
        if len(sizes) == 300:  # 10 s: the click missed, give up rather than hang
            pygame.event.post(key(pygame.K_q))

    post = scripted([resize, right])
    LabelWindow(RunDir(tmp_path), ENV, "tester", W, H, on_frame=hook, max_labels=1).run()
    assert answers(store) == [0.0]
    assert sizes[0] == (W, H) and sizes[-1] == (2 * W, 2 * H)


def test_two_windows_at_once_get_disjoint_queries(tmp_path) -> None:
    store, _ = make_run(tmp_path, n_queries=8)
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "MUJOCO_GL": "egl"}

    def label_window(name: str) -> subprocess.Popen[str]:
        command = [sys.executable, "-m", "backflip.cli", "label", str(tmp_path)]
        command += ["--labeller", name, "--synthetic-human", "--max-labels", "4"]
        command += ["--width", str(W), "--height", str(H)]
        return subprocess.Popen(command, env=env, text=True, stderr=subprocess.PIPE)

    windows = [label_window("ann"), label_window("bob")]
    for proc in windows:
        assert proc.wait(timeout=120) == 0, proc.stderr.read() if proc.stderr else ""
    rows = store.comparisons(include_skipped=True)
    assert len(rows) == 8
    assert len({(c.left_id, c.right_id) for c in rows}) == 8  # no query answered twice
    assert sorted(c.labeller for c in rows) == ["ann"] * 4 + ["bob"] * 4
    assert store.pending_count() == 0


def test_a_killed_window_loses_no_answer_and_a_reopened_one_carries_on(tmp_path) -> None:
    store, queries = make_run(tmp_path, n_queries=8)
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "MUJOCO_GL": "egl"}
    command = [sys.executable, "-m", "backflip.cli", "label", str(tmp_path), "--synthetic-human"]
    command += ["--width", str(W), "--height", str(H)]
    proc = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while store.n_answered() < 3 and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = store.comparisons(include_skipped=True)
    assert len(before) >= 3
    assert store.claims(), "the killed window held claims"
    store.set_trainer_status(state="finished")  # the synthetic human then quits when done
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    after = store.comparisons(include_skipped=True)
    assert after[: len(before)] == before  # nothing lost
    assert len(after) == len(queries) and store.pending_count() == 0  # claims handed back
