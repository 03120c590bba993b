"""The web app (tocsim serve): time from start to the first page, and a page's response while
a turn runs.

1. Start-up: ``tocsim serve`` in a fresh process (warm Numba cache), timed from the spawn to
   (a) the first HTTP 200 on ``/`` and (b) the home page rendered in Chromium (the Solara
   app mounted over its websocket), without and with ``--exercise`` (which builds the world
   and runs the warm-up weeks before serving).
2. Responsiveness: a session of a bench exercise whose turns are long enough to measure
   (the mini exercise's teams on the default world scaled by ``--scale``, ``--turn-weeks``
   weeks a turn). A team page is loaded from scratch in a new browser context (HTTP, the
   websocket, the kernel, the first render: what a trainee's refresh costs) ``--samples``
   times while idle, then the facilitator clicks Advance and the same is measured while the
   turn runs in the server's worker thread; each sample records whether the turn was still
   running when it finished.

Run from the repository root: ``python benchmarks/bench_web.py [--scale 4] [--turn-weeks 260]``
(needs Debian's chromium and the playwright package). Prints a Markdown table and, with
``--json FILE``, the raw figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
for var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spawn(tmp: Path, extra: list[str]) -> tuple[subprocess.Popen, str, float]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "tocsim", "serve", "--port", str(port),
                             "--sessions", str(tmp / f"s{port}"), *extra], cwd=ROOT, env=env,
                            stdout=(tmp / f"serve{port}.log").open("w"),
                            stderr=subprocess.STDOUT)
    return proc, f"http://127.0.0.1:{port}", t0


def wait_http(proc, url: str, timeout: float = 600) -> None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"tocsim serve exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("no answer")


def stop(proc) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def startup(browser, tmp: Path, extra: list[str]) -> dict:
    proc, url, t0 = spawn(tmp, extra)
    try:
        wait_http(proc, url)
        http = time.perf_counter() - t0
        ctx = browser.new_context()
        page = ctx.new_page()
        page.goto(url + "/")
        page.wait_for_selector(".tocsim-nav", timeout=120_000)
        page.get_by_text("Join a session", exact=True).wait_for(timeout=120_000)
        rendered = time.perf_counter() - t0
        ctx.close()
    finally:
        stop(proc)
    return {"http_s": round(http, 2), "page_s": round(rendered, 2)}


def http_get(url: str) -> float:
    """Seconds to fetch the page's HTML (no websocket, no render)."""
    t = time.perf_counter()
    with urllib.request.urlopen(url + "/team", timeout=60) as r:
        r.read()
    return round(time.perf_counter() - t, 4)


def page_load(browser, url: str) -> float:
    t = time.perf_counter()
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(url)
    page.get_by_text("Decisions for turn").first.wait_for(timeout=120_000)
    dt = time.perf_counter() - t
    ctx.close()
    return dt


def bench_exercise(tmp: Path, scale: float, turn_weeks: int) -> Path:
    import yaml

    scn = tmp / "web-bench-scenario.yaml"
    scn.write_text(yaml.safe_dump({"name": "web-bench", "scale": scale}))
    ex = yaml.safe_load((ROOT / "tests" / "data" / "mini_exercise.yaml").read_text())
    ex.update(name="web-bench", title="Web bench", scenario=str(scn), turn_weeks=turn_weeks,
              warmup_weeks=4)
    path = tmp / "web-bench.yaml"
    path.write_text(yaml.safe_dump(ex, sort_keys=False))
    return path


