"""The web labelling page's server, through Flask's test client, on a real run's label
queue with clips rendered from their physics states."""

from __future__ import annotations

import concurrent.futures
import json
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from human_runs import ENV, free_port, make_run, start_server

from backflip.cli import main
from backflip.commands.args import ServeArgs
from backflip.commands.serve import invite_link
from backflip.config import TrainConfig
from backflip.records import Comparison
from backflip.storage.label_store import LabelStore
from backflip.storage.run_dir import RunDir
from backflip.web.app import MAX_BODY, claimant, create_app
from backflip.web.clip_cache import ClipCache
from backflip.web.labellers import LabellerError, Labellers, check_name


@dataclass
class Served:
    app: Flask
    store: LabelStore
    queries: list[int]
    secrets: dict[str, str]

    def client(self, who: str | None = None) -> FlaskClient:
        client = self.app.test_client()
        if who is not None:
            assert client.post("/api/login", json={"secret": self.secrets[who]}).status_code == 200
        return client


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    store, queries = make_run(tmp_path, n_queries=4)
    labellers = Labellers(tmp_path / "web" / "labellers.json")
    secrets = {name: labellers.add(name) for name in ("ada", "bob")}
    cache = ClipCache(tmp_path / "web" / "clips", store, ENV, 64, 48, fps=20, processes=2)
    yield Served(create_app(store, labellers, cache, "Which runs better?"), store, queries, secrets)
    cache.close()
    store.close()


def test_a_labeller_logs_in_sees_the_pairs_clips_and_answers(served: Served) -> None:
    ada = served.client("ada")
    pair = ada.post("/api/next", json={}).get_json()
    assert pair["query_id"] == served.queries[0] and pair["question"] == "Which runs better?"
    for seg_id in (pair["left"], pair["right"]):
        video = ada.get(f"/clips/{seg_id}.mp4")
        assert video.status_code == 200 and video.mimetype == "video/mp4"
        assert video.data[4:8] == b"ftyp"  # an MP4 a browser plays
    state = ada.post("/api/answer", json={"query_id": pair["query_id"], "choice": "left"})
    assert state.status_code == 200 and state.get_json()["yours"] == 1
    (answer,) = served.store.comparisons()
    assert (answer.label, answer.source, answer.labeller) == (1.0, "human", "ada")
    # the next pairs' clips were rendered while this one was looked at
    ahead = served.store.query_clips(served.queries[1])
    cached = Path(served.store.db_path).parent / "web" / "clips"
    deadline = time.monotonic() + 60
    while not all((cached / f"{i:08d}.mp4").exists() for i in ahead):
        assert time.monotonic() < deadline, "the next pair was not rendered ahead"
        time.sleep(0.1)
    assert (answer.left_id, answer.right_id) == (pair["left"], pair["right"])


@pytest.mark.parametrize(("choice", "label"), [("right", 0.0), ("equal", 0.5), ("skip", None)])
def test_each_choice_is_stored_as_the_window_stores_its_key(
    served: Served, choice: str, label: float | None
) -> None:
    ada = served.client("ada")
    query_id = ada.post("/api/next", json={}).get_json()["query_id"]
    assert ada.post("/api/answer", json={"query_id": query_id, "choice": choice}).status_code == 200
    (answer,) = served.store.comparisons(include_skipped=True)
    assert answer.label == label and answer.skipped == (choice == "skip")


def test_two_labellers_never_hold_the_same_pair_nor_answer_the_others(served: Served) -> None:
    ada, bob = served.client("ada"), served.client("bob")
    mine = ada.post("/api/next", json={}).get_json()
    theirs = bob.post("/api/next", json={}).get_json()
    assert mine["query_id"] != theirs["query_id"]
    assert ada.post("/api/next", json={}).get_json()["query_id"] == mine["query_id"]  # a reload
    refused = ada.post("/api/answer", json={"query_id": theirs["query_id"], "choice": "left"})
    assert refused.status_code == 409
    assert ada.get(f"/clips/{theirs['left']}.mp4").status_code == 403
    assert served.store.n_answered() == 0
    for client, pair in ((ada, mine), (bob, theirs)):
        client.post("/api/answer", json={"query_id": pair["query_id"], "choice": "equal"})
    counts = bob.get("/api/state").get_json()
    assert counts["by_labeller"] == {"ada": 1, "bob": 1} and counts["everyone"] == 2


