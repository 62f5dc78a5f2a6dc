"""The lecture's code cells, pasted verbatim, run against scratch with only the import changed."""

import numpy as np

CELL_85 = """
from scratch import Net

model = Net(2, 3)
model.l1.W = np.array([[1.0,-1.0,3.0],[2.0,2.0,-1.0]])
model.l2.W = np.array([[0.1],[0.5],[-0.1]])

x = np.array([5.0, 3.0])[np.newaxis,...]
x_label = 1

# forward
out = model.predict(x)

# backward
loss = model.backward(label=x_label)

print('loss: {}'.format(loss))
print('W grad: {}'.format(model.l1.W_grad))
print('V grad: {}'.format(model.l2.W_grad))
"""

CELL_95 = """
loss = []
score = []
for i in range(100):
    out = model.predict(x)
    loss.append(model.backward(label=1)) # 1 for positive, 0 for negative
    model.grad_step(lr=1e-1)
    score.append(out)
"""

# The lecture's printout of cell [85], verbatim.
PRINTED_85 = """loss: [[0.52699227]]
W grad: [[-3.42057777e-06 -2.01341432e-01  1.25838681e-06]
 [-2.05234666e-06 -1.20804859e-01  7.55032084e-07]]
V grad: [[-0.40961516]
 [-0.29945768]
 [-0.40961948]]
"""


def test_cell_85_prints_what_the_lecture_prints(capsys):
    exec(CELL_85, {"np": np})
    assert capsys.readouterr().out == PRINTED_85


def test_cell_95_trains_the_net_towards_zero_loss():
    ns = {"np": np}
    exec(CELL_85, ns)
    exec(CELL_95, ns)
    losses = np.array(ns["loss"]).squeeze()
    scores = np.array(ns["score"]).squeeze()
    assert losses.shape == (100,) and scores.shape == (100,)
    assert losses[-1] < 0.05 < losses[0]
    assert scores[-1] > 0.95
