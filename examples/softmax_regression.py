# Concise softmax regression on Fashion-MNIST: Flatten + Linear(784, 10), CrossEntropyLoss, optim.SGD(lr=0.1).
from common import load_fashion_mnist, parse_args, predict, tg, train

from tinygrad_ext import nn, optim


def init_weights(m):
    if type(m) == nn.Linear:
        nn.init.normal_(m.weight, std=0.01)


def main():
    args = parse_args("concise softmax regression", epochs=10, data=True)
    tg.manual_seed(0)
    train_iter, test_iter = load_fashion_mnist(256, args.data, args.quick)
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    net.apply(init_weights)
    loss = nn.CrossEntropyLoss(reduction="none")
    trainer = optim.SGD(net.parameters(), lr=0.1)
    train(net, train_iter, test_iter, loss, args.epochs, trainer, f"{args.out}/softmax_regression.png", args.quick)
    predict(net, test_iter, 6, f"{args.out}/softmax_regression_predict.png")


if __name__ == "__main__":
    main()