def test_undo_takes_back_the_labellers_own_last_answer(served: Served) -> None:
    ada, bob = served.client("ada"), served.client("bob")
    for client in (ada, bob, ada):
        query_id = client.post("/api/next", json={}).get_json()["query_id"]
        client.post("/api/answer", json={"query_id": query_id, "choice": "left"})
    assert ada.post("/api/undo", json={}).get_json()["undone"] == served.queries[2]
    assert ada.post("/api/undo", json={}).get_json()["undone"] == served.queries[0]
    assert ada.post("/api/undo", json={}).status_code == 409  # bob's answer is not ada's
    assert [c.labeller for c in served.store.comparisons()] == ["bob"]
    assert served.store.query_status(served.queries[0]) == "pending"


def test_a_pair_that_waited_too_long_and_went_to_another_is_not_answered_twice(
    served: Served,
) -> None:
    ada = served.client("ada")
    query_id = ada.post("/api/next", json={}).get_json()["query_id"]
    # ada's claim went stale (over 300 s): bob's page took it over
    assert served.store.claim_query(claimant("bob"), stale_after_s=0.0)[0] == query_id
    refused = ada.post("/api/answer", json={"query_id": query_id, "choice": "left"})
    assert refused.status_code == 409 and "not yours" in refused.get_json()["error"]
    assert served.store.n_answered() == 0


def test_nothing_waiting_is_said_not_failed(served: Served) -> None:
    ada = served.client("ada")
    for _ in served.queries:
        query_id = ada.post("/api/next", json={}).get_json()["query_id"]
        ada.post("/api/answer", json={"query_id": query_id, "choice": "left"})
    empty = ada.post("/api/next", json={})
    assert empty.status_code == 200 and empty.get_json()["query_id"] is None


def test_what_it_cannot_trust_is_refused_and_writes_nothing(served: Served) -> None:
    anyone = served.client()
    assert anyone.get("/").status_code == 200  # the page itself logs people in
    assert anyone.get("/api/state").status_code == 401
    assert anyone.post("/api/next", json={}).status_code == 401
    assert anyone.get(f"/clips/{served.queries[0]}.mp4").status_code == 401
    assert anyone.post("/api/answer", json={"query_id": 1, "choice": "left"}).status_code == 401
    assert anyone.post("/api/login", json={"secret": "guess"}).status_code == 403
    anyone.set_cookie("backflip_labeller", "guess")
    assert anyone.post("/api/next", json={}).status_code == 401
    ada = served.client("ada")
    ada.post("/api/next", json={})
    forged = ada.post("/api/answer", json={"query_id": served.queries[3], "choice": "left"})
    assert forged.status_code == 409
    injected = {"query_id": "1 OR 1=1", "choice": "left"}
    assert ada.post("/api/answer", json=injected).status_code == 400
    assert ada.post("/api/answer", json={"query_id": 1, "choice": "<b>"}).status_code == 400
    assert ada.get("/clips/..%2Flabels.sqlite").status_code == 404
    assert ada.get("/clips/../labels.sqlite").status_code == 404
    assert ada.get("/static/..%2Fapp.py").status_code == 404
    big = json.dumps({"query_id": 1, "choice": "left", "pad": "x" * MAX_BODY})
    assert ada.post("/api/answer", data=big, content_type="application/json").status_code == 413
    form = ada.post("/api/answer", data={"query_id": "1", "choice": "left"})
    assert form.status_code == 415  # a cross-site form can't send JSON
    assert served.store.n_answered() == 0
    assert set(served.store.claims().values()) == {claimant("ada")}


def test_the_login_cookie_is_not_readable_by_scripts_nor_sent_cross_site(served: Served) -> None:
    response = served.app.test_client().post("/api/login", json={"secret": served.secrets["ada"]})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_the_labellers_file_holds_no_secret(tmp_path: Path) -> None:
    labellers = Labellers(tmp_path / "labellers.json")
    first = labellers.add("ada")
    assert first not in labellers.path.read_text() and labellers.who(first) == "ada"
    second = labellers.add(" ada ")  # a new link for ada: the old one stops working
    assert labellers.who(second) == "ada" and labellers.who(first) is None
    assert labellers.who("") is None and labellers.who("x" * 1000) is None
    for bad in ("", "   ", "x" * 41, "a\nb"):
        with pytest.raises(LabellerError):
            check_name(bad)
    labellers.path.write_text("[1, 2]")
    with pytest.raises(LabellerError, match="not a labellers file"):
        labellers.who(first)


