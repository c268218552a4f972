# Loss functions on small tensors: CrossEntropyLoss(sum), BCELoss, L1Loss, MSELoss, SmoothL1Loss, with gradients.
from common import parse_args, tg

from tinygrad_ext import nn


def show(name, loss_fn, inp, target):
    x = inp.clone().requires_grad_(True)
    l = loss_fn(x, target)
    l.backward()
    print(f"{name}: loss = {l.item():.6f}")
    print(f"{name}: grad = {x.grad.tolist()}")


def main():
    parse_args("loss values and gradients", epochs=1)
    logits = tg.tensor([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3], [1.2, 0.2, 3.1]])
    classes = tg.tensor([0, 1, 2])
    show("CrossEntropyLoss", nn.CrossEntropyLoss(reduction="sum"), logits, classes)
    probs = tg.tensor([0.8, 0.3, 0.6, 0.1])
    show("BCELoss", nn.BCELoss(), probs, tg.tensor([1.0, 0.0, 1.0, 0.0]))
    y_hat = tg.tensor([1.0, 2.5, -0.3, 4.0])
    y = tg.tensor([1.5, 2.0, 0.4, 1.0])
    show("L1Loss", nn.L1Loss(), y_hat, y)
    show("MSELoss", nn.MSELoss(), y_hat, y)
    show("SmoothL1Loss", nn.SmoothL1Loss(), y_hat, y)


if __name__ == "__main__":
    main()
