"""Exceptions raised by scratch for bad input.

Every message names the layer (or loss) and says what was expected and what
arrived, e.g. ``Linear(3, 1): expected input of shape (batch, 3), got (4, 2)``.
Each class also derives from the built-in exception a user would reach for
(ValueError, TypeError, RuntimeError), so ``except ValueError`` keeps working.
"""


class TwinnetInputError(Exception):
    """Base class of every bad-input error raised by scratch."""


class ShapeError(TwinnetInputError, ValueError):
    """An array has the wrong rank or size along some axis."""


class EmptyBatchError(ShapeError):
    """A batch with zero samples was passed."""


class DTypeError(TwinnetInputError, TypeError):
    """An array has an unsupported dtype, or one that differs from the layer's."""


class NonFiniteError(TwinnetInputError, ValueError):
    """An array holds NaN or +-inf where finite values are required."""


class LabelError(TwinnetInputError, ValueError):
    """Targets or class labels are outside their valid range."""


class BackwardBeforeForwardError(TwinnetInputError, RuntimeError):
    """``backward`` was called with no cached forward pass to differentiate."""


class ArgumentError(TwinnetInputError, ValueError):
    """An argument is out of range: a size below 1, a step that is not > 0, a non-finite rate."""


class ArgumentTypeError(TwinnetInputError, TypeError):
    """An argument has the wrong type, e.g. a float or a bool where a size must be an int."""


class ParameterFileError(TwinnetInputError, ValueError):
    """A file given to ``scratch.load`` is not a readable ``.npz`` of plain arrays."""
