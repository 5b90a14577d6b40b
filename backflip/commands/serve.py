"""``backflip serve``: the clip comparison page of a run, for labellers in browsers."""

from __future__ import annotations

import os
import socket

from backflip.commands.args import ServeArgs
from backflip.envs.make import env_dt
from backflip.errors import UsageError
from backflip.labelling.pair_source import release_orphaned_claims
from backflip.labelling.window import default_labeller
from backflip.storage.label_store import LabelStore
from backflip.storage.run_dir import RunDir
from backflip.tasks.registry import task_for
from backflip.web.labellers import Labellers


def run_serve(args: ServeArgs) -> int:
    if not 0 < args.port < 65536:
        raise UsageError(f"--port must be 1 to 65535, got {args.port}")
    if args.width < 16 or args.height < 16:
        raise UsageError("--width and --height must be at least 16")
    if args.threads < 1 or args.render_processes < 1:
        raise UsageError("--threads and --render-processes must be at least 1")
    run_dir = RunDir(args.run_dir)
    config = run_dir.read_config()
    if config.reward != "learned" or config.oracle != "human":
        raise UsageError(
            f"{args.run_dir} does not ask people (it trains with --oracle "
            f"{config.oracle}, --reward {config.reward}): serve a run of --oracle human"
        )
    labellers = Labellers(run_dir.root / "web" / "labellers.json")
    if args.add_labeller:
        for name in args.add_labeller:
            print(f"{name}: {invite_link(args, labellers.add(name))}")
        return 0
    if not run_dir.labels.exists():
        raise UsageError(f"{args.run_dir} has no label store yet: start its backflip train first")
    if not labellers.names():
        name = default_labeller()
        print(f"{name}: {invite_link(args, labellers.add(name))}")
    else:
        print(
            f"labellers: {', '.join(labellers.names())} (their invite links were printed when "
            "they were added; --add-labeller NAME adds one or gives a new link)"
        )
    with run_dir.label_store() as store:
        release_orphaned_claims(store)  # of a server or window here that was killed
        try:
            _serve(args, run_dir, store, labellers)
        finally:
            _release_own_claims(store)
    return 0


def _serve(args: ServeArgs, run_dir: RunDir, store: LabelStore, labellers: Labellers) -> None:
    import waitress

    from backflip.web.app import MAX_BODY, create_app
    from backflip.web.clip_cache import ClipCache

    config = run_dir.read_config()
    fps = max(1, round(1 / env_dt(config.env, config.env_kwargs_dict())))
    clips = run_dir.root / "web" / "clips"
    cache = ClipCache(
        clips, store, config.env, args.width, args.height, fps, processes=args.render_processes
    )
    app = create_app(store, labellers, cache, args.question or task_for(config.env).question)
    try:
        proxy: dict[str, object] = {}
        if args.behind_proxy:
            proxy = {
                "trusted_proxy": "127.0.0.1",
                "trusted_proxy_headers": {"x-forwarded-proto", "x-forwarded-host"},
            }
        server = waitress.create_server(
            app,
            host=args.host,
            port=args.port,
            threads=args.threads,
            max_request_body_size=MAX_BODY + 1,  # waitress refuses bodies of this size or more
            **proxy,
        )
    except OSError as err:
        cache.close()
        raise UsageError(f"cannot listen on {args.host}:{args.port} ({err.strerror})") from None
    print(f"serving {run_dir.root} on http://{args.host}:{args.port}/ (Ctrl+C stops)", flush=True)
    try:
        server.run()
    finally:
        server.close()
        cache.close()


def invite_link(args: ServeArgs, secret: str) -> str:
    """The page's address (``--public-url``, or the host and port) with the labeller's
    secret after ``#`` (browsers never send that part to a server, so it stays out of
    logs and proxies)."""
    if args.public_url:
        return f"{args.public_url.rstrip('/')}/#{secret}"
    host = socket.gethostname() if args.host in ("0.0.0.0", "::") else args.host
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{args.port}/#{secret}"


def _release_own_claims(store: LabelStore) -> None:
    """Hands back the queries this server's labellers held (a stopped server)."""
    mine = f"#{socket.gethostname()}#{os.getpid()}"
    for query_id, owner in store.claims().items():
        if owner.endswith(mine):
            store.release(query_id, owner)
