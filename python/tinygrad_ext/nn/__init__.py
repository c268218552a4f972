"""tg.nn: modules, Parameter, functional, init and summary (mirrors torch.nn)."""
from .parameter import Parameter
from .modules import *  # noqa: F401,F403
from . import functional, init
from .summary import summary
from . import parallel  # noqa: E402  (tg.nn.parallel.DistributedDataParallel)
