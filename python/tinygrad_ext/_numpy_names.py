"""The numpy-style keyword names torch accepts as aliases wherever a function or Tensor method has
`dim` / `keepdim`: x.argmax(axis=1), tg.sum(x, axis=0, keepdims=True) (torch's argument parser maps
them; here a thin wrapper renames them for the functions and methods that take those parameters)."""
import functools

from ._C import Tensor
from ._out import accepts_keyword

ALIASES = {"axis": "dim", "keepdims": "keepdim"}


def with_numpy_names(fn):
    @functools.wraps(fn)
    def call(*args, **kwargs):
        if "axis" in kwargs or "keepdims" in kwargs:
            for alias, name in ALIASES.items():
                if alias in kwargs:
                    if name in kwargs:
                        raise TypeError(f"{fn.__name__}(): got both '{name}' and its alias '{alias}'")
                    kwargs[name] = kwargs.pop(alias)
        return fn(*args, **kwargs)
    call.aliases_of = fn  # what it wraps (tests/test_keyword_names.py reads the keywords from it)
    return call


def _wrap(owner, name, fn, setter):
    inner = getattr(fn, "out_of", fn)
    if getattr(fn, "aliases_of", None) is None and accepts_keyword(inner, "dim"):
        setter(name, with_numpy_names(fn))


def install(namespace):
    """Adds the aliases to the callables of a module namespace and to Tensor's methods."""
    for name, fn in list(namespace.items()):
        if not name.startswith("_") and callable(fn) and not isinstance(fn, type):
            _wrap(namespace, name, fn, namespace.__setitem__)
    for name in dir(Tensor):
        fn = getattr(Tensor, name, None)
        if not name.startswith("_") and callable(fn) and not isinstance(fn, (type, property)):
            _wrap(Tensor, name, fn, lambda n, f: setattr(Tensor, n, f))
