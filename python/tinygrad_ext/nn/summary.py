"""summary(model, input_size): a torchsummary-style table of layers, output shapes and parameter counts."""
import tinygrad_ext as tg
from .modules.container import ModuleList, Sequential

_LINE = "-" * 64
_DOUBLE = "=" * 64
_ROW = "{:>20}  {:>25} {:>15}"


def _shape_with_batch(t, batch_size):
    shape = list(t.shape)
    if shape:
        shape[0] = batch_size
    return shape


def summary(model, input_size, batch_size=-1, device=None, dtypes=None, print_fn=print):
    """Runs a forward pass on random inputs of shape (2, *input_size) with hooks on every sub-module
    (not Sequential/ModuleList containers, nor the model itself), prints the table and returns a dict
    with 'layers' [(name, output_shape, params)], the parameter totals and the size estimates in MB
    (4 bytes per number; forward/backward counts each layer output twice, for its gradient)."""
    sizes = [tuple(input_size)] if isinstance(input_size, tuple) else [tuple(s) for s in input_size]
    if sizes and isinstance(sizes[0], tuple) and sizes[0] and not isinstance(sizes[0][0], int):
        raise TypeError(f"summary: input_size must be a tuple of ints or a list of such tuples, got {input_size!r}")
    dtypes = dtypes or [tg.float32] * len(sizes)
    layers = []
    handles = []

    def hook(module, args, output):
        outs = output if isinstance(output, (list, tuple)) else [output]
        shapes = [_shape_with_batch(o, batch_size) for o in outs if isinstance(o, tg.Tensor)]
        shape = shapes[0] if len(shapes) == 1 else shapes
        own = list(module.parameters(recurse=False))
        n_params = sum(p.numel() for p in own)
        trainable = sum(p.numel() for p in own if p.requires_grad)
        layers.append((f"{type(module).__name__}-{len(layers) + 1}", shape, n_params, trainable))

    for m in model.modules():
        if m is not model and not isinstance(m, (Sequential, ModuleList)):
            handles.append(m.register_forward_hook(hook))
    try:
        xs = [tg.rand(2, *s, dtype=dt) for s, dt in zip(sizes, dtypes)]
        with tg.no_grad():
            model(*xs)
    finally:
        for h in handles:
            h.remove()

    def numel(shape):
        if shape and isinstance(shape[0], list):
            return sum(numel(s) for s in shape)
        n = 1
        for s in shape:
            n *= s
        return n

    total_params = sum(l[2] for l in layers)
    trainable_params = sum(l[3] for l in layers)
    total_output = sum(numel(l[1]) for l in layers)
    mb = 1024.0 ** 2
    input_mb = abs(sum(numel(list(s)) for s in sizes) * batch_size * 4.0 / mb)
    fwd_bwd_mb = abs(2.0 * total_output * 4.0 / mb)
    params_mb = abs(total_params * 4.0 / mb)
    total_mb = input_mb + fwd_bwd_mb + params_mb

    lines = [_LINE, _ROW.format("Layer (type)", "Output Shape", "Param #"), _DOUBLE]
    lines += [_ROW.format(name, str(shape), f"{n:,}") for name, shape, n, _ in layers]
    lines += [_DOUBLE, f"Total params: {total_params:,}", f"Trainable params: {trainable_params:,}",
              f"Non-trainable params: {total_params - trainable_params:,}", _LINE,
              f"Input size (MB): {input_mb:0.2f}", f"Forward/backward pass size (MB): {fwd_bwd_mb:0.2f}",
              f"Params size (MB): {params_mb:0.2f}", f"Estimated Total Size (MB): {total_mb:0.2f}", _LINE]
    if print_fn is not None:
        print_fn("\n".join(lines))
    return {
        "layers": [(name, shape, n) for name, shape, n, _ in layers],
        "total_params": total_params,
        "trainable_params": trainable_params,
        "non_trainable_params": total_params - trainable_params,
        "input_size_mb": input_mb,
        "forward_backward_size_mb": fwd_bwd_mb,
        "params_size_mb": params_mb,
        "total_size_mb": total_mb,
    }
