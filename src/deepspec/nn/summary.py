"""A Keras-style summary: each layer's output shape and parameter count.

The shapes come from one forward pass on zeros of shape (1, *input_shape), run without a
graph (``no_grad``) and in training mode (a batch norm layer needs no running statistics
then). That pass must not change the model: the buffers (batch norm's running statistics and
step counts), every random generator's state (dropout) and each module's mode are saved
before and restored after, even when the pass fails.
"""

from __future__ import annotations

from ..backend import get_default_dtype, xp
from ..tensor import Tensor, no_grad
from .containers import Sequential
from .module import Module


def _layer_rows(module: Module, name: str, depth: int) -> list[tuple[str, int, Module]]:
    """(name, depth, module) in the order a forward pass visits them: a Sequential is opened
    (its layers indented under it), any other module is one row."""
    if not isinstance(module, Sequential):
        return [(name, depth, module)]
    rows = []
    for i, layer in enumerate(module.layers):
        rows += _layer_rows(layer, f"{name}.{i}" if name else str(i), depth + 1)
    return rows


def _generators(model: Module) -> list:
    """Every numpy Generator a module holds (dropout's masks), each once."""
    found = {}
    for module in model.modules():
        for value in vars(module).values():
            if isinstance(value, xp.random.Generator):
                found[id(value)] = value
    return list(found.values())


def _count(module: Module) -> tuple[int, int]:
    params = module.parameters()
    total = sum(p.data.size for p in params)
    return total, sum(p.data.size for p in params if p.requires_grad)


def _forward(model: Module, rows, A: Tensor) -> list:
    """Run the leaves of ``rows`` in order on A, recording each output's shape; a model that
    is not a Sequential is run whole, as its own single row."""
    shapes = []
    for name, _, layer in rows:
        try:
            A = layer(A)
        except (ValueError, TypeError, RuntimeError) as error:
            raise type(error)(f"summary: layer {name or '(model)'} ({type(layer).__name__}) "
                              f"failed on input of shape {A.shape}: {error}") from error
        shapes.append(tuple(A.shape[1:]))
    return shapes


def summary(model: Module, input_shape, *, print_fn=print, dtype=None) -> list[dict]:
    """Print (and return) each layer's output shape and parameter count, Keras-style.

    Args:
        model: any Module; a Sequential shows one row per layer (nested Sequentials opened
            and indented; blocks such as ConvBlock are one row each).
        input_shape: one example's shape, without the batch axis, e.g. (28, 28, 1).
        print_fn: called with each line of the table (None prints nothing).
        dtype: of the zeros fed in (default: the default float dtype; an integer dtype for
            models that start with an Embedding).

    Returns a list of rows ``{"name", "layer", "depth", "output_shape", "params",
    "trainable"}``; output shapes exclude the batch axis. Buffers (running statistics) are
    not parameters: they are counted on a separate line.
    """
    if not isinstance(model, Module):
        raise TypeError(f"summary: model should be a Module, got {type(model).__name__}")
    try:
        input_shape = tuple(int(n) for n in input_shape)
    except (TypeError, ValueError):
        raise ValueError(f"summary: input_shape should be a tuple of ints (without the batch "
                         f"axis), got {input_shape!r}") from None
    rows = _layer_rows(model, "", 0) if isinstance(model, Sequential) else [("", 0, model)]
    X = Tensor(xp.zeros((1, *input_shape), dtype=dtype or get_default_dtype()))

    buffers = {name: xp.array(value) for name, value in model.named_buffers()}
    generators = [(g, g.bit_generator.state) for g in _generators(model)]
    modes = [(module, module.training) for module in model.modules()]
    try:
        model.train()
        with no_grad():
            shapes = _forward(model, rows, X)
    finally:
        for module, mode in modes:
            module.training = mode
        for generator, state in generators:
            generator.bit_generator.state = state
        model.load_state_dict(buffers, strict=False)

    table = []
    for (name, depth, layer), shape in zip(rows, shapes):
        total, trainable = _count(layer)
        table.append({"name": name or type(layer).__name__.lower(), "layer": type(layer).__name__,
                      "depth": depth, "output_shape": shape, "params": total,
                      "trainable": trainable})
    if print_fn is not None:
        _print(model, table, input_shape, buffers, print_fn)
    return table


def _print(model: Module, table: list[dict], input_shape, buffers: dict, print_fn) -> None:
    labels = [("  " * max(row["depth"] - 1, 0)) + f"{row['name']} ({row['layer']})"
              for row in table]
    shapes = [str((None, *row["output_shape"])) for row in table]
    counts = [f"{row['params']:,}" for row in table]
    w1 = max([len(s) for s in labels] + [len("Layer (type)")]) + 2
    w2 = max([len(s) for s in shapes] + [len("Output shape")]) + 2
    w3 = max([len(s) for s in counts] + [len("Params")])
    width = w1 + w2 + w3
    total, trainable = _count(model)
    n_buffer = sum(v.size for v in buffers.values() if v.ndim)  # step counts are not stats
    print_fn(f"{type(model).__name__}: input {(None, *input_shape)}")
    print_fn("=" * width)
    print_fn(f"{'Layer (type)':<{w1}}{'Output shape':<{w2}}{'Params':>{w3}}")
    print_fn("=" * width)
    for label, shape, count in zip(labels, shapes, counts):
        print_fn(f"{label:<{w1}}{shape:<{w2}}{count:>{w3}}")
    print_fn("=" * width)
    print_fn(f"Total params: {total:,}")
    print_fn(f"Trainable params: {trainable:,}")
    print_fn(f"Non-trainable params: {total - trainable:,}")
    if n_buffer:
        print_fn(f"Buffers (running statistics, not parameters): {n_buffer:,}")
