"""The character-level language model's helpers (Dinosaur Island).   notes §5.1, §5.1.3

``clip`` bounds the gradients against exploding gradients; ``sample`` draws a name from a
trained RNN, feeding each sampled character back as the next input. Thin wrappers: the
clipping is ``deepspec.optim.clip_grad_value``, a step is the ``RNN`` Function (one step)
and ``Linear``, and the draw is ``deepspec.text.sample``, which samples from softmax(logits).
"""

from __future__ import annotations

from ..backend import rng as make_rng
from ..backend import xp
from ..ops.basic import Linear
from ..ops.recurrent import RNN
from ..optim.clip import clip_grad_value
from ..tensor import Tensor
from ..text.sampling import sample as sample_ids
from .activations import as_float

MAX_CHARACTERS = 50  # the assignment's cap on a sampled name


def clip(gradients: dict, maxValue: float) -> dict:
    """Every gradient entry clipped into [-maxValue, maxValue].   notes §5.1 (exploding gradients)

    Returns a new dict of new arrays, with the keys of ``gradients`` (which is left untouched;
    the assignment clips in place). The clipping is ``clip_grad_value`` on the arrays.
    """
    if not isinstance(gradients, dict):
        raise TypeError(f"clip: gradients should be a dict, got {type(gradients).__name__}")
    if not maxValue > 0:  # NaN fails too
        raise ValueError(f"clip: maxValue should be > 0, got {maxValue}")
    holders = {}
    for key, gradient in gradients.items():
        gradient = xp.asarray(gradient)
        holder = Tensor(gradient)  # clip_grad_value clips a tensor's .grad into a new array
        holder.grad = gradient
        holders[key] = holder
    clip_grad_value(list(holders.values()), maxValue)
    return {key: holder.grad for key, holder in holders.items()}


def sample(parameters: dict, char_to_ix: dict, seed) -> list:
    """Sample a sequence of character indices from the RNN.   notes §5.1.3 (sampling)

    From x<1> = 0 and a<0> = 0:  a<t> = tanh(Wax x<t> + Waa a<t-1> + b),
    y<t> = softmax(Wya a<t> + by);  draw idx ~ y<t>, x<t+1> = one_hot(idx). Stops after the
    newline character ``char_to_ix["\\n"]`` or after 50 characters, when a newline is
    appended (as the assignment; none is added twice). ``parameters``: Wax (n_a, vocab),
    Waa (n_a, n_a), Wya (vocab, n_a), b (or ba) (n_a, 1), by (vocab, 1). ``seed``: an int or
    a Generator; the same seed gives the same indices. Returns the list of ints.
    """
    op = "sample"
    if not isinstance(parameters, dict):
        raise TypeError(f"{op}: parameters should be a dict, got {type(parameters).__name__}")
    b_key = "b" if "b" in parameters else "ba"
    missing = [k for k in ("Wax", "Waa", "Wya", "by", b_key) if k not in parameters]
    if missing:
        raise ValueError(f"{op}: parameters should hold Wax, Waa, Wya, b (or ba) and by, "
                         f"missing {missing}")
    Wax, Waa, Wya, by, b = (as_float(parameters[k]) for k in ("Wax", "Waa", "Wya", "by", b_key))
    if "\n" not in char_to_ix:
        raise ValueError(f"{op}: char_to_ix should map the newline character '\\n'")
    vocab_size, n_a = xp.shape(by)[0], xp.shape(Waa)[-1]
    for name, array, want in (("Wax", Wax, (n_a, vocab_size)), ("Waa", Waa, (n_a, n_a)),
                              ("Wya", Wya, (vocab_size, n_a)), (b_key, b, (n_a, 1)),
                              ("by", by, (vocab_size, 1))):
        if array.shape != want:
            raise ValueError(f"{op}: {name} should have shape {want} to match by "
                             f"{by.shape} and Waa {Waa.shape}, got {array.shape}")
    newline, rng = int(char_to_ix["\n"]), make_rng(seed)
    W_x, W_a, b = Wax.T, Waa.T, b.reshape(-1)
    dtype = xp.result_type(Wax, Waa, b)
    x, a = xp.zeros((1, 1, vocab_size), dtype=dtype), xp.zeros((1, n_a), dtype=dtype)
    indices = []
    while len(indices) < MAX_CHARACTERS and (not indices or indices[-1] != newline):
        a = RNN().forward(x, W_x, W_a, b, a, activation="tanh", mask=None, op=op)[:, 0]
        z = Linear().forward(a, Wya, by.reshape(-1))  # y = softmax(z), drawn by sample_ids
        idx = int(sample_ids(z, seed=rng)[0])
        indices.append(idx)
        x = xp.zeros_like(x)
        x[0, 0, idx] = 1
    if indices[-1] != newline:
        indices.append(newline)
    return indices
