"""The tutorial notebook (examples/policy_question.ipynb) runs from top to bottom, so the path
docs/TUTORIAL.md describes cannot rot. It is kept small (quarter-size world, 3 years, 4
replicates): about 15 s on an idle 2-core machine."""

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "examples" / "policy_question.ipynb"


def test_tutorial_notebook_runs_and_answers(tmp_path, monkeypatch):
    monkeypatch.setenv("TOCSIM_TUTORIAL_OUT", str(tmp_path))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), \
        "commit the notebook without outputs"
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    text = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                     for o in c.get("outputs", []))
    # the answer sentence, with its interval, for both strategies
    assert "kingpin " in text and "border " in text and "[95% CI " in text
    assert (tmp_path / "compare" / "report.html").is_file()
    assert (tmp_path / "compare" / "scenarios" / "kingpin.resolved.yaml").is_file()
    assert "{'params.recruitment.rate': 0.003}" in text  # the --set section ran
