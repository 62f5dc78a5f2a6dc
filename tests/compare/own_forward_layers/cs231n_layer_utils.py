"""CS231n's layer_utils manner: sandwich layers built from the layer functions by a star import."""

from .cs231n_layers import *  # noqa: F403 (the assignment's own idiom; brings np along)


def affine_relu_forward(x, w, b):
    a, fc_cache = affine_forward(x, w, b)  # noqa: F405
    out, relu_cache = relu_forward(a)  # noqa: F405
    cache = (fc_cache, relu_cache)
    return out, cache


def affine_relu_backward(dout, cache):
    fc_cache, relu_cache = cache
    da = relu_backward(dout, relu_cache)  # noqa: F405
    dx, dw, db = affine_backward(da, fc_cache)  # noqa: F405
    return dx, dw, db
