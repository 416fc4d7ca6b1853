"""Character-level language models: new first names, and text in Shakespeare's manner.
notes §5.1 (course 5, week 1: "Sampling novel sequences", "Character-level language model";
the "Dinosaur Island" and "Writing like Shakespeare" assignments)

``deepspec run char-lm-names`` trains an LSTM on the 1990 US census first names and samples
new ones; ``deepspec run char-lm-shakespeare`` trains a 2-layer LSTM on the sonnets and
continues a prompt. Both report held-out perplexity (a fixed 10% of the names, or of the
text's pieces, whatever the seed) beside an add-k character bigram's on exactly the same
held-out characters. The bigram's k is picked from a grid on the held-out split itself, the
baseline's best case, so the LSTM's margin is, if anything, understated.

``char-lm-names`` trains in 10-30 s on two cores (its defaults are the tour's);
``char-lm-shakespeare`` in about 2 minutes (more where other jobs share the cores).
"""

from __future__ import annotations

import sys

import numpy as np
from tqdm import tqdm

from .. import data
from ..io import save as save_checkpoint
from ..optim import Adam, clip_grad_norm, exponential
from ..text import EOS, PAD, Vocabulary, lengths_to_mask, sequence_batches
from .base import Option, Recipe
from .char_lm_model import (
    CharLM,
    cross_entropy,
    generate,
    perplexity,
    sequence_loss,
    tune_bigram,
)
from .plots import check_plot

SPLIT_SEED = 0      # the held-out split is the same whatever the run's seed
HELD_OUT = 0.1      # fraction of names (or text chunks) held out


def split(items: list, fraction: float = HELD_OUT, seed: int = SPLIT_SEED):
    """(train, held_out): a seeded random ``fraction`` of ``items`` held out."""
    order = np.random.default_rng(seed).permutation(len(items))
    n_held = max(1, round(fraction * len(items)))
    return [items[i] for i in order[n_held:]], [items[i] for i in order[:n_held]]


