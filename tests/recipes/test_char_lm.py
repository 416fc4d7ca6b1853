"""Character-level language models (recipes char-lm-names, char-lm-shakespeare).

Everything runs on small in-memory data: the names and Shakespeare caches are never read.
"""

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

import deepspec as ds
from deepspec.recipes import RECIPES
from deepspec.recipes import char_lm as recipe
from deepspec.recipes.char_lm_model import (
    Bigram,
    CharLM,
    batch,
    cross_entropy,
    generate,
    sequence_loss,
)
from deepspec.text import EOS, PAD, Vocabulary

SYLLABLES = ["ka", "ri", "mon", "tel", "sa", "lu", "dor", "vin", "e", "bra"]


def toy_names(n: int, seed: int = 0) -> list[str]:
    """Names of 2-3 syllables: letters repeat across syllables, so the position inside a
    syllable (more than one letter back) predicts the next letter; a bigram cannot see it."""
    rng = np.random.default_rng(seed)
    names = set()
    while len(names) < n:
        names.add("".join(rng.choice(SYLLABLES, size=rng.integers(2, 4))))
    return sorted(names)


class WithMask(ds.nn.Module):
    """A CharLM called with a fixed step mask (for gradient_check, which passes X only)."""

    def __init__(self, model, mask):
        self.model, self.mask = model, mask

    def forward(self, X):
        return self.model(X, mask=self.mask)


def tiny_batch():
    sequences = [[0, 3, 4, 2, 1], [0, 2, 1], [0, 4, 3, 1]]  # <pad>-started, <eos> = 1
    return batch(sequences)


# ---------------------------------------------------------------------------- the model
@pytest.mark.parametrize("n_e, num_layers", [(3, 2), (None, 1)])  # embedding; one-hot
def test_char_lm_gradients_match_finite_differences(n_e, num_layers):
    # no <pad> start here: the <pad> row of E is the constant x<1> = 0 (no gradient by design,
    # see the next test); <pad> stands only at masked steps, which must not move the cost
    inputs, targets, mask = batch([[3, 4, 2, 1], [2, 1], [4, 3, 3, 2, 1]])
    model = WithMask(CharLM(5, 4, n_e=n_e, num_layers=num_layers, seed=0), mask)

    def loss(logits, Y):
        return ds.F.softmax_cross_entropy(logits, Y, mask=mask)

    result = ds.gradient_check(model, inputs, targets, loss)
    assert result < 1e-7, result.worst


def test_the_pad_row_stays_the_zero_vector_x1():
    model = CharLM(5, 4, n_e=3, seed=0)
    np.testing.assert_array_equal(model.embedding.E.data[0], 0.0)
    sequence_loss(model, *tiny_batch()).backward()
    np.testing.assert_array_equal(model.embedding.E.grad[0], 0.0)
    assert np.abs(model.embedding.E.grad[1:]).sum() > 0


def test_char_lm_shapes_and_one_hot_first_input_is_zero():
    model = CharLM(6, 5, n_e=None, seed=0)
    x = model.inputs(np.array([[0, 3]]))
    np.testing.assert_array_equal(x.data[0, 0], np.zeros(6))  # the notes' x<1> = 0
    assert x.data[0, 1, 3] == 1 and x.data[0, 1].sum() == 1
    assert model(np.zeros((2, 7), dtype=np.int64)).shape == (2, 7, 6)
    with pytest.raises(ValueError, match=r"CharLM: ids should have shape \(m, T\)"):
        model(np.zeros(3, dtype=np.int64))
    with pytest.raises(ValueError, match="CharLM: n_e should be positive"):
        CharLM(6, 5, n_e=0)


def test_padding_does_not_change_the_cost_of_real_characters():
    model = CharLM(5, 4, n_e=3, num_layers=2, seed=1)
    inputs, targets, mask = tiny_batch()
    J = float(sequence_loss(model, inputs, targets, mask).data)
    noisy_in, noisy_out = inputs.copy(), targets.copy()
    rng = np.random.default_rng(0)
    noisy_in[~mask] = rng.integers(1, 5, (~mask).sum())   # anything may stand at padding
    noisy_out[~mask] = rng.integers(0, 5, (~mask).sum())
    assert float(sequence_loss(model, noisy_in, noisy_out, mask).data) == pytest.approx(J,
                                                                                        rel=1e-6)
    # the batch's cost is the character-weighted mean of each sequence's cost alone
    alone = [float(sequence_loss(model, *batch([s])).data) for s in
             ([0, 3, 4, 2, 1], [0, 2, 1], [0, 4, 3, 1])]
    assert J == pytest.approx((4 * alone[0] + 2 * alone[1] + 3 * alone[2]) / 9, rel=1e-5)


