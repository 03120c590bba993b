"""Regression baseline: a seeded default run must reproduce the stored summary.

A failure means the model's behaviour changed. If the change is intended, refresh with
``python tests/baseline_run.py --refresh``, review the diff and say why in CHANGELOG.md.
"""

import json
import math

from baseline_run import PATH, summary


def test_default_run_matches_stored_baseline():
    stored = json.loads(PATH.read_text())
    now = summary()
    assert (now["weeks"], now["seed"]) == (stored["weeks"], stored["seed"])
    changed = []
    for part in ("mean_last_52", "final"):
        assert set(now[part]) == set(stored[part]), "metric columns changed"
        for k, v in stored[part].items():
            if not math.isclose(now[part][k], v, rel_tol=1e-6, abs_tol=1e-9):
                changed.append(f"{part}.{k}: stored {v:.6g}, now {now[part][k]:.6g}")
    assert not changed, "behaviour changed:\n" + "\n".join(changed)