def train(model: CharLM, sequences, *, epochs: int, batch_size: int, learning_rate: float,
          decay: float = 1.0, max_norm: float = 5.0, seed=0, quiet: bool = False,
          on_epoch=None) -> list[float]:
    """Adam on the masked per-character cross-entropy, gradients clipped to norm ``max_norm``
    (exploding gradients, notes §5.1.4), learning rate decay^epoch * learning_rate (§2.4.7).
    Returns each epoch's mean training cost. ``on_epoch(epoch, cost)`` runs after each epoch
    (samples, held-out perplexity)."""
    optimizer = Adam(model.parameters(), learning_rate=learning_rate)
    schedule = exponential(learning_rate, decay)
    rng = np.random.default_rng(seed)
    steps = -(-len(sequences) // batch_size)
    costs = []
    model.train()
    for epoch in range(epochs):
        optimizer.learning_rate = schedule(epoch)
        total = count = 0.0
        with tqdm(total=steps, desc=f"Epoch {epoch + 1}/{epochs}", unit="batch",
                  file=sys.stderr, disable=quiet, leave=False) as bar:
            for ids, lengths in sequence_batches(sequences, batch_size, pad_id=model.pad_id,
                                                 seed=rng, sort_by_length=True):
                inputs, targets = ids[:, :-1], ids[:, 1:]
                mask = lengths_to_mask(lengths - 1, inputs.shape[1])
                optimizer.zero_grad()
                J = sequence_loss(model, inputs, targets, mask)
                J.backward()
                clip_grad_norm(model.parameters(), max_norm)
                optimizer.step()
                n = float(mask.sum())
                total, count = total + float(J.data) * n, count + n
                bar.update(1)
                bar.set_postfix(cost=f"{total / count:.4f}", refresh=False)
        costs.append(total / count)
        if on_epoch is not None:
            on_epoch(epoch, costs[-1])
    model.eval()
    return costs



def _experiment(name: str, model: CharLM, vocab: Vocabulary, train_set, held_set, *,
                epochs: int, batch_size: int, learning_rate: float, decay: float, seed: int,
                quiet: bool, show, header: str) -> tuple[dict, dict]:
    """What both recipes share: the tuned bigram, training with a line per epoch (perplexities
    and ``show(rng)``, a sample), and the final perplexities. Returns (results, curves)."""
    bigram = tune_bigram(train_set, held_set, len(vocab), pad_id=vocab.pad_id)
    bigram_cost = bigram.cross_entropy(held_set)[0]
    sample_rng = np.random.default_rng([seed, 2])
    held_costs = []

    def report(epoch, cost):
        held_costs.append(cross_entropy(model, held_set)[0])
        if not quiet:
            print(f"epoch {epoch + 1:>2}/{epochs}  training perplexity {perplexity(cost):.3f}"
                  f"  held-out {perplexity(held_costs[-1]):.3f}  {show(sample_rng)}")

    if not quiet:
        print(f"{name}: {header}; vocabulary {len(vocab)}; bigram (k={bigram.k:g}) held-out "
              f"perplexity {perplexity(bigram_cost):.3f}")
    train_costs = train(model, train_set, epochs=epochs, batch_size=batch_size,
                        learning_rate=learning_rate, decay=decay,
                        seed=np.random.default_rng([seed, 1]), quiet=quiet, on_epoch=report)
    held_cost, n_chars = cross_entropy(model, held_set)
    results = {
        "perplexity": round(perplexity(held_cost), 4),
        "bigram_perplexity": round(perplexity(bigram_cost), 4),
        "improvement": round(perplexity(bigram_cost) / perplexity(held_cost), 4),
        "train_perplexity": round(perplexity(cross_entropy(model, train_set)[0]), 4),
        "epochs": epochs,
        "held_out_characters": n_chars,
        "bigram_k": bigram.k,
    }
    return results, {"train": train_costs, "held_out": held_costs, "bigram": bigram_cost}


def _finish(name: str, model: CharLM, vocab: Vocabulary, results: dict, curves: dict, save,
            plot) -> dict:
    """Save the model (vocabulary and config in its metadata) and plot the curves if asked."""
    if save is not None:
        save_checkpoint(model, save, metadata={"vocab": vocab.to_json(), "recipe": name,
                                               "config": model.config(), **results})
    if plot is not None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        epochs = np.arange(1, len(curves["train"]) + 1)
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.plot(epochs, np.exp(curves["train"]), label="LSTM, training (during the epoch)")
        ax.plot(epochs, np.exp(curves["held_out"]), label="LSTM, held out")
        ax.axhline(np.exp(curves["bigram"]), color="gray", linestyle="--",
                   label="add-k bigram, held out")
        ax.set(xlabel="epoch", ylabel="perplexity per character", title=name)
        ax.legend()
        fig.tight_layout()
        fig.savefig(plot)
        plt.close(fig)
    return results


# ---------------------------------------------------------------------------- names
def names_data(names):
    """The vocabulary (<pad>, <eos>, letters) and ``[<pad>, c1 .. cn, <eos>]`` per name."""
    vocab = Vocabulary.build(names, level="char", specials=(PAD, EOS))
    return vocab, [[vocab.pad_id, *vocab.encode(name).tolist(), vocab.eos_id] for name in names]


def sample_names(model: CharLM, vocab: Vocabulary, n: int, *, temperature: float = 1.0,
                 max_len: int = 20, seed=0) -> list[str]:
    """``n`` names drawn letter by letter from x<1> = 0 until <eos> (or ``max_len`` letters)."""
    rows = generate(model, [vocab.pad_id], n, max_len=max_len, end_id=vocab.eos_id,
                    temperature=temperature, seed=seed)
    return [vocab.decode(row) for row in rows]


def run_names(seed: int = 0, epochs: int | None = None, quiet: bool = False, save=None,
              plot=None, *, hidden: int = 128, embedding: int = 32, layers: int = 1,
              batch_size: int = 64, learning_rate: float = 5e-3, decay: float = 0.9,
              temperature: float = 1.0, max_names: int | None = None, names=None) -> dict:
    """Train a character LSTM on first names; sample new ones.

    ``names`` (a list of strings) replaces the census lists (tests); ``max_names`` keeps that
    many, chosen at random with the split's seed.
    """
    check_plot(plot)
    epochs = 15 if epochs is None else epochs
    names = sorted(set(data.load_names() if names is None else names))
    if max_names is not None and max_names < len(names):
        keep = np.random.default_rng(SPLIT_SEED).choice(len(names), max_names, replace=False)
        names = [names[i] for i in sorted(keep)]
    if len(names) < 10:
        raise ValueError(f"char-lm-names: need at least 10 distinct names, got {len(names)}")
    vocab, sequences = names_data(names)
    train_ids, held_ids = split(list(range(len(names))))
    train_set, held_set = [sequences[i] for i in train_ids], [sequences[i] for i in held_ids]
    train_names = {names[i] for i in train_ids}
    model = CharLM(len(vocab), hidden, n_e=embedding or None, num_layers=layers,
                   pad_id=vocab.pad_id, seed=seed)

    def show(rng):
        return "samples: " + ", ".join(sample_names(model, vocab, 3, temperature=temperature,
                                                    seed=rng))

    results, curves = _experiment(
        "char-lm-names", model, vocab, train_set, held_set, epochs=epochs,
        batch_size=batch_size, learning_rate=learning_rate, decay=decay, seed=seed,
        quiet=quiet, show=show,
        header=f"{len(train_set)} training names, {len(held_set)} held out")
    hundred = sample_names(model, vocab, 100, temperature=temperature,
                           seed=np.random.default_rng([seed, 3]))
    results = {**results,
               # new: neither a training name nor empty (an <eos> drawn first)
               "novel_fraction": sum(bool(n) and n not in train_names for n in hundred) / 100,
               "samples": hundred[:10]}
    return _finish("char-lm-names", model, vocab, results, curves, save, plot)


# ---------------------------------------------------------------------------- Shakespeare
def chunks(ids, length: int) -> list[list[int]]:
    """Pieces of ``length`` + 1 ids at stride ``length``: every id after the first is a target
    exactly once (each piece's first id is only an input)."""
    ids = list(ids)
    return [ids[i:i + length + 1] for i in range(0, len(ids) - length, length)]


def encode_prompt(vocab: Vocabulary, prompt: str) -> list[int]:
    unknown = sorted({ch for ch in prompt if ch not in vocab})
    if not prompt or unknown:
        raise ValueError(f"prompt should be non-empty text of the training characters, got "
                         f"{prompt!r}" + (f" (unknown: {''.join(unknown)!r})" if unknown else ""))
    return vocab.encode(prompt).tolist()


def continue_text(model: CharLM, vocab: Vocabulary, prompt: str, length: int, *,
                  temperature: float = 1.0, seed=0) -> str:
    """The prompt, run through the LSTM to set its state, then ``length`` sampled characters."""
    [row] = generate(model, encode_prompt(vocab, prompt), 1, max_len=length,
                     temperature=temperature, seed=seed)
    return prompt + vocab.decode(row)


def run_shakespeare(seed: int = 0, epochs: int | None = None, quiet: bool = False, save=None,
                    plot=None, *, prompt: str = "Shall I compare thee", length: int = 300,
                    works: str = "sonnets", hidden: int = 256, embedding: int = 64,
                    layers: int = 2, seq_length: int = 100, batch_size: int = 32,
                    learning_rate: float = 3e-3, decay: float = 0.95, temperature: float = 0.8,
                    text: str | None = None) -> dict:
    """Train a 2-layer character LSTM on Shakespeare; continue ``prompt``.

    ``works``: comma-separated names for ``load_shakespeare`` ("sonnets", "hamlet,macbeth").
    ``text`` replaces the loaded corpus (tests).
    """
    check_plot(plot)
    epochs = 15 if epochs is None else epochs
    source = "given text" if text is not None else works
    if text is None:
        text = data.load_shakespeare(works=[w.strip() for w in works.split(",")])
    vocab = Vocabulary.build(text, level="char", specials=(PAD,))
    prompt_ids = encode_prompt(vocab, prompt)  # fail before training, not after
    pieces = chunks(vocab.encode(text).tolist(), seq_length)
    if len(pieces) < 10:
        raise ValueError(f"char-lm-shakespeare: the text should hold at least 10 pieces of "
                         f"{seq_length + 1} characters, got {len(pieces)}")
    train_set, held_set = split(pieces)
    model = CharLM(len(vocab), hidden, n_e=embedding or None, num_layers=layers,
                   pad_id=vocab.pad_id, seed=seed)

    def show(rng):
        return "sample: " + repr(continue_text(model, vocab, prompt, 60,
                                               temperature=temperature, seed=rng))

    results, curves = _experiment(
        "char-lm-shakespeare", model, vocab, train_set, held_set, epochs=epochs,
        batch_size=batch_size, learning_rate=learning_rate, decay=decay, seed=seed,
        quiet=quiet, show=show,
        header=f"{len(text)} characters ({source}) in {len(train_set)} training pieces of "
               f"{seq_length}, {len(held_set)} held out")
    [row] = generate(model, prompt_ids, 1, max_len=length, temperature=temperature,
                     seed=np.random.default_rng([seed, 3]))
    results["sample"] = prompt + vocab.decode(row)
    if not quiet:
        print(f"\n{results['sample']}\n")
    return _finish("char-lm-shakespeare", model, vocab, results, curves, save, plot)


RECIPES = (
    Recipe(
        name="char-lm-names",
        run=run_names,
        summary="character LSTM language model on US first names; samples new names",
        metric="perplexity",
        course="assignment: cost falls, samples dinosaur names; ours: beats a smoothed "
               "bigram's held-out perplexity; most samples new",
        fast=True,
        data=("names",),
        headline=lambda r: (f"perplexity {r['perplexity']:.2f} vs bigram "
                            f"{r['bigram_perplexity']:.2f}; {r['novel_fraction']:.0%} new"),
        options=(
            Option("hidden", int, 128, "LSTM units per layer"),
            Option("embedding", int, 32, "character embedding size (0: the notes' one-hot)"),
            Option("layers", int, 1, "stacked LSTM layers"),
            Option("temperature", float, 1.0, "sampling temperature (< 1: safer choices)"),
            Option("max-names", int, None, "train on a random subset of this many names"),
        ),
    ),
    Recipe(
        name="char-lm-shakespeare",
        run=run_shakespeare,
        summary="2-layer character LSTM on Shakespeare's sonnets; continues a prompt",
        metric="perplexity",
        course="assignment: writes Shakespeare-like text; ours: beats a smoothed bigram's "
               "held-out perplexity",
        data=("shakespeare",),
        headline=lambda r: (f"perplexity {r['perplexity']:.2f} vs bigram "
                            f"{r['bigram_perplexity']:.2f}"),
        options=(
            Option("prompt", str, "Shall I compare thee", "text the sample continues"),
            Option("length", int, 300, "characters to generate after the prompt"),
            Option("works", str, "sonnets", "comma-separated works to train on "
                                             "(e.g. sonnets,hamlet)"),
            Option("hidden", int, 256, "LSTM units per layer"),
            Option("embedding", int, 64, "character embedding size (0: the notes' one-hot)"),
            Option("layers", int, 2, "stacked LSTM layers"),
            Option("temperature", float, 0.8, "sampling temperature (< 1: safer choices)"),
        ),
    ),
)
