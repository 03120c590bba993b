"""Dask clusters for batches of runs: connect, warm workers up, check they run this engine.

:func:`open_client` gives a client of a new ``LocalCluster`` of single-threaded worker
processes (the default), of an existing scheduler (``tcp://host:8786``), or the caller's own.
:func:`check_workers` registers a plugin that builds and steps a two-week model on every worker
as it joins, so the Numba kernels are compiled (or loaded from their on-disk cache) once per
worker, not once per run; it refuses workers whose engine differs from this machine's.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

from sim.errors import ScenarioError

WORKER_ENV = {  # one thread per worker process for every numeric library
    "NUMBA_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


def engine_fingerprint() -> str:
    """SHA-256 (16 hex digits) of the engine's source and data files
    (:func:`sim.provenance.engine_fingerprint`)."""
    from sim.provenance import engine_fingerprint as fingerprint

    return fingerprint()


def worker_address() -> str:
    """The address of the Dask worker running this code, or 'local'."""
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return "local"


WARMUP_S: float | None = None  # set on each worker by WarmUp


def warm_up() -> float:
    """Build and step a two-week default model: compiles (or loads) the Numba kernels."""
    global WARMUP_S
    if WARMUP_S is None:
        from sim import default_scenario
        from sim.model import TocModel

        t0 = time.perf_counter()
        scn = default_scenario(weeks=2).with_params({"run": {"spinup_weeks": 0}})
        TocModel(scn, checks=False).run()  # no spin-up: only the kernels matter here
        WARMUP_S = time.perf_counter() - t0
    return WARMUP_S


def _worker_info() -> dict[str, Any]:
    import sim

    return {"tocsim": sim.__version__, "engine": engine_fingerprint(), "warmup_s": WARMUP_S}


def _warmup_plugin():
    from distributed.diagnostics.plugin import WorkerPlugin

    class WarmUp(WorkerPlugin):
        """Compile the kernels once on every worker, including workers that join later."""

        name = "tocsim-warmup"

        async def setup(self, worker):
            import asyncio

            await asyncio.get_running_loop().run_in_executor(None, warm_up)

    return WarmUp()


# ---------------------------------------------------------------------------- the client
@contextlib.contextmanager
def open_client(workers: int | None = None, scheduler: str | None = None, client=None,
                connect_timeout: float = 10.0) -> Iterator[tuple[Any, str]]:
    """Yield ``(client, description)``: the caller's client, a client of the scheduler at
    ``scheduler``, or one of a new LocalCluster with ``workers`` processes (closed on exit)."""
    if client is not None:
        yield client, f"client {client.scheduler.address}"
        return
    import logging

    from distributed import Client, LocalCluster

    if scheduler:
        try:
            c = Client(scheduler, timeout=f"{connect_timeout}s", set_as_default=False)
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            raise ScenarioError(f"--scheduler: {scheduler}: cannot connect within "
                                f"{connect_timeout:g} s ({one_line(exc)})") from None
        try:
            try:
                c.wait_for_workers(1, timeout=connect_timeout)
            except TimeoutError:
                raise ScenarioError(f"--scheduler: {scheduler}: the scheduler has no workers "
                                    f"(waited {connect_timeout:g} s)") from None
            yield c, f"scheduler {scheduler}"
        finally:
            c.close()
        return
    n = workers or os.cpu_count() or 1
    saved = {k: os.environ.get(k) for k in WORKER_ENV}
    os.environ.update(WORKER_ENV)  # inherited by the worker processes
    try:
        with contextlib.ExitStack() as stack:
            with _ctrl_c_held():  # the worker processes start ignoring Ctrl-C
                cluster = stack.enter_context(LocalCluster(
                    n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
                    silence_logs=logging.ERROR, env=dict(WORKER_ENV)))
            c = stack.enter_context(Client(cluster, set_as_default=False))
            yield c, f"local cluster of {n} worker process{'es' if n > 1 else ''}"
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextlib.contextmanager
def _ctrl_c_held() -> Iterator[None]:
    """Ignore Ctrl-C (SIGINT) while a local cluster starts its worker processes.

    Ctrl-C in a terminal signals every process of the foreground group, so each Dask worker
    would print its own KeyboardInterrupt traceback beside the command's one-line message.
    A process started while SIGINT is ignored keeps ignoring it (Python installs its handler
    only where the signal is left at its default), so the workers never see it; the command
    handles Ctrl-C and closes the cluster. The cost: a Ctrl-C pressed during the second or
    two the workers take to start is ignored. (Blocking the signal instead would keep it
    pending, but Dask starts the workers from threads that do not inherit this thread's
    mask.) Only in the main thread, where Python lets signal handlers be changed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


def check_workers(client, where: str) -> dict[str, dict[str, Any]]:
    """Warm every worker up and check it runs this engine; return per-worker info."""
    client.register_plugin(_warmup_plugin(), name="tocsim-warmup")
    info = client.run(_worker_info)
    mine = {"tocsim": _worker_info()["tocsim"], "engine": engine_fingerprint()}
    bad = [f"{where}: worker {addr}: runs tocsim {i['tocsim']} (engine {i['engine']}), this "
           f"machine {mine['tocsim']} (engine {mine['engine']}): install the same version there"
           for addr, i in sorted(info.items())
           if (i["tocsim"], i["engine"]) != (mine["tocsim"], mine["engine"])]
    if bad:
        raise ScenarioError(bad)
    return info




def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
