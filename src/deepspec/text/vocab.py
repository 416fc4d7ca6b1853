"""Vocabularies: tokens <-> integer ids, at the character or the word level.   notes §5.1.2"""

from __future__ import annotations

import json
import re
from collections import Counter

import numpy as np

PAD, UNK, EOS = "<pad>", "<unk>", "<eos>"
_WORD = re.compile(r"\w+(?:'\w+)?|[^\w\s]")  # words (with inner apostrophes) and punctuation


class Vocabulary:
    """A fixed list of tokens; ids are positions in it. Specials come first: <pad> = 0.

    Build one from a corpus with ``Vocabulary.build(texts, level="char" | "word",
    min_freq=..., max_size=...)``: tokens rarer than ``min_freq`` (or beyond ``max_size``)
    map to <unk> (the notes' unknown-word token); the rest are ordered by frequency, then
    alphabetically, so the same corpus always gives the same ids.
    """

    def __init__(self, tokens=(), *, level: str = "char", specials=(PAD, UNK, EOS),
                 lower: bool = False):
        if level not in ("char", "word"):
            raise ValueError(f"Vocabulary: level should be 'char' or 'word', got {level!r}")
        self.level, self.lower, self.specials = level, bool(lower), tuple(specials)
        self.id_to_token: list[str] = []
        self.token_to_id: dict[str, int] = {}
        for token in (*self.specials, *tokens):
            if token in self.token_to_id:
                raise ValueError(f"Vocabulary: token {token!r} appears twice")
            self.token_to_id[token] = len(self.id_to_token)
            self.id_to_token.append(token)

    @classmethod
    def build(cls, texts, *, level: str = "char", min_freq: int = 1, max_size: int | None = None,
              specials=(PAD, UNK, EOS), lower: bool = False) -> Vocabulary:
        """Count tokens over ``texts`` (an iterable of strings) and keep the frequent ones."""
        if isinstance(texts, str):
            texts = [texts]
        if min_freq < 1:
            raise ValueError(f"Vocabulary.build: min_freq should be >= 1, got {min_freq}")
        probe = cls((), level=level, specials=specials, lower=lower)
        counts = Counter()
        for text in texts:
            counts.update(probe.tokenize(text))
        for special in probe.specials:
            counts.pop(special, None)
        kept = sorted((t for t, c in counts.items() if c >= min_freq),
                      key=lambda t: (-counts[t], t))
        if max_size is not None:
            kept = kept[:max(0, max_size - len(probe.specials))]
        vocab = cls(kept, level=level, specials=specials, lower=lower)
        vocab.counts = {t: counts[t] for t in kept}
        return vocab

    def tokenize(self, text: str) -> list[str]:
        if not isinstance(text, str):
            raise TypeError(f"Vocabulary.tokenize: text should be a str, got "
                            f"{type(text).__name__}")
        if self.lower:
            text = text.lower()
        return list(text) if self.level == "char" else _WORD.findall(text)

    # ---- ids -----------------------------------------------------------------------------
    def _special_id(self, token: str) -> int:
        if token not in self.token_to_id:
            raise KeyError(f"Vocabulary: this vocabulary has no {token} token")
        return self.token_to_id[token]

    pad_id = property(lambda self: self._special_id(PAD))
    unk_id = property(lambda self: self._special_id(UNK))
    eos_id = property(lambda self: self._special_id(EOS))

    def __len__(self) -> int:
        return len(self.id_to_token)

    def __contains__(self, token: str) -> bool:
        return token in self.token_to_id

    def encode(self, text: str, *, add_eos: bool = False) -> np.ndarray:
        """Token ids (int64) of ``text``; unknown tokens become <unk> (an error without one)."""
        get = self.token_to_id.get
        unk = self.token_to_id.get(UNK)
        ids = []
        for token in self.tokenize(text):
            i = get(token, unk)
            if i is None:
                raise KeyError(f"Vocabulary.encode: unknown token {token!r} and no {UNK} token")
            ids.append(i)
        if add_eos:
            ids.append(self.eos_id)
        return np.asarray(ids, dtype=np.int64)

    def decode(self, ids, *, skip_specials: bool = True, stop_at_eos: bool = True) -> str:
        """The text of ``ids``: characters joined, or words joined by spaces."""
        tokens = []
        eos = self.token_to_id.get(EOS)
        for i in np.asarray(ids, dtype=np.int64).reshape(-1):
            if not 0 <= i < len(self):
                raise ValueError(f"Vocabulary.decode: id {i} is outside [0, {len(self) - 1}]")
            if stop_at_eos and i == eos:
                break
            token = self.id_to_token[i]
            if skip_specials and token in self.specials:
                continue
            tokens.append(token)
        return "".join(tokens) if self.level == "char" else " ".join(tokens)

    # ---- saving ----------------------------------------------------------------------------
    def to_json(self) -> str:
        return json.dumps({"level": self.level, "lower": self.lower,
                           "specials": list(self.specials),
                           "tokens": self.id_to_token[len(self.specials):]})

    @classmethod
    def from_json(cls, text: str) -> Vocabulary:
        data = json.loads(text)
        return cls(data["tokens"], level=data["level"], specials=data["specials"],
                   lower=data["lower"])

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} tokens, level={self.level!r})"
