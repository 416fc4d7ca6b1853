"""deepspec.text: vocabularies, padding and batching, sampling, perplexity."""

import math

import numpy as np
import pytest

from deepspec.text import (
    EOS,
    PAD,
    UNK,
    Vocabulary,
    lengths_to_mask,
    pad_sequences,
    perplexity,
    sample,
    sample_from_probabilities,
    sequence_batches,
)


def test_char_vocabulary_round_trip_and_specials_first():
    v = Vocabulary.build(["hello world", "help"], level="char")
    assert v.id_to_token[:3] == [PAD, UNK, EOS] and v.pad_id == 0
    assert v.id_to_token[3] == "l"  # most frequent first
    ids = v.encode("hello", add_eos=True)
    assert ids.dtype == np.int64 and ids[-1] == v.eos_id
    assert v.decode(ids) == "hello"
    assert v.decode(v.encode("hex!")) == "he"  # x and ! are unknown: <unk>, skipped on decode
    assert list(v.encode("x")) == [v.unk_id]


def test_word_vocabulary_frequency_cut_off_and_max_size():
    texts = ["the cat sat", "the dog sat", "a cat"]
    v = Vocabulary.build(texts, level="word", min_freq=2)
    assert v.id_to_token == [PAD, UNK, EOS, "cat", "sat", "the"]  # ties alphabetical
    assert list(v.encode("the dog")) == [5, v.unk_id]
    assert v.decode([5, 3]) == "the cat"
    small = Vocabulary.build(texts, level="word", max_size=4)
    assert len(small) == 4 and small.id_to_token[3] in ("cat", "sat", "the")
    assert Vocabulary.build(["Don't stop."], level="word").tokenize("Don't stop.") == \
        ["Don't", "stop", "."]


def test_vocabulary_is_deterministic_and_saves_as_json():
    texts = ["b a c a b a"]
    v1, v2 = Vocabulary.build(texts), Vocabulary.build(texts)
    assert v1.id_to_token == v2.id_to_token
    back = Vocabulary.from_json(v1.to_json())
    assert back.id_to_token == v1.id_to_token and back.level == v1.level


def test_vocabulary_errors():
    with pytest.raises(ValueError, match="level should be 'char' or 'word'"):
        Vocabulary(level="byte")
    with pytest.raises(ValueError, match="appears twice"):
        Vocabulary(["a", "a"])
    with pytest.raises(KeyError, match="unknown token 'z'"):
        Vocabulary(["a"], specials=()).encode("z")
    with pytest.raises(ValueError, match=r"id 99 is outside \[0, 3\]"):
        Vocabulary(["a"]).decode([99])
    with pytest.raises(TypeError, match="text should be a str"):
        Vocabulary().encode(5)


def test_pad_sequences_and_masks():
    ids, lengths = pad_sequences([[1, 2, 3], [4], []], pad_id=0)
    np.testing.assert_array_equal(ids, [[1, 2, 3], [4, 0, 0], [0, 0, 0]])
    np.testing.assert_array_equal(lengths, [3, 1, 0])
    np.testing.assert_array_equal(lengths_to_mask(lengths), ids > 0)
    cut, cut_lengths = pad_sequences([[1, 2, 3, 4]], max_len=2, truncate="pre")
    np.testing.assert_array_equal(cut, [[3, 4]])
    assert list(cut_lengths) == [2]
    with pytest.raises(ValueError, match="truncate should be"):
        pad_sequences([[1]], truncate="middle")


def test_sequence_batches_cover_everything_once_and_are_seeded():
    seqs = [[i] * (i % 5 + 1) for i in range(23)]
    batches = list(sequence_batches(seqs, 4, seed=3, sort_by_length=True))
    seen = sorted(int(ids[j, 0]) for ids, lengths in batches for j in range(len(ids)))
    assert seen == list(range(23)) and len(batches) == 6
    again = list(sequence_batches(seqs, 4, seed=3, sort_by_length=True))
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(batches, again))
    for _ids, lengths in batches:  # sorted by length: little padding inside a batch
        assert lengths.max() - lengths.min() <= 1


def test_sample_is_reproducible_and_follows_the_distribution():
    logits = np.log([0.1, 0.2, 0.7])
    draws = sample(np.tile(logits, (20000, 1)), seed=0)
    freq = np.bincount(draws, minlength=3) / len(draws)
    np.testing.assert_allclose(freq, [0.1, 0.2, 0.7], atol=0.01)
    np.testing.assert_array_equal(sample(np.tile(logits, (50, 1)), seed=5),
                                  sample(np.tile(logits, (50, 1)), seed=5))
    assert sample(logits, temperature=0) == 2  # greedy
    cold = sample(np.tile(logits, (5000, 1)), temperature=0.25, seed=1)
    assert (cold == 2).mean() > 0.95


def test_top_k_keeps_exactly_k_even_with_ties():
    draws = sample(np.zeros((5000, 6)), top_k=2, seed=0)
    assert len(np.unique(draws)) == 2
    draws = sample(np.tile(np.log([0.5, 0.3, 0.2]), (5000, 1)), top_k=1, seed=0)
    assert np.all(draws == 0)
    with pytest.raises(ValueError, match=r"top_k should be in \[1, 3\]"):
        sample(np.zeros(3), top_k=4)


def test_sample_from_probabilities_and_perplexity():
    p = np.array([[0.0, 1.0, 0.0], [0.5, 0.0, 0.5]])
    draws = sample_from_probabilities(np.repeat(p, 200, axis=0), seed=0)
    assert np.all(draws[:200] == 1) and set(draws[200:]) == {0, 2}
    assert perplexity(0.0) == 1.0
    assert math.isclose(perplexity(math.log(64)), 64)  # uniform over 64 tokens
