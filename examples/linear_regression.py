# Linear regression twice: from scratch (the README's functions) and concise (nn.Linear, MSELoss, optim.SGD).
import random

from common import parse_args, plt, savefig, tg
from linear_regression_scratch import data_iter, linreg, sgd, squared_loss, synthetic_data

from tinygrad_ext import nn, optim
from tinygrad_ext.utils import data


def scratch(features, labels, epochs, lr=0.03, batch_size=10):
    w = tg.normal(0, 0.01, size=(2, 1), requires_grad=True)
    b = tg.zeros(1, requires_grad=True)
    losses = []
    for epoch in range(epochs):
        for X, y in data_iter(batch_size, features, labels):
            l = squared_loss(linreg(X, w, b), y)
            l.sum().backward()
            sgd([w, b], lr, batch_size)
        with tg.no_grad():
            losses.append(squared_loss(linreg(features, w, b), labels).mean().item())
            print(f"epoch {epoch + 1}, loss {losses[-1]:f}")
    return w.detach().reshape(-1), b.detach(), losses


def concise(features, labels, epochs, loss, lr=0.03, batch_size=10):
    data_loader = data.DataLoader(data.TensorDataset(features, labels), batch_size, shuffle=True)
    net = nn.Sequential(nn.Linear(2, 1))
    net[0].weight.data.normal_(0, 0.01)
    net[0].bias.data.fill_(0)
    trainer = optim.SGD(net.parameters(), lr=lr)
    losses = []
    for epoch in range(epochs):
        for X, y in data_loader:
            l = loss(net(X), y)
            trainer.zero_grad()
            l.backward()
            trainer.step()
        with tg.no_grad():
            losses.append(loss(net(features), labels).item())
        print(f"epoch {epoch + 1}, loss {losses[-1]:f}")
    return net, losses


def report(name, true_w, true_b, w, b, loss):
    print(f"error in estimating w: {(true_w - w.reshape(true_w.shape)).tolist()}")
    print(f"error in estimating b: {true_b - b.item()}")
    print(f"{name}: w = {w.reshape(-1).tolist()}, b = {b.item()}, loss = {loss}")


def main():
    args = parse_args("linear regression from scratch and with tg.nn / tg.optim", epochs=3)
    tg.manual_seed(0)
    random.seed(0)
    true_w, true_b = tg.tensor([2, -3.4]), 4.2
    features, labels = synthetic_data(true_w, true_b, 1000)

    print("== from scratch")
    w, b, scratch_losses = scratch(features, labels, args.epochs)
    report("scratch", true_w, true_b, w, b, scratch_losses[-1])

    curves = {"scratch (squared_loss / 2)": scratch_losses}
    for name, loss in [("MSELoss", nn.MSELoss()), ("SmoothL1Loss", nn.SmoothL1Loss(beta=0.5))]:
        print(f"== concise with nn.{name}")
        net, losses = concise(features, labels, args.epochs, loss)
        report(name, true_w, true_b, net[0].weight.data, net[0].bias.data, losses[-1])
        print(f"net[0].weight.grad: {net[0].weight.grad.tolist()}")
        curves[name] = losses

    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    for name, losses in curves.items():
        ax.semilogy(range(1, len(losses) + 1), losses, "o-", label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss")
    ax.legend()
    savefig(fig, args.out, "linear_regression.png")


if __name__ == "__main__":
    main()
