"""The web labelling page: a Flask app on a run's label queue, the one the window uses.

Every request but the page itself and the login needs a labeller's secret (a cookie set
at login); a labeller is only ever handed a query the label store let them claim, and
only answers, or sees the clips of, the query they hold. Ids are integers in the route or
the JSON body, never paths; request bodies are small and JSON only.
"""

from __future__ import annotations

import collections
import functools
import logging
import os
import socket
import threading
from collections.abc import Callable
from importlib import resources
from typing import Any

from flask import Flask, Response, abort, g, jsonify, request, send_file

from backflip.records import Comparison
from backflip.storage.label_store import AnsweredMeanwhile, ClaimLost, LabelStore
from backflip.web.clip_cache import ClipCache
from backflip.web.labellers import Labellers

COOKIE = "backflip_labeller"
MAX_BODY = 1024  # bytes: the largest request, an answer, is under 100
CLIP_WAIT_S = 60.0
RENDER_AHEAD = 2
"""Pending pairs whose clips are rendered while the first is being looked at."""
CHOICES: dict[str, float | None] = {"left": 1.0, "right": 0.0, "equal": 0.5, "skip": None}
STATIC = {"page.js": "text/javascript", "page.css": "text/css"}
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def claimant(labeller: str) -> str:
    """How this server's claims for ``labeller`` read in the store: ``name#host#pid``, so
    that a server killed with ``kill -9`` has its claims handed back on the next start
    (``backflip/labelling/pair_source.py``)."""
    return f"{labeller}#{socket.gethostname()}#{os.getpid()}"


def create_app(store: LabelStore, labellers: Labellers, clips: ClipCache, question: str) -> Flask:
    """The app; ``store`` is shared by its threads (it serializes its own access)."""
    app = Flask(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    claiming: dict[str, threading.Lock] = collections.defaultdict(threading.Lock)
    answered_here: dict[str, list[int]] = collections.defaultdict(list)
    """What each labeller answered through this server, newest last: what undo takes back."""

    def labeller_only(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            name = labellers.who(request.cookies.get(COOKIE))
            if name is None:
                return _refuse(401, "log in with your invite link")
            g.labeller = name
            return view(*args, **kwargs)

        return checked

    def held(name: str) -> int | None:
        """The query ``name`` holds through this server, if any."""
        mine = [q for q, owner in store.claims().items() if owner == claimant(name)]
        return min(mine) if mine else None

    def state(name: str) -> dict[str, Any]:
        counts = store.answer_counts()
        trainer = store.trainer_status()
        return {
            "labeller": name,
            "question": question,
            "yours": counts.get(name, 0),
            "everyone": sum(counts.values()),
            "by_labeller": counts,
            "budget": trainer.budget,
            "waiting": store.pending_count(),
            "trainer": trainer.state or "not started",
            "env_steps": trainer.env_steps,
        }

    @app.after_request
    def secure(response: Response) -> Response:
        response.headers.update(HEADERS)
        return response

    @app.get("/")
    def page() -> Response:
        return _static("page.html", "text/html")

    @app.get("/static/<name>")
    def static_file(name: str) -> Response:
        if name not in STATIC:
            abort(404)
        return _static(name, STATIC[name])

    @app.post("/api/login")
    def login() -> Any:
        body = _json_body()
        name = labellers.who(body.get("secret") if isinstance(body.get("secret"), str) else None)
        if name is None:
            return _refuse(403, "this invite link is not valid (ask for a new one)")
        response = jsonify(state(name))
        response.set_cookie(
            COOKIE,
            body["secret"],
            max_age=30 * 24 * 3600,
            httponly=True,
            samesite="Strict",
            secure=request.is_secure,
        )
        return response

    @app.post("/api/logout")
    def logout() -> Any:
        response = jsonify({})
        response.delete_cookie(COOKIE)
        return response

    @app.get("/api/state")
    @labeller_only
    def get_state() -> Any:
        return jsonify(state(g.labeller))

    @app.post("/api/next")
    @labeller_only
    def next_query() -> Any:
        """The query this labeller holds (its claim renewed: the page asks again while it
        shows the pair), or a newly claimed one; ``query_id`` null when nothing waits."""
        _json_body()
        with claiming[g.labeller]:  # two tabs of one labeller claim one query, not two
            query_id = held(g.labeller)
            if query_id is None or not store.touch_claim(query_id, claimant(g.labeller)):
                claimed = store.claim_query(claimant(g.labeller))
                if claimed is None:
                    return jsonify({"query_id": None, **state(g.labeller)})
                query_id = claimed[0]
        left, right = store.query_clips(query_id)
        clips.request(left, right)
        try:
            clips.request(*store.pending_clips(RENDER_AHEAD))
        except Exception as err:  # rendering ahead is a courtesy: the pair asked for is not
            logging.getLogger(__name__).warning("rendering ahead failed: %s", err)
        return jsonify({"query_id": query_id, "left": left, "right": right, **state(g.labeller)})

    @app.get("/clips/<int:seg_id>.mp4")
    @labeller_only
    def clip(seg_id: int) -> Any:
        query_id = held(g.labeller)
        if query_id is None or seg_id not in store.query_clips(query_id):
            return _refuse(403, "that clip is not in the pair you were given")
        store.touch_claim(query_id, claimant(g.labeller))
        try:
            path = clips.wait(seg_id, CLIP_WAIT_S)
        except RuntimeError as err:
            logging.getLogger(__name__).error("%s", err)
            return _refuse(500, "the clip could not be rendered: try again")
        if path is None:
            return _refuse(503, "the clip is still being rendered: try again")
        return send_file(path, mimetype="video/mp4", conditional=True, max_age=0)

    @app.post("/api/answer")
    @labeller_only
    def answer() -> Any:
        body = _json_body()
        query_id, choice = body.get("query_id"), body.get("choice")
        if type(query_id) is not int or choice not in CHOICES:
            return _refuse(400, 'an answer is {"query_id": int, "choice": left|right|equal|skip}')
        try:
            left, right = store.query_clips(query_id)
            comparison = Comparison(left, right, CHOICES[choice], "human", g.labeller)
            store.answer(query_id, comparison, claimant=claimant(g.labeller))
        except AnsweredMeanwhile as err:
            return _refuse(409, f"that pair was answered meanwhile by {err.labeller}")
        except (KeyError, ClaimLost):
            return _refuse(409, "that pair is not yours to answer (it waited too long?)")
        answered_here[g.labeller].append(query_id)
        return jsonify(state(g.labeller))

    @app.post("/api/undo")
    @labeller_only
    def undo() -> Any:
        """Takes back this labeller's last answer given through this server."""
        _json_body()
        mine = answered_here[g.labeller]
        while mine:
            query_id = mine.pop()
            try:
                store.undo(query_id, labeller=g.labeller)
            except (KeyError, ValueError):  # undone elsewhere meanwhile: the one before
                continue
            return jsonify({"undone": query_id, **state(g.labeller)})
        return _refuse(409, "nothing of yours to undo")

    return app


def _json_body() -> dict[str, Any]:
    """The request's JSON object; 415 unless the body is JSON (a cross-site form can't
    send that), 400 unless it is an object."""
    if not request.is_json:
        abort(_refuse(415, "send JSON"))
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(_refuse(400, "send a JSON object"))
    return body


def _refuse(status: int, why: str) -> Response:
    response = jsonify({"error": why})
    response.status_code = status
    return response


def _static(name: str, mimetype: str) -> Response:
    text = resources.files("backflip.web").joinpath(name).read_bytes()
    return Response(text, mimetype=mimetype)