def test_step_by_step_states_reproduce_the_whole_sequence():
    model = CharLM(7, 6, n_e=4, num_layers=2, seed=2).astype(np.float64)
    ids = np.random.default_rng(0).integers(0, 7, (3, 5))
    whole = model(ids).data
    logits, states = model(ids[:, :2], return_states=True)
    steps = [logits.data]
    for t in range(2, 5):
        logits, states = model(ids[:, t:t + 1], states, return_states=True)
        steps.append(logits.data)
    np.testing.assert_allclose(np.concatenate(steps, axis=1), whole, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------- bigram
def test_bigram_perplexity_by_hand():
    # ids: <pad> 0 (the start), <eos> 1, a 2, b 3; train "ab", "a"; held out "ab"
    bigram = Bigram([[0, 2, 3, 1], [0, 2, 1]], 4, k=1.0)
    P = np.exp(bigram.log_probs())
    # P(y | x) = (N(x, y) + 1) / (N(x) + 3) over y in {<eos>, a, b}; <pad> is never a target
    assert P[0, 2] == pytest.approx(3 / 5) and P[2, 3] == pytest.approx(2 / 5)
    assert P[3, 1] == pytest.approx(2 / 4) and P[3, 2] == pytest.approx(1 / 4)
    np.testing.assert_allclose(P[:, 0], 0.0)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    J, n = bigram.cross_entropy([[0, 2, 3, 1]])
    assert n == 3
    assert math.exp(J) == pytest.approx((3 / 5 * 2 / 5 * 1 / 2) ** (-1 / 3))
    with pytest.raises(ValueError, match="Bigram: k should be > 0"):
        Bigram([[0, 1]], 4, k=0)


def test_lstm_and_bigram_count_the_same_characters():
    sequences = [[0, 3, 4, 2, 1], [0, 2, 1], [0, 4, 3, 1]]
    model = CharLM(5, 4, n_e=3, seed=0)
    assert cross_entropy(model, sequences, batch_size=2)[1] == 9
    assert Bigram(sequences, 5).cross_entropy(sequences)[1] == 9


# ---------------------------------------------------------------------------- sampling
def test_sampling_is_seeded_and_stops_at_the_end_token():
    vocab, _ = recipe.names_data(["abc", "bca"])
    model = CharLM(len(vocab), 8, n_e=4, seed=0)
    first = recipe.sample_names(model, vocab, 20, max_len=6, seed=5)
    assert first == recipe.sample_names(model, vocab, 20, max_len=6, seed=5)
    assert first != recipe.sample_names(model, vocab, 20, max_len=6, seed=6)
    assert all(len(name) <= 6 and set(name) <= set("abc") for name in first)

    head_b = model.head.layer.b.data
    head_b[vocab.eos_id] = 50.0          # <eos> always drawn first: every name is empty
    rows = generate(model, [vocab.pad_id], 5, max_len=6, end_id=vocab.eos_id, seed=0)
    assert rows == [[]] * 5
    head_b[vocab.eos_id] = -50.0         # <eos> never drawn: every name runs to max_len
    rows = generate(model, [vocab.pad_id], 5, max_len=6, end_id=vocab.eos_id, seed=0)
    assert [len(r) for r in rows] == [6] * 5 and all(vocab.eos_id not in r for r in rows)


def test_temperature_zero_is_greedy():
    model = CharLM(5, 4, n_e=3, seed=0)
    rows = generate(model, [0], 3, max_len=4, temperature=0.0, seed=0)
    assert rows[0] == rows[1] == rows[2]
    with pytest.raises(ValueError, match="generate: prefix should hold at least one id"):
        generate(model, [], 1)


# ---------------------------------------------------------------------------- recipes
def test_char_lm_names_beats_the_bigram_and_saves(tmp_path):
    path = tmp_path / "names.npz"
    results = recipe.run_names(names=toy_names(300), epochs=8, hidden=32, embedding=8,
                               batch_size=16, learning_rate=1e-2, quiet=True, save=path)
    assert {"perplexity", "bigram_perplexity", "improvement", "novel_fraction", "samples",
            "epochs", "train_perplexity"} <= set(results)
    assert results["perplexity"] < 0.9 * results["bigram_perplexity"]
    assert results["improvement"] == pytest.approx(
        results["bigram_perplexity"] / results["perplexity"], rel=1e-3)
    assert 0 <= results["novel_fraction"] <= 1
    assert len(results["samples"]) == 10 and all(isinstance(s, str) for s in results["samples"])
    assert json.loads(json.dumps(results)) == results
    checkpoint = ds.io.load(path)
    vocab = Vocabulary.from_json(checkpoint.metadata["vocab"])
    assert vocab.specials == (PAD, EOS)
    model = CharLM(**checkpoint.metadata["config"])
    ds.io.load_into(model, path)
    assert recipe.sample_names(model, vocab, 1, seed=0)[0] is not None


def test_char_lm_names_same_seed_same_results():
    kwargs = dict(names=toy_names(120), epochs=1, hidden=8, embedding=4, quiet=True)
    assert recipe.run_names(seed=3, **kwargs) == recipe.run_names(seed=3, **kwargs)


def test_char_lm_shakespeare_continues_the_prompt():
    text = "Shall I compare thee to a summer's day?\nThou art more lovely.\n" * 20
    results = recipe.run_shakespeare(text=text, epochs=2, hidden=16, embedding=8,
                                     seq_length=20, batch_size=16, length=30, quiet=True,
                                     prompt="Thou art")
    assert results["sample"].startswith("Thou art") and len(results["sample"]) == 8 + 30
    assert results["perplexity"] > 1 and results["bigram_perplexity"] > 1
    with pytest.raises(ValueError, match=r"prompt should be .*unknown: 'Z"):
        recipe.run_shakespeare(text=text, epochs=1, prompt="Zounds", quiet=True)


def test_chunks_make_every_character_after_the_first_a_target_once():
    pieces = recipe.chunks(range(11), 4)
    assert pieces == [[0, 1, 2, 3, 4], [4, 5, 6, 7, 8]]  # the tail too short for a piece
    assert recipe.split(list(range(20)))[1] == recipe.split(list(range(20)))[1]
    assert len(recipe.split(list(range(20)))[1]) == 2


def test_recipes_are_registered():
    assert RECIPES["char-lm-names"].metric == "perplexity"
    assert {o.name for o in RECIPES["char-lm-shakespeare"].options} >= {"prompt", "length"}


def test_cli_runs_char_lm_names_on_a_given_cache(tmp_path):
    folder = tmp_path / "names"
    folder.mkdir()
    names = toy_names(150, seed=1)
    rows = [f"{name.upper():<15}{0.1:>6.3f}{0.1 * (i + 1):>7.3f}{i + 1:>7}"
            for i, name in enumerate(names)]
    for file, part in [("dist.male.first", rows[::2]), ("dist.female.first", rows[1::2]),
                       ("dist.all.last", rows[:1])]:
        (folder / file).write_text("\n".join(part) + "\n")
    env = {**os.environ, "DEEPSPEC_DATA": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-m", "deepspec.cli", "run", "char-lm-names", "--json", "--quiet",
         "--epochs", "2", "--hidden", "8", "--embedding", "4", "--max-names", "100"],
        capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    results = json.loads(out.stdout)
    assert results["recipe"] == "char-lm-names" and results["perplexity"] > 1
    assert results["held_out_characters"] > 0 and len(results["samples"]) == 10


def test_plot_without_matplotlib_fails_before_training(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    with pytest.raises(ValueError, match=r"--plot needs matplotlib"):
        recipe.run_names(names=toy_names(20), epochs=1, quiet=True, plot="curves.png")


def test_too_few_names_or_pieces_are_refused():
    with pytest.raises(ValueError, match="char-lm-names: need at least 10 distinct names"):
        recipe.run_names(names=["ann", "bob", "ann"], quiet=True)
    with pytest.raises(ValueError, match="at least 10 pieces of 101 characters, got 1"):
        recipe.run_shakespeare(text="Shall I compare thee " * 6, quiet=True)
