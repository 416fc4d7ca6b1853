"""Text: vocabularies, encoding, padding and batching of sequences, sampling, perplexity."""

from .sampling import perplexity, sample, sample_from_probabilities
from .sequences import lengths_to_mask, pad_sequences, sequence_batches
from .vocab import EOS, PAD, UNK, Vocabulary

__all__ = [
    "EOS", "PAD", "UNK", "Vocabulary", "lengths_to_mask", "pad_sequences", "perplexity",
    "sample", "sample_from_probabilities", "sequence_batches",
]
