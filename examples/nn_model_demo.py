"""A three-Linear model written as for torch: init, forward, printing, named parameters and summary."""
import tinygrad_ext as tg
import tinygrad_ext.nn as nn


class ModelDemo(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear1 = nn.Linear(3, 3)
        self.linear2 = nn.Linear(3, 3)
        self.linear3 = nn.Linear(3, 2)
        nn.init.xavier_uniform_(self.linear1.weight)
        nn.init.kaiming_uniform_(self.linear2.weight, nonlinearity="relu")

    def forward(self, x):
        x = tg.sigmoid(self.linear1(x))
        x = tg.relu(self.linear2(x))
        return nn.functional.softmax(self.linear3(x), dim=1)


if __name__ == "__main__":
    tg.manual_seed(0)
    model = ModelDemo()
    print(model)
    print(model(tg.randn(5, 3)))
    for name, p in model.named_parameters():
        print(name, tuple(p.shape))
    print(model.linear3.bias)
    tg.summary(model, (3,))
    loss = nn.CrossEntropyLoss()(model.linear3(tg.randn(5, 3)), tg.tensor([0, 1, 1, 0, 1]))
    loss.backward()
    print("loss", loss.item(), "grad norm", model.linear3.weight.grad.abs().sum().item())
