"""The web explorer: drawing cost, stepping speed behind a page, memory per run, and the page's
response while a run plays (in Chromium).

Run from the repository root: ``python benchmarks/bench_explorer.py`` (about two minutes).
Parts: ``--no-browser`` skips the page measurements (no server, no chromium).

1. Drawing: the map and the charts of the default world at week 156 as PNG (median of
   ``--repeats``), the work a page's watcher thread does per frame.
2. Stepping: weeks per second of a run at speed "max" in its worker thread, with no page and
   with a page thread redrawing as fast as it may (``FRAME_S``); the model's build (spin-up)
   time.
3. Memory: resident memory growth per run held in the registry (built and stepped 156 weeks).
4. Page (Chromium): time from ``solara run`` to the explorer's first page; the time a click
   takes to show (Pause while a run plays at 100 weeks/s, Step while paused), median of
   ``--clicks``.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
for var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")


def _load() -> str:
    return "load average " + ", ".join(f"{x:.1f}" for x in os.getloadavg())


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def drawing(repeats: int) -> None:
    import sim
    from tocsim.web import model_view as mv
    from tocsim.web import worldmap

    scn = sim.load_scenario(ROOT / "scenarios" / "whole_of_government.yaml")
    geo = mv.geometry(scn.world)
    t0 = time.perf_counter()
    model = mv.build(scn)
    print(f"build (spin-up {scn.params['run']['spinup_weeks']} weeks, warm Numba cache): "
          f"{time.perf_counter() - t0:.2f} s")
    for _ in range(156):
        mv.step(model)
    snap = mv.snapshot(model, geo, scn.weeks)
    worldmap.png(worldmap.draw_map(geo, snap))  # warm-up (fonts)
    for name, draw in (("map", lambda: worldmap.draw_map(geo, snap)),
                       ("charts", lambda: worldmap.draw_charts(snap, [("tmwg", 104)]))):
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            png = worldmap.png(draw())
            times.append(time.perf_counter() - t)
        print(f"draw {name}: median {statistics.median(times):.3f} s, min {min(times):.3f} s "
              f"({len(png) / 1024:.0f} KiB PNG); {_load()}")
    t = time.perf_counter()
    for _ in range(repeats):
        mv.snapshot(model, geo, scn.weeks)
    print(f"snapshot (copy of the key series, regions, flows): "
          f"{(time.perf_counter() - t) / repeats * 1000:.1f} ms")


def stepping(weeks: int) -> None:
    import sim
    from tocsim.web.explorer import draw_pictures
    from tocsim.web.explorer_run import ExplorerRun, Registry

    scn = sim.load_scenario(ROOT / "scenarios" / "baseline.yaml", weeks=weeks)
    for label, with_page in (("no page", False), ("a page redrawing", True)):
        run = ExplorerRun("bench-run-0001", "baseline.yaml", scn)
        run.set_speed(0)
        stop = threading.Event()
        frames = [0]

        def page(run=run, stop=stop, frames=frames):
            while not stop.is_set():
                draw_pictures(run)
                frames[0] += 1
                run.touch()
                stop.wait(0.25)

        t0 = time.perf_counter()
        run.step(1)
        while run.snapshot.week < 1:
            time.sleep(0.01)
        t1 = time.perf_counter()
        if with_page:
            threading.Thread(target=page, daemon=True).start()
        run.play()
        while run.status.state != "finished":
            time.sleep(0.02)
        t2 = time.perf_counter()
        stop.set()
        run.close()
        print(f"{label}: build + week 1 {t1 - t0:.2f} s; {weeks - 1} weeks in {t2 - t1:.2f} s "
              f"= {(weeks - 1) / (t2 - t1):.0f} weeks/s"
              + (f" ({frames[0]} frames drawn)" if with_page else "") + f"; {_load()}")
    reg = Registry(max_runs=8)
    before = _rss_mb()
    runs = []
    for _ in range(4):
        run = reg.create("baseline.yaml", scn)
        run.set_speed(0)
        run.step(156)
        runs.append(run)
    while any(r.snapshot.week < 156 for r in runs):
        time.sleep(0.05)
    print(f"memory: 4 runs of the default world at week 156 hold "
          f"{(_rss_mb() - before) / 4:.0f} MB each (RSS growth / 4)")
    reg.close_all()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def page(clicks: int) -> None:
    from playwright.sync_api import sync_playwright

    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT), SOLARA_TELEMETRY_MIXPANEL_ENABLE="False",
               TOCSIM_SCENARIOS_DIR=str(ROOT / "scenarios"))
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "solara", "run", "tocsim/web/explorer.py", "--host",
         "127.0.0.1", "--port", str(port), "--production", "--no-check-version"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        while True:
            try:
                urllib.request.urlopen(url, timeout=2).read()
                break
            except OSError:
                time.sleep(0.1)
        t_http = time.perf_counter() - t0
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"))
            pg = browser.new_page(viewport={"width": 1400, "height": 1000})
            pg.goto(url)
            pg.wait_for_selector(".explorer-status")
            pg.wait_for_selector("img.explorer-map")
            t_page = time.perf_counter() - t0
            print(f"solara run -> HTTP 200: {t_http:.1f} s; -> explorer with its map: "
                  f"{t_page:.1f} s; {_load()}")
            status = pg.locator(".explorer-status")
            pg.get_by_role("button", name="100", exact=True).click()  # weeks/s

            def shown(text: str) -> None:
                try:
                    pg.wait_for_function("t => document.querySelector('.explorer-status')"
                                         ".innerText.includes(t)", arg=text, timeout=120_000)
                except Exception:
                    raise SystemExit(f"waited for {text!r}; the page shows "
                                     f"{status.inner_text()!r}") from None

            pause_t, step_t = [], []
            for _ in range(clicks):
                pg.locator(".explorer-play").click()
                shown("playing")
                time.sleep(1.0)
                t = time.perf_counter()
                pg.locator(".explorer-pause").click()
                shown("paused")
                pause_t.append(time.perf_counter() - t)
                time.sleep(2.0)  # the last week stepped before the pause shows
                week = int(status.inner_text().split()[1])
                t = time.perf_counter()
                pg.locator(".explorer-step").click()
                shown(f"Week {week + 1} ")
                step_t.append(time.perf_counter() - t)
            print(f"click to screen, run playing at 100 weeks/s (Pause): median "
                  f"{statistics.median(pause_t):.2f} s, max {max(pause_t):.2f} s; "
                  f"paused (Step): median {statistics.median(step_t):.2f} s, max "
                  f"{max(step_t):.2f} s ({clicks} clicks each); {_load()}")
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--weeks", type=int, default=520)
    ap.add_argument("--clicks", type=int, default=5)
    ap.add_argument("--no-browser", action="store_true", help="skip the page (4.)")
    ap.add_argument("--only-browser", action="store_true", help="only the page (4.)")
    args = ap.parse_args()
    print(f"cpus {os.cpu_count()}; {_load()}")
    if not args.only_browser:
        drawing(args.repeats)
        stepping(args.weeks)
    if not args.no_browser:
        page(args.clicks)


if __name__ == "__main__":
    main()
