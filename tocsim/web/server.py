"""Start the web app: settings that keep it offline and quiet, the warm-up (compiled kernels,
the app imported, an exercise preloaded), then Solara's Starlette app under uvicorn.

Everything that must hold before Solara reads its settings is set here, as environment
variables, before ``solara.server`` is imported:

- no telemetry (``SOLARA_TELEMETRY_MIXPANEL_ENABLE=False``);
- no CDN: the front-end files come from the ``solara-assets`` package through Solara's own
  asset route, and the CDN Solara would fall back to is pointed at this server, so a missing
  file is an error, never a request to the internet;
- production mode (no hot reload, no code console, no tracebacks in the page).
"""

from __future__ import annotations

import errno
import ipaddress
import os
import secrets
import socket
import sys
import time
import warnings
from pathlib import Path

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def is_loopback(host: str) -> bool:
    if host in LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def offline_settings(host: str, port: int) -> None:
    """Solara's settings for an offline, telemetry-free, production server."""
    env = {
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
        "SOLARA_TELEMETRY_MIXPANEL_TOKEN": "",
        "SOLARA_MODE": "production",
        "SOLARA_THEME_SHOW_BANNER": "False",
        "SOLARA_THEME_TITLE": "tocsim",
        "SOLARA_ASSETS_PROXY": "True",
        # a file not shipped in solara-assets is then refused at once (the discard port on
        # this machine), never fetched from the internet
        "SOLARA_ASSETS_CDN": "http://127.0.0.1:9/",
        "SOLARA_APP": "tocsim.web.app",
        "SOLARA_CHECK_HOOKS": "off",
        # signs Solara's session cookie; a fresh one per start (no logins are kept)
        "SOLARA_SESSION_SECRET_KEY": secrets.token_hex(16),
    }
    os.environ.update(env)
    if "solara.server.settings" in sys.modules:  # imported already (tests): set them too
        import solara.server.settings as ss
        import solara.settings as s

        ss.telemetry.mixpanel_enable = False
        ss.main.mode = "production"
        ss.theme.show_banner = False
        s.assets.cdn = env["SOLARA_ASSETS_CDN"]


def warm_up() -> float:
    """Compile (or load from numba's cache) the model's kernels and import the app, so the
    first page and the first turn do not pay for it. Returns the seconds it took."""
    t0 = time.perf_counter()
    from sim import from_dict
    from sim.model import TocModel

    # the default world, no spin-up: every kernel of a week runs once
    raw = {"name": "warm-up", "seed": 1, "weeks": 3, "params": {"run": {"spinup_weeks": 0}}}
    m = TocModel(from_dict(raw, "<warm-up>"), checks=False)
    for _ in range(3):
        m.step()
    import tocsim.web.app  # noqa: F401  (pages, matplotlib, the engine)

    return time.perf_counter() - t0


def port_problem(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be listened on, or None."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        try:
            s.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return f"already in use on {host}; choose another"
            return f"cannot listen on {host}: {exc.strerror or exc}"
    return None


def serve(host: str = "127.0.0.1", port: int = 8765, exercise: str | None = None,
          sessions: str = "out/web", exercises: str = "exercises", scenarios: str | None = None,
          quiet: bool = False) -> int:
    """Run the app until Ctrl-C. Returns an exit status."""
    from sim.errors import ScenarioError

    problem = port_problem(host, port)
    if problem:
        raise ScenarioError(f"--port: {port}: {problem}")
    if exercise:
        from training.spec import load_exercise

        load_exercise(exercise)  # a bad file: its lines and exit 2, before any warm-up
    try:  # sessions are written there: a file, or a folder that cannot be made, is bad input
        Path(sessions).mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise ScenarioError(f"--sessions: {sessions}: is a file, not a folder") from None
    except (OSError, ValueError) as exc:
        raise ScenarioError(f"--sessions: {sessions}: cannot make the folder "
                            f"({getattr(exc, 'strerror', None) or exc})") from None
    offline_settings(host, port)
    t0 = time.perf_counter()
    from .registry import configure

    reg = configure(sessions_dir=sessions, exercises_dir=exercises,
                    network=not is_loopback(host))
    from . import explorer

    explorer.configure(scenarios_dir=scenarios)  # None: $TOCSIM_SCENARIOS_DIR or scenarios/
    warm = warm_up()
    live = reg.create(exercise, trusted=True) if exercise else None
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, flush=True))
    shown = socket.gethostname() if host in ("0.0.0.0", "::") else host  # a reachable name
    url = f"http://{'[' + shown + ']' if ':' in shown else shown}:{port}/"
    say(f"tocsim web app: {url}  (warm-up {warm:.1f} s; Ctrl-C to stop)")
    if reg.network:
        say(f"open on the network ({host}): join codes are required; server key for the home "
            f"page (create or open sessions, see all codes): {reg.admin_key}")
    for what, folder, option in (("exercise", exercises, "--exercises"),
                                 ("scenario", explorer.SCENARIOS_DIR, "--scenarios")):
        if not sorted(Path(folder).glob("*.yaml")):
            say(f"note: no {what} files in {folder}/ (run from the project folder, or give "
                f"{option} DIR)")
    if live is not None:
        say(f"session {live.out} ({exercise}):")
        for role, code in live.codes.items():
            page = "facilitator" if role == "facilitator" else "team"
            say(f"  {role:<14} code {code}   {url}{page}?code={code}")
    import uvicorn

    # Solara warns on every page served over plain HTTP to a name other than "localhost" that
    # its session cookie falls back to SameSite=lax: that is what this app wants
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")

    config = uvicorn.Config("solara.server.starlette:app", host=host, port=port,
                            log_level="warning", access_log=False, loop="asyncio",
                            ws_max_size=4 * 2**20)
    server = uvicorn.Server(config)
    started = time.perf_counter()
    say(f"ready after {started - t0:.1f} s")
    server.run()
    return 0
