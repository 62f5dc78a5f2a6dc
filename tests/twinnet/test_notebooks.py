"""The example notebooks run top to bottom in a fresh kernel, and are stored without outputs.

The kernel is this interpreter (a kernelspec written for the test), so the
notebooks see exactly the packages the tests see.
"""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
if importlib.util.find_spec("ipykernel") is None:  # found, not imported: see twinnet.progress
    pytest.skip("ipykernel is not installed (pip install twinnet[test])",
                allow_module_level=True)

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "examples").glob("*.ipynb"))
EXPECTED = {"lecture.ipynb", "check_your_layer.ipynb"}
# Figures each notebook shows inline (lecture: worked example, single sample, Iris scatter,
# divergence, decision boundary, activations; check_your_layer: gradient flow).
FIGURES_SHOWN = {"lecture.ipynb": 6, "check_your_layer.ipynb": 1}


def test_the_example_notebooks_are_there():
    assert EXPECTED <= {p.name for p in NOTEBOOKS}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "a notebook with no code cell tests nothing"
    assert [c.outputs for c in code] == [[]] * len(code)
    assert [c.execution_count for c in code] == [None] * len(code)


def this_interpreters_kernel(tmp_path):
    """A KernelManager that starts ``sys.executable -m ipykernel_launcher``."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    spec_dir = tmp_path / "kernels" / "twinnet-test"
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "twinnet test", "language": "python"}))
    specs = KernelSpecManager(kernel_dirs=[str(tmp_path / "kernels")])
    return KernelManager(kernel_name="twinnet-test", kernel_spec_manager=specs)


def outputs_of(nb, output_type):
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
            if o.output_type == output_type]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_top_to_bottom(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    # The symptom: after a plotting call, the notebook's backend had become Agg and
    # plt.show() drew nothing. A last cell reports the backend after everything ran.
    nb.cells.append(nbformat.v4.new_code_cell(
        "import matplotlib\nprint('backend after the notebook:', matplotlib.get_backend())"))
    client = nbclient.NotebookClient(nb, km=this_interpreters_kernel(tmp_path), timeout=180,
                                     resources={"metadata": {"path": str(ROOT)}})
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails
    assert outputs_of(nb, "error") == []
    (last,) = nb.cells[-1].outputs
    assert last.text.split(": ", 1)[1].strip() in ("inline", "module://matplotlib_inline.backend_inline")
    shown = [o.data for o in outputs_of(nb, "display_data") + outputs_of(nb, "execute_result")]
    # Figures show inline (a Figure returned by a plotting function, displayed as PNG) ...
    assert sum("image/png" in d for d in shown) >= FIGURES_SHOWN.get(path.name, 0)
    if path.name == "check_your_layer.ipynb":
        # ... and reports as HTML tables, a failing one among them.
        html = [d["text/html"] for d in shown if "text/html" in d]
        assert any(">OK</span>" in h for h in html) and any(">FAIL</span>" in h for h in html)
