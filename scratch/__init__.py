"""scratch: a from-scratch NumPy neural network whose backprop twinnet checks.

NumPy only (scikit-learn for the Iris loaders). See ``scratch.layer`` for the
forward/backward contract.
"""

from .activations import Identity, ReLU, Sigmoid, Step, Tanh, sigmoid
from .conv import Conv2d
from .data import add_bias_column, load_iris_binary, load_iris_multiclass
from .errors import (
    ArgumentError,
    ArgumentTypeError,
    BackwardBeforeForwardError,
    DTypeError,
    EmptyBatchError,
    LabelError,
    NonFiniteError,
    ParameterFileError,
    ShapeError,
    TwinnetInputError,
)
from .io import StateKeyError, load, save
from .layer import Layer, ParamLayer
from .lecture import LinearSigmoid, LinearSigmoidLayer, Net
from .linear import Linear
from .losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, Loss, MSELoss
from .neuron import LogisticRegression, Neuron, Perceptron
from .optim import SGD
from .pool import MaxPool2d
from .rnn import RNN
from .sequential import Sequential
from .shape import Flatten
from .softmax import Softmax

__all__ = [
    "BCELoss", "BCEWithLogitsLoss", "BackwardBeforeForwardError", "CrossEntropyLoss",
    "DTypeError", "EmptyBatchError", "Identity", "LabelError", "Layer", "Linear",
    "LinearSigmoid", "LinearSigmoidLayer", "LogisticRegression", "Loss", "MSELoss", "Net",
    "Neuron", "NonFiniteError", "ParamLayer", "Perceptron", "ReLU", "SGD", "Sequential",
    "ShapeError", "Sigmoid", "Step", "Tanh", "TwinnetInputError", "add_bias_column",
    "load_iris_binary", "load_iris_multiclass", "sigmoid",
]
__all__ += ["Conv2d", "Flatten", "MaxPool2d", "RNN", "Softmax"]
__all__ += ["StateKeyError", "load", "save"]
__all__ += ["ArgumentError", "ArgumentTypeError", "ParameterFileError"]
