"""Twins of scratch's image and sequence layers, registered on import.

=================  ==========================  =========================================
scratch            torch                       parameters
=================  ==========================  =========================================
Conv2d             nn.Conv2d                   W = weight (same layout), b = bias
MaxPool2d          nn.MaxPool2d                (none)
Flatten            nn.Flatten()                (none)
Softmax(axis)      nn.Softmax(dim=axis)        (none)
RNN                BatchFirstRNN (an nn.RNN)   W_ih = weight_ih_l0^T, W_hh = weight_hh_l0^T,
                                               b_ih = bias_ih_l0, b_hh = bias_hh_l0
=================  ==========================  =========================================

``from_torch`` also accepts a plain ``nn.RNN``; it refuses, naming the
setting, any torch configuration scratch cannot express (dilation, groups,
pool padding, ceil_mode, a Flatten over other axes, several RNN layers, ...).
"""

from __future__ import annotations

from torch import nn

import scratch

from .links import ParamLink
from .recurrent import BatchFirstRNN
from .registry import register_twin

CONV_LINKS = (
    ParamLink("W", "weight", False,
              "both (out_channels, in_channels, kH, kW): torch's layout is kept as is"),
    ParamLink("b", "bias", False, "the same (out_channels,) vector on both sides"),
)
RNN_LINKS = (
    ParamLink("W_ih", "weight_ih_l0", True,
              "scratch (input, hidden) for x_t @ W_ih; torch (hidden, input)"),
    ParamLink("W_hh", "weight_hh_l0", True,
              "scratch (hidden, hidden) for h @ W_hh; torch stores its transpose"),
    ParamLink("b_ih", "bias_ih_l0", False, "the input-side (hidden,) bias, same on both sides"),
    ParamLink("b_hh", "bias_hh_l0", False, "the recurrent (hidden,) bias, same on both sides"),
)


def _require(module, ok: bool, what: str) -> None:
    """Refuse a torch setting that the scratch twin cannot reproduce."""
    if not ok:
        raise ValueError(f"from_torch: {module!r}: {what}")


def _pair(value) -> tuple[int, int]:
    return tuple(value) if isinstance(value, tuple | list) else (value, value)


def _conv_from_torch(module: nn.Conv2d, dtype, convert) -> scratch.Conv2d:
    _require(module, not isinstance(module.padding, str),
             f"padding={module.padding!r} given as a string; scratch.Conv2d takes numbers")
    _require(module, _pair(module.dilation) == (1, 1), "scratch.Conv2d has no dilation")
    _require(module, module.groups == 1, "scratch.Conv2d has no groups")
    _require(module, module.padding_mode == "zeros", "scratch.Conv2d pads with zeros only")
    return scratch.Conv2d(module.in_channels, module.out_channels, module.kernel_size,
                          module.stride, module.padding, bias=module.bias is not None,
                          rng=0, dtype=dtype)


register_twin(
    scratch.Conv2d, nn.Conv2d,
    to_torch=lambda layer, dtype, convert: nn.Conv2d(
        layer.in_channels, layer.out_channels, layer.kernel_size, layer.stride, layer.padding,
        bias=layer.bias, dtype=dtype),
    from_torch=_conv_from_torch,
    links=lambda layer: list(CONV_LINKS if layer.bias else CONV_LINKS[:1]),
)


def _pool_from_torch(module: nn.MaxPool2d, dtype, convert) -> scratch.MaxPool2d:
    _require(module, _pair(module.padding) == (0, 0), "scratch.MaxPool2d has no padding")
    _require(module, _pair(module.dilation) == (1, 1), "scratch.MaxPool2d has no dilation")
    _require(module, not module.ceil_mode, "scratch.MaxPool2d floors the output size")
    _require(module, not module.return_indices, "scratch.MaxPool2d returns values only")
    return scratch.MaxPool2d(_pair(module.kernel_size), _pair(module.stride))


register_twin(
    scratch.MaxPool2d, nn.MaxPool2d,
    to_torch=lambda layer, dtype, convert: nn.MaxPool2d(layer.kernel_size, layer.stride),
    from_torch=_pool_from_torch,
)


def _flatten_from_torch(module: nn.Flatten, dtype, convert) -> scratch.Flatten:
    _require(module, (module.start_dim, module.end_dim) == (1, -1),
             "scratch.Flatten keeps the batch axis and flattens all others "
             "(start_dim=1, end_dim=-1)")
    return scratch.Flatten()


register_twin(
    scratch.Flatten, nn.Flatten,
    to_torch=lambda layer, dtype, convert: nn.Flatten(),
    from_torch=_flatten_from_torch,
)


def _softmax_from_torch(module: nn.Softmax, dtype, convert) -> scratch.Softmax:
    _require(module, module.dim is not None, "give nn.Softmax an explicit dim")
    return scratch.Softmax(module.dim)


register_twin(
    scratch.Softmax, nn.Softmax,
    to_torch=lambda layer, dtype, convert: nn.Softmax(dim=layer.axis),
    from_torch=_softmax_from_torch,
)


def _rnn_from_torch(module: nn.RNN, dtype, convert) -> scratch.RNN:
    for ok, what in (
            (module.num_layers == 1, f"num_layers={module.num_layers}; scratch.RNN is one layer "
                                     "(stack scratch.RNN layers in a Sequential instead)"),
            (module.nonlinearity == "tanh", f"nonlinearity={module.nonlinearity!r}; "
                                            "scratch.RNN is tanh"),
            (module.bias, "bias=False; scratch.RNN always has b_ih and b_hh"),
            (module.batch_first, "batch_first=False; scratch.RNN takes (batch, time, features)"),
            (not module.bidirectional, "bidirectional; scratch.RNN runs forward in time only"),
    ):
        _require(module, ok, what)
    return scratch.RNN(module.input_size, module.hidden_size, rng=0, dtype=dtype)


register_twin(
    scratch.RNN, nn.RNN,
    to_torch=lambda layer, dtype, convert: BatchFirstRNN(
        layer.input_size, layer.hidden_size, dtype=dtype),
    from_torch=_rnn_from_torch,
    links=lambda layer: list(RNN_LINKS),
)
