"""The lecture's worked example (cell [85]): scratch == torch to 1e-12, both == the printout."""

import numpy as np

from compare import lecture_example

# The numbers the lecture prints (cell [85] and the slide before it).
PRINTED_Y = 0.590378
PRINTED_LOSS = 0.52699227
PRINTED_W_GRAD = [[-3.42057777e-06, -2.01341432e-01, 1.25838681e-06],
                  [-2.05234666e-06, -1.20804859e-01, 7.55032084e-07]]
PRINTED_V_GRAD = [[-0.40961516], [-0.29945768], [-0.40961948]]


def test_lecture_example_passes():
    report = lecture_example()
    assert report.ok, report


def test_scratch_and_torch_agree_to_1e_12():
    report = lecture_example()
    twin = [e for e in report.entries if "printed" not in e.label]
    assert len(twin) == 8  # 2 outputs, J, dL/dy, dW, dL/dh, dV... and dL/dx
    assert all(e.diff.atol == 1e-12 and e.diff.rtol == 0 for e in twin)
    assert max(float(np.max(np.abs(e.actual - e.expected))) for e in twin) <= 1e-12


def test_both_sides_match_every_printed_number():
    report = lecture_example()
    out = report.entry("layer 1 (l2 LinearSigmoid(3, 1)) output")
    J = report.entry("the loss (summed BCE of Net.backward) loss")
    dW = report.entry("layer 0 (l1 LinearSigmoid(2, 3)) dL/dW [l1.W]")
    dV = report.entry("layer 1 (l2 LinearSigmoid(3, 1)) dL/dW [l2.W]")
    for side in ("actual", "expected"):  # scratch, then torch
        np.testing.assert_allclose(getattr(out, side), [[PRINTED_Y]], rtol=0, atol=5e-7)
        np.testing.assert_allclose(getattr(J, side), [[PRINTED_LOSS]], rtol=0, atol=5e-9)
        np.testing.assert_allclose(getattr(dW, side), PRINTED_W_GRAD, rtol=5e-9, atol=0)
        np.testing.assert_allclose(getattr(dV, side), PRINTED_V_GRAD, rtol=0, atol=5e-9)
    printed = [e for e in report.entries if "printed" in e.label]
    assert len(printed) == 8 and all(e.ok for e in printed)


def test_slide_intermediates():
    # h = sigmoid(x W) = [0.99998329857, 0.7310, 0.9999]; dJ/dh = [-0.04096, -0.2048, 0.04096]
    report = lecture_example()
    h = report.entry("layer 0 (l1 LinearSigmoid(2, 3)) output").expected
    np.testing.assert_allclose(h[0, 0], 0.99998329857, atol=1e-11)
    np.testing.assert_allclose(h, [[0.9999, 0.7310, 0.9999]], atol=1e-4)
    dh = report.entry("layer 1 (l2 LinearSigmoid(3, 1)) dL/dinput")
    np.testing.assert_allclose(dh.expected, [[-0.04096, -0.2048, 0.04096]], atol=5e-5)
    np.testing.assert_allclose(dh.actual, dh.expected, rtol=0, atol=1e-12)
