# MLP 784-256-10 with ReLU and dropout on Fashion-MNIST, Adam with weight decay and a cosine
# learning-rate schedule (annealing to 0 over the run steadies the final test accuracy).
from common import load_fashion_mnist, parse_args, predict, tg, train

from tinygrad_ext import nn, optim


def main():
    args = parse_args("multilayer perceptron with dropout and weight decay", epochs=10, data=True)
    tg.manual_seed(0)
    train_iter, test_iter = load_fashion_mnist(256, args.data, args.quick)
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.2), nn.Linear(256, 10))
    loss = nn.CrossEntropyLoss(reduction="none")
    trainer = optim.Adam(net.parameters(), lr=2e-3, weight_decay=1e-5)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(trainer, T_max=args.epochs)
    train(net, train_iter, test_iter, loss, args.epochs, trainer, f"{args.out}/mlp.png", args.quick,
          scheduler=scheduler)
    predict(net, test_iter, 6, f"{args.out}/mlp_predict.png")


if __name__ == "__main__":
    main()
