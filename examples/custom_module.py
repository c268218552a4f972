# A custom nn.Module: three Linear layers, xavier/kaiming init, sigmoid/relu/softmax; model, parameters, summary.
from common import parse_args, tg

from tinygrad_ext import nn
import tinygrad_ext.nn.functional as F


class Net(nn.Module):
    def __init__(self, n_in=8, n_hidden1=6, n_hidden2=4, n_out=3):
        super().__init__()
        self.fc1 = nn.Linear(n_in, n_hidden1)
        self.fc2 = nn.Linear(n_hidden1, n_hidden2)
        self.fc3 = nn.Linear(n_hidden2, n_out)
        nn.init.xavier_uniform_(self.fc1.weight)  # sigmoid layer: keep the variance of activations
        nn.init.kaiming_normal_(self.fc2.weight, nonlinearity="relu")  # relu layer: He init
        nn.init.xavier_normal_(self.fc3.weight)
        for fc in (self.fc1, self.fc2, self.fc3):
            nn.init.zeros_(fc.bias)

    def forward(self, x):
        x = tg.sigmoid(self.fc1(x))
        x = tg.relu(self.fc2(x))
        return F.softmax(self.fc3(x), dim=1)


def main():
    parse_args("a custom nn.Module", epochs=1)
    tg.manual_seed(0)
    net = Net()
    print(net)
    for name, p in net.named_parameters():
        print(f"{name}: shape {tuple(p.shape)}, requires_grad {p.requires_grad}, std {p.detach().numpy().std():.4f}")
    total = sum(p.numel() for p in net.parameters())
    print(f"total parameters: {total}")
    out = net(tg.randn(2, 8))
    print(f"output rows sum to {out.sum(dim=1).tolist()}")
    tg.summary(net, (8,))


if __name__ == "__main__":
    main()
