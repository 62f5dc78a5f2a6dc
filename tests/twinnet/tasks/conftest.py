"""Short task runs shared by the tests of this folder (each is trained once per session)."""

import pytest

import torch_ref
from twinnet.tasks import digits_cnn, iris_mlp, run_task

DIGITS_STEPS = 50  # the bar: the digits CNN must stay in lockstep for 50 steps
DIGITS_SUBSET = 256  # training samples drawn from (4 batches of 64); accuracy uses all of them
IRIS_STEPS = 50


def _capturing(build, store):
    """A ``build`` for run_task that also keeps a torch copy of the untrained model."""
    def wrapped(rng, dtype):
        model = build(rng, dtype)
        store["initial_twin"] = torch_ref.to_torch(model)
        return model
    return wrapped


@pytest.fixture(scope="session")
def digits_run():
    store = {}
    run = run_task("digits", steps=DIGITS_STEPS, seed=0, train_limit=DIGITS_SUBSET,
                   build=_capturing(digits_cnn, store))
    return run, store["initial_twin"]


@pytest.fixture(scope="session")
def iris_run():
    store = {}
    run = run_task("iris", steps=IRIS_STEPS, seed=0, build=_capturing(iris_mlp, store))
    return run, store["initial_twin"]
