"""``tocsim serve``: the web app for exercises and exploration (docs/WEB.md).

Registered by ``tocsim.cli`` through ``EXTRA_COMMANDS``. Bound to 127.0.0.1 unless ``--host``
says otherwise; on a network every page needs a join code and the home page the server key
printed at start-up. Exit status: 0 stopped with Ctrl-C; 2 bad input (a bad exercise file, a
port in use).
"""

from __future__ import annotations

import argparse


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "serve", help="the web app: team pages, facilitator console, debrief, explorer",
        description="Start the web app (Solara) on http://HOST:PORT/. Pages: / (join, create "
        "or open sessions), /team, /facilitator, /debrief, /explorer. Works offline; no "
        "telemetry. See docs/WEB.md.")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only); another "
                   "address, e.g. 0.0.0.0, opens it on a network, and then join codes and the "
                   "printed server key are required")
    p.add_argument("--port", type=int, default=8765, help="port to listen on (default 8765)")
    p.add_argument("--exercise", metavar="EXERCISE.yaml",
                   help="start a session of this exercise at start-up and print its join codes")
    p.add_argument("--sessions", default="out/web", metavar="DIR",
                   help="folder where sessions are kept (default out/web); saved ones can be "
                   "reopened from the home page")
    p.add_argument("--exercises", default="exercises", metavar="DIR",
                   help="folder of exercise files offered on the home page (default exercises)")
    p.add_argument("--scenarios", default=None, metavar="DIR",
                   help="folder of scenario files the /explorer page offers (default "
                   "$TOCSIM_SCENARIOS_DIR, else scenarios)")
    p.set_defaults(func=cmd_serve)
    return p


def cmd_serve(args) -> int:
    from sim.errors import ScenarioError

    if not 1 <= args.port <= 65535:
        raise ScenarioError(f"--port: {args.port}: expected 1 to 65535")
    from tocsim.web.server import serve

    try:
        return serve(host=args.host, port=args.port, exercise=args.exercise,
                     sessions=args.sessions, exercises=args.exercises,
                     scenarios=args.scenarios)
    except KeyboardInterrupt:
        return 0
