# ResNet-18 on Fashion-MNIST (d2l chapter 7.6 "Residual Networks", 8.6 in the current edition),
# adapted to 1x28x28 inputs: the stem is a 3x3 convolution (stride 1) and a 3x3 max pool, so the four
# residual stages see 14x14, 7x7, 4x4 and 2x2 feature maps (the book resizes the images to 96x96 and
# uses a 7x7 stride-2 stem). The book's settings: SGD with lr 0.05, batch 256, 10 epochs, no schedule
# (the layers keep torch's default initialisation).
from common import load_fashion_mnist, parse_args, predict, tg, train

from tinygrad_ext import nn, optim


def resnet18(nn, num_classes=10):
    """d2l's ResNet-18 with batch normalization; `nn` is tinygrad_ext.nn or torch.nn (the tests build both)."""
    F = nn.functional

    class Residual(nn.Module):
        """Two 3x3 conv + batch norm layers with a shortcut (a 1x1 conv when the shape changes)."""

        def __init__(self, input_channels, num_channels, use_1x1conv=False, strides=1):
            super().__init__()
            self.conv1 = nn.Conv2d(input_channels, num_channels, kernel_size=3, padding=1, stride=strides)
            self.conv2 = nn.Conv2d(num_channels, num_channels, kernel_size=3, padding=1)
            self.conv3 = nn.Conv2d(input_channels, num_channels, kernel_size=1, stride=strides) if use_1x1conv else None
            self.bn1 = nn.BatchNorm2d(num_channels)
            self.bn2 = nn.BatchNorm2d(num_channels)

        def forward(self, X):
            Y = F.relu(self.bn1(self.conv1(X)))
            Y = self.bn2(self.conv2(Y))
            if self.conv3 is not None:
                X = self.conv3(X)
            Y += X
            return F.relu(Y)

    def resnet_block(input_channels, num_channels, num_residuals, first_block=False):
        blk = []
        for i in range(num_residuals):
            if i == 0 and not first_block:
                blk.append(Residual(input_channels, num_channels, use_1x1conv=True, strides=2))
            else:
                blk.append(Residual(num_channels, num_channels))
        return nn.Sequential(*blk)

    b1 = nn.Sequential(nn.Conv2d(1, 64, kernel_size=3, stride=1, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
                       nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    return nn.Sequential(b1, resnet_block(64, 64, 2, first_block=True), resnet_block(64, 128, 2),
                         resnet_block(128, 256, 2), resnet_block(256, 512, 2),
                         nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(512, num_classes))


def main():
    args = parse_args("ResNet-18 with batch normalization on Fashion-MNIST (1x28x28)", epochs=10, data=True)
    tg.manual_seed(0)
    # --quick: 128 training and 64 test images (a ResNet-18 pass costs about 0.1 GFLOP per image).
    train_iter, test_iter = load_fashion_mnist(32 if args.quick else 256, args.data, args.quick, n_train=128, n_test=64)
    net = resnet18(nn)
    tg.summary(net, (1, 28, 28))
    loss = nn.CrossEntropyLoss(reduction="none")
    trainer = optim.SGD(net.parameters(), lr=0.05)  # the book's learning rate
    train(net, train_iter, test_iter, loss, args.epochs, trainer, f"{args.out}/resnet.png", args.quick)
    predict(net, test_iter, 6, f"{args.out}/resnet_predict.png")


if __name__ == "__main__":
    main()
