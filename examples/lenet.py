# LeNet on Fashion-MNIST (d2l chapter 7.6): the book's network (sigmoid + average pooling, SGD) and
# the modern variant (ReLU + max pooling, Adam with a cosine schedule), which reaches about 0.90
# test accuracy in 10 epochs.
import argparse

from common import load_fashion_mnist, parse_args, predict, tg, train

from tinygrad_ext import nn, optim


def lenet(nn, variant="modern"):
    """d2l's LeNet-5 on 1x28x28 inputs; `nn` is tinygrad_ext.nn or torch.nn (the tests build both)."""
    act, pool = (nn.ReLU, nn.MaxPool2d) if variant == "modern" else (nn.Sigmoid, nn.AvgPool2d)
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), act(), pool(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), act(), pool(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), act(),
        nn.Linear(120, 84), act(),
        nn.Linear(84, 10))


def init_xavier(m):
    """d2l initialises LeNet's conv and linear weights with Xavier-uniform."""
    if type(m) in (nn.Linear, nn.Conv2d):
        nn.init.xavier_uniform_(m.weight)


def main():
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--variant", choices=["modern", "classic"], default="modern",
                     help="modern (ReLU + max pooling, the default) or classic (the book's sigmoid + avg pooling)")
    variant, rest = pre.parse_known_args()
    args = parse_args("LeNet on Fashion-MNIST; --variant modern|classic", epochs=10, data=True, argv=rest)
    args.variant = variant.variant
    tg.manual_seed(0)
    train_iter, test_iter = load_fashion_mnist(256, args.data, args.quick)
    net = lenet(nn, args.variant)
    net.apply(init_xavier)
    tg.summary(net, (1, 28, 28))
    loss = nn.CrossEntropyLoss(reduction="none")
    if args.variant == "modern":
        trainer = optim.Adam(net.parameters(), lr=2e-3)
        scheduler = optim.lr_scheduler.CosineAnnealingLR(trainer, T_max=args.epochs)
    else:  # the book: plain SGD with a large learning rate (sigmoid layers learn slowly)
        trainer, scheduler = optim.SGD(net.parameters(), lr=0.9), None
    name = f"lenet_{args.variant}"
    train(net, train_iter, test_iter, loss, args.epochs, trainer, f"{args.out}/{name}.png", args.quick,
          scheduler=scheduler)
    predict(net, test_iter, 6, f"{args.out}/{name}_predict.png")


if __name__ == "__main__":
    main()