def test_serve_adds_labellers_and_refuses_runs_that_ask_nobody(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_run(tmp_path)[0].close()
    assert main(["serve", str(tmp_path), "--add-labeller", "ada", "--port", "8123"]) == 0
    link = capsys.readouterr().out.strip()
    assert link.startswith("ada: http://127.0.0.1:8123/#")
    assert Labellers(tmp_path / "web" / "labellers.json").who(link.split("#", 1)[1]) == "ada"
    synthetic = tmp_path / "synthetic"
    synthetic.mkdir()
    RunDir(synthetic).write_config(TrainConfig(env=ENV, run_dir=synthetic))
    assert main(["serve", str(synthetic)]) == 2
    assert "does not ask people" in capsys.readouterr().err
    assert main(["serve", str(tmp_path), "--port", "0"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_a_served_run_over_http_loses_nothing_when_the_server_is_killed(tmp_path: Path) -> None:
    store, queries = make_run(tmp_path, n_queries=3)
    secret = Labellers(tmp_path / "web" / "labellers.json").add("ada")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_server(tmp_path, port)
    try:
        big = requests.post(f"{url}/api/login", data=b"x" * 4096, timeout=30)
        assert big.status_code == 413  # before any secret is checked: waitress refuses it
        ada = requests.Session()
        assert ada.post(f"{url}/api/login", json={"secret": secret}, timeout=30).ok
        first = ada.post(f"{url}/api/next", json={}, timeout=30).json()
        clip = ada.get(f"{url}/clips/{first['left']}.mp4", timeout=60)
        assert clip.ok and clip.content[4:8] == b"ftyp"
        answer = {"query_id": first["query_id"], "choice": "right"}
        assert ada.post(f"{url}/api/answer", json=answer, timeout=30).ok
        held = ada.post(f"{url}/api/next", json={}, timeout=30).json()["query_id"]
        server.kill()  # kill -9 while ada holds a pair
        server.wait()
        server = start_server(tmp_path, port)
        again = ada.post(f"{url}/api/next", json={}, timeout=30).json()
        assert again["query_id"] == held  # handed out again at once, not after 300 s
    finally:
        server.kill()
        server.wait()
    assert [(c.labeller, c.label) for c in store.comparisons()] == [("ada", 0.0)]
    assert store.query_status(queries[0]) == "answered"
    assert (tmp_path / "web" / "clips" / f"{first['left']:08d}.mp4").exists()


def test_a_pair_on_screen_stays_its_labellers_while_the_page_asks_again(served: Served) -> None:
    ada = served.client("ada")
    query_id = ada.post("/api/next", json={}).get_json()["query_id"]
    with sqlite3.connect(served.store.db_path) as db:  # ada has looked at it for 400 s
        db.execute("UPDATE queries SET claimed_at = claimed_at - 400 WHERE id = ?", (query_id,))
    assert ada.post("/api/next", json={}).get_json()["query_id"] == query_id  # renewed
    assert served.store.claim_query(claimant("bob"))[0] != query_id  # not stale any more


def test_one_labeller_in_many_tabs_holds_one_pair(served: Served) -> None:
    ada = served.client("ada")
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        asked = list(pool.map(lambda _: ada.post("/api/next", json={}).get_json(), range(8)))
    assert len({pair["query_id"] for pair in asked}) == 1
    assert list(served.store.claims().values()) == [claimant("ada")]


def test_undo_takes_back_only_what_was_answered_through_this_server(served: Served) -> None:
    query_id = served.store.claim_query("ada#window")[0]  # ada's answer in the window
    left, right = served.store.query_clips(query_id)
    served.store.answer(query_id, Comparison(left, right, 1.0, "human", "ada"))
    assert served.client("ada").post("/api/undo", json={}).status_code == 409
    assert served.store.query_status(query_id) == "answered"


def test_invite_links_name_the_address_people_open() -> None:
    args = ServeArgs(run_dir=Path("r"), host="::1", port=8001)
    assert invite_link(args, "s3cret") == "http://[::1]:8001/#s3cret"
    public = ServeArgs(run_dir=Path("r"), public_url="https://labels.example.org/")
    assert invite_link(public, "s3cret") == "https://labels.example.org/#s3cret"
