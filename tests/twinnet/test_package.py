"""``import twinnet``: the checking API and the version, with nothing heavy at import."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata

import pytest

import compare
import twinnet


def test_version_is_the_installed_distribution_version():
    assert twinnet.__version__ == metadata.version("twinnet")


@pytest.mark.parametrize("name", [n for n in twinnet.__all__ if n != "__version__"])
def test_public_checking_api_is_compares(name):
    assert getattr(twinnet, name) is getattr(compare, name)


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no_such_check"):
        twinnet.no_such_check  # noqa: B018


def test_import_twinnet_does_not_import_torch_until_a_check_is_used():
    code = ("import sys, twinnet\n"
            "assert 'torch' not in sys.modules and 'compare' not in sys.modules\n"
            "twinnet.check_layer\n"
            "assert 'torch' in sys.modules\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_python_dash_m_twinnet_runs_the_cli():
    done = subprocess.run([sys.executable, "-m", "twinnet", "--help"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "usage: twinnet" in done.stdout


def test_typed_markers_ship_with_every_package():
    from pathlib import Path

    for package in ("twinnet", "compare", "scratch", "torch_ref"):
        module = __import__(package)
        assert (Path(module.__file__).parent / "py.typed").is_file(), package