def responsiveness(browser, tmp: Path, scale: float, turn_weeks: int, samples: int) -> dict:
    ex = bench_exercise(tmp, scale, turn_weeks)
    proc, url, t0 = spawn(tmp, ["--exercise", str(ex)])
    try:
        wait_http(proc, url, timeout=1200)
        ready = time.perf_counter() - t0
        (codes_file,) = (tmp / f"s{url.rsplit(':', 1)[1]}").glob("*/web-codes.json")
        codes = json.loads(codes_file.read_text())
        team = f"{url}/team?code={codes['Enforcement']}"
        fac = browser.new_context().new_page()
        fac.set_default_timeout(600_000)
        fac.goto(f"{url}/facilitator?code={codes['facilitator']}")
        fac.get_by_text("Advance: play turn 1").wait_for()
        page_load(browser, team)  # a first load warms the page's code paths
        idle = [page_load(browser, team) for _ in range(samples)]
        idle_http = [http_get(url) for _ in range(10)]
        busy = fac.locator(".tocsim-info").filter(has_text="simulating turn 1")
        t_turn = time.perf_counter()
        fac.locator(".tocsim-advance").click()
        busy.first.wait_for()
        during_http = [http_get(url) for _ in range(10)]
        http_running = busy.count() > 0
        during, ends = [], []
        while len(during) < samples:  # keep only loads that ended with the turn still running
            dt = page_load(browser, team)
            if busy.count() == 0:
                break
            during.append(dt)
            ends.append(round(time.perf_counter() - t_turn, 2))
        fac.get_by_text("turn 2 of 3").first.wait_for()
        turn_s = time.perf_counter() - t_turn
    finally:
        stop(proc)
    return {"ready_s": round(ready, 1), "turn_s": round(turn_s, 2),
            "idle_s": [round(x, 3) for x in idle], "during_s": [round(x, 3) for x in during],
            "sample_ends_s": ends, "idle_http_s": idle_http, "during_http_s": during_http,
            "http_turn_still_running": http_running}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=4.0,
                    help="world scale of the responsiveness exercise (default 4)")
    ap.add_argument("--turn-weeks", type=int, default=260,
                    help="weeks a turn of the responsiveness exercise (default 260)")
    ap.add_argument("--samples", type=int, default=5, help="page loads idle and during a turn")
    ap.add_argument("--startup-repeats", type=int, default=2, help="start-ups of each kind")
    ap.add_argument("--json", help="write the raw figures to this file")
    args = ap.parse_args(argv)
    chromium = shutil.which("chromium")
    if chromium is None:
        print("needs Debian's chromium (apt-get install chromium)", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    print(f"load average before: {os.getloadavg()}")
    out: dict = {"loadavg_before": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="tocsim-bench-web-") as d, sync_playwright() as p:
        tmp = Path(d)
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        out["startup"] = [startup(browser, tmp, []) for _ in range(args.startup_repeats)]
        out["startup_exercise"] = [
            startup(browser, tmp, ["--exercise", str(ROOT / "exercises/border_finance.yaml")])
            for _ in range(args.startup_repeats)]
        out["responsiveness"] = responsiveness(browser, tmp, args.scale, args.turn_weeks,
                                               args.samples)
        browser.close()
    out["loadavg_after"] = os.getloadavg()
    r = out["responsiveness"]
    print("| measure | figures |\n|---|---|")
    print("| `tocsim serve` to first HTTP 200 / home page rendered | "
          + "; ".join(f"{s['http_s']} / {s['page_s']} s" for s in out["startup"]) + " |")
    print("| same with `--exercise exercises/border_finance.yaml` | "
          + "; ".join(f"{s['http_s']} / {s['page_s']} s" for s in out["startup_exercise"]) + " |")
    print(f"| team page load, idle (median of {len(r['idle_s'])}) | "
          f"{statistics.median(r['idle_s']):.2f} s (all: {r['idle_s']}) |")
    med = statistics.median(r["during_s"]) if r["during_s"] else float("nan")
    print(f"| team page load while a turn runs (median of {len(r['during_s'])}) | "
          f"{med:.2f} s (all: {r['during_s']}, ending {r['sample_ends_s']} s after the click, "
          "the turn still running) |")
    print(f"| HTML of /team over HTTP, idle / while the turn runs (median of 10) | "
          f"{statistics.median(r['idle_http_s']) * 1000:.0f} / "
          f"{statistics.median(r['during_http_s']) * 1000:.0f} ms (turn still running after: "
          f"{r['http_turn_still_running']}) |")
    print(f"| the turn ({args.turn_weeks} weeks, scale {args.scale}) | {r['turn_s']} s; "
          f"server ready with that exercise after {r['ready_s']} s |")
    print(f"load average after: {out['loadavg_after']}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
