"""compare: run scratch and its torch twin on the same data and judge every number."""

from .lockstep import LockstepDivergence, LockstepResult, assert_lockstep, lockstep

__all__ = ["LockstepDivergence", "LockstepResult", "assert_lockstep", "lockstep"]
