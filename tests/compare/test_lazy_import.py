"""The pytest plugin loads in every pytest run where twinnet is installed: no torch import."""

import subprocess
import sys


def test_plugin_and_package_import_without_torch_then_exports_resolve():
    code = (
        "import sys, compare, twinnet.pytest_plugin\n"
        "assert 'torch' not in sys.modules, 'torch imported eagerly'\n"
        "from compare import check_model, lockstep, TOLERANCES\n"
        "assert 'torch' in sys.modules\n"
        "assert sorted(compare.__all__) == compare.__all__ and 'check_layer' in dir(compare)\n"
        "import compare.lockstep_run, compare.gradient_check  # modules never shadow functions\n"
        "assert callable(compare.lockstep) and callable(compare.gradcheck)\n"
        "assert compare.lockstep.__module__ == 'compare.lockstep_run'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_unknown_attribute_is_an_attribute_error():
    import compare

    try:
        compare.no_such_name  # noqa: B018
    except AttributeError as err:
        assert "no_such_name" in str(err)
    else:
        raise AssertionError("compare.no_such_name did not raise")
