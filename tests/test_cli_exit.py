"""A command-line ``tocsim run`` ends the process without the interpreter's teardown
(tocsim.cli._exit_now): everything it printed and wrote must still be there."""

import json
import subprocess
import sys

from conftest import DATA


def test_command_line_run_flushes_its_output_and_exit_status(tmp_path):
    scn = tmp_path / "s.yaml"
    scn.write_text(f"name: tiny\nseed: 3\nweeks: 6\nworld: {DATA / 'tiny_world.yaml'}\n"
                   "params: {run: {spinup_weeks: 0}}\n")
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "tocsim", "run", str(scn), "--out", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.rstrip().splitlines()[-1].startswith(f"outputs: {out}/timeseries.csv")
    assert "criminal_members" in r.stdout  # the summary table, printed before the exit
    assert json.loads((out / "summary.json").read_text())["weeks"] == 6
    assert len((out / "timeseries.csv").read_text().splitlines()) == 7
    assert (out / "plots" / "overview.png").read_bytes()[:4] == b"\x89PNG"
    # output cut short by the reader: no traceback (rich ends such a run with status 1, as
    # before the quick exit)
    p = subprocess.Popen([sys.executable, "-m", "tocsim", "run", str(scn), "--out", str(out)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.close()
    err = p.stderr.read().decode()
    assert p.wait() in (0, 1) and "Traceback" not in err and not err.strip()
