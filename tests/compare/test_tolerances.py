"""The tolerance table and the rtol/atol pairing rule."""

import numpy as np
import pytest
import torch

from compare import TOLERANCES, Tolerance, tolerance_for


def test_table_holds_torch_testing_defaults_and_the_measured_float32_gradient_row():
    f64, f32 = TOLERANCES[np.dtype(np.float64)], TOLERANCES[np.dtype(np.float32)]
    assert f64["forward"] == Tolerance(1e-7, 1e-7) == f64["gradient"]
    assert f32["forward"] == Tolerance(1.3e-6, 1e-5)
    # about 3x torch.testing's pair, from the false-alarm measurements in tolerances.py
    assert f32["gradient"] == Tolerance(4e-6, 4e-5)


def test_lookup_by_numpy_torch_and_string_dtypes():
    assert tolerance_for(np.float32, "gradient") == TOLERANCES[np.dtype(np.float32)]["gradient"]
    assert tolerance_for(torch.float64) == TOLERANCES[np.dtype(np.float64)]["forward"]
    assert tolerance_for("float32", "finite_difference").rtol == 1e-2


def test_explicit_pair_wins_and_must_be_complete():
    assert tolerance_for(np.float64, rtol=0.0, atol=1e-12) == Tolerance(0.0, 1e-12)
    with pytest.raises(ValueError, match="rtol was given without atol"):
        tolerance_for(np.float64, rtol=1e-3)
    with pytest.raises(ValueError, match="atol was given without rtol"):
        tolerance_for(np.float64, atol=1e-3)
    with pytest.raises(ValueError, match=">= 0"):
        tolerance_for(np.float64, rtol=-1.0, atol=0.0)


def test_unknown_dtype_or_kind_is_a_clear_error():
    with pytest.raises(ValueError, match="no default tolerance for dtype float16"):
        tolerance_for(np.float16)
    with pytest.raises(ValueError, match="unknown tolerance kind"):
        tolerance_for(np.float64, "backwards")
