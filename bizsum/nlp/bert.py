"""A BERT encoder in plain torch, for the packaged MiniLM models (the sentence encoder, BERTScore's
token embeddings and the claim verifier's cross-encoder).

transformers' ``BertModel`` computes the same thing, but importing its model-loading modules (and
sentence-transformers, which imports them) costs 2-3 s of every cold ``bizsum score``: they pull
``torch._dynamo``, ``torch.distributed.tensor`` and image-processing code that an encoder never
runs. This module is the BERT forward pass of transformers 5 with its default (SDPA) attention and
no dropout in eval mode, with the same parameter names, so a ``BertModel`` state dict loads as it
is. Outputs equal transformers' to float rounding (``tests/nlp/test_bert.py`` compares the two).

Word pieces come from the ``tokenizers`` library (the Rust tokenizer transformers' fast
tokenizers wrap), read from the model directory's ``tokenizer.json``.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional


@dataclass(frozen=True)
class BertConfig:
    """The fields of a BERT ``config.json`` the forward pass uses."""

    vocab_size: int
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    layer_norm_eps: float = 1e-12
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    pad_token_id: int = 0

    @classmethod
    def from_file(cls, path: Path) -> BertConfig:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("model_type", "bert") != "bert" or raw.get("hidden_act", "gelu") != "gelu":
            raise ValueError(f"{path}: not a BERT encoder with GELU activations")
        if raw.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError(f"{path}: only absolute position embeddings are supported")
        fields = cls.__dataclass_fields__
        return cls(**{key: raw[key] for key in fields if raw.get(key) is not None})


class _Linear(nn.Linear):
    def reset_parameters(self) -> None:  # left unset: every weight is loaded next (0.14 s a model saved)
        pass


class _Embedding(nn.Embedding):
    def reset_parameters(self) -> None:
        pass


class _LayerNorm(nn.LayerNorm):
    def reset_parameters(self) -> None:
        pass


class BertEmbeddings(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.word_embeddings = _Embedding(config.vocab_size, config.hidden_size, padding_idx=config.pad_token_id)
        self.position_embeddings = _Embedding(config.max_position_embeddings, config.hidden_size)
        self.token_type_embeddings = _Embedding(config.type_vocab_size, config.hidden_size)
        self.LayerNorm = _LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor | None) -> torch.Tensor:
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        positions = torch.arange(input_ids.shape[1], device=input_ids.device).unsqueeze(0)
        embeddings = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
        embeddings = embeddings + self.position_embeddings(positions)
        return self.dropout(self.LayerNorm(embeddings))


class BertSelfAttention(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.heads = config.num_attention_heads
        self.head_size = config.hidden_size // config.num_attention_heads
        self.query = _Linear(config.hidden_size, config.hidden_size)
        self.key = _Linear(config.hidden_size, config.hidden_size)
        self.value = _Linear(config.hidden_size, config.hidden_size)
        self.dropout_p = config.attention_probs_dropout_prob

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        shape = (*hidden.shape[:-1], -1, self.head_size)
        query = self.query(hidden).view(shape).transpose(1, 2)
        key = self.key(hidden).view(shape).transpose(1, 2)
        value = self.value(hidden).view(shape).transpose(1, 2)
        out = functional.scaled_dot_product_attention(
            query,
            key,
            value,
            attn_mask=mask,
            dropout_p=self.dropout_p if self.training else 0.0,
            scale=1.0 / math.sqrt(self.head_size),
        )
        return out.transpose(1, 2).reshape(*hidden.shape[:-1], -1)


class BertSelfOutput(nn.Module):
    def __init__(self, config: BertConfig, width: int) -> None:
        super().__init__()
        self.dense = _Linear(width, config.hidden_size)
        self.LayerNorm = _LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout_prob)

    def forward(self, hidden: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dropout(self.dense(hidden)) + residual)


class BertAttention(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.self = BertSelfAttention(config)
        self.output = BertSelfOutput(config, config.hidden_size)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        return self.output(self.self(hidden, mask), hidden)


class BertIntermediate(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = _Linear(config.hidden_size, config.intermediate_size)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return functional.gelu(self.dense(hidden))


class BertLayer(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.attention = BertAttention(config)
        self.intermediate = BertIntermediate(config)
        self.output = BertSelfOutput(config, config.intermediate_size)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        attended = self.attention(hidden, mask)
        return self.output(self.intermediate(attended), attended)


class BertEncoder(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(config) for _ in range(config.num_hidden_layers)])


class BertModel(nn.Module):
    """BERT without the pooler: ``forward`` returns the last hidden states ``[batch, length, hidden]``.

    Its parameters are left uninitialized (memory as allocated): weights are always loaded next
    (:func:`load_bert`, or a state dict checked for missing keys), and initializing 22M of them
    would cost a cold run 0.14 s per model (and on the meta device, importing ``torch._dynamo``: 1.1 s)."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.config = config
        self.embeddings = BertEmbeddings(config)
        self.encoder = BertEncoder(config)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None, token_type_ids: Any = None
    ) -> torch.Tensor:
        hidden = self.embeddings(input_ids, token_type_ids)
        mask = None
        if attention_mask is not None and not bool(attention_mask.all()):
            mask = attention_mask.bool()[:, None, None, :]  # [batch, 1, 1, key]: padding is never attended
        for layer in self.encoder.layer:
            hidden = layer(hidden, mask)
        return hidden


def load_bert(directory: Path, state: dict[str, torch.Tensor] | None = None) -> BertModel:
    """A :class:`BertModel` from ``directory/config.json`` with the weights of ``state`` (default:
    ``directory/model.safetensors``), in eval mode; a pooler and transformers' position buffers in
    the state are ignored. Refuses a state that leaves a weight unset or holds an unknown one."""
    from safetensors.torch import load_file

    config = BertConfig.from_file(directory / "config.json")
    if state is None:
        state = load_file(str(directory / "model.safetensors"))
    weights = {
        key: value
        for key, value in state.items()
        if not key.startswith("pooler.") and not key.endswith(("position_ids", "embeddings.token_type_ids"))
    }
    model = BertModel(config)
    missing, unexpected = model.load_state_dict(weights, strict=False)
    if missing or unexpected:
        raise ValueError(f"{directory}: weights do not fit BERT: missing {missing}, unexpected {unexpected}")
    return model.eval()


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Mean of each row's unpadded hidden states (sentence-transformers' mean pooling)."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)


def pad_batch(rows: Sequence[Sequence[int]], pad_id: int, type_rows: Sequence[Sequence[int]] | None = None) -> Any:
    """(input ids, attention mask, token types or None) of rows padded to the longest."""
    width = max(len(row) for row in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    types = torch.zeros((len(rows), width), dtype=torch.long) if type_rows is not None else None
    for k, row in enumerate(rows):
        ids[k, : len(row)] = torch.tensor(row, dtype=torch.long)
        mask[k, : len(row)] = 1
        if types is not None and type_rows is not None:
            types[k, : len(row)] = torch.tensor(type_rows[k], dtype=torch.long)
    return ids, mask, types


class WordPieceTokenizer:
    """The fast BERT tokenizer of a model directory (``tokenizer.json``), called the way
    transformers' tokenizers are called: ``tok(texts, pairs, truncation=..., max_length=...)`` gives
    ``{"input_ids": ..., "token_type_ids": ...}``, one row per text (a bare row for a single text).
    The ids are those of ``AutoTokenizer.from_pretrained(directory)``: it wraps the same file."""

    def __init__(self, path: Path) -> None:
        from tokenizers import Tokenizer

        self._path = path
        self._plain = Tokenizer.from_file(str(path))
        self._plain.no_padding()
        self._plain.no_truncation()
        self._truncating: dict[tuple[int, str], Any] = {}
        self._lock = threading.Lock()
        self.pad_token_id = self._id("[PAD]", 0)
        self.cls_token_id = self._id("[CLS]", 101)
        self.sep_token_id = self._id("[SEP]", 102)
        config = path.parent / "tokenizer_config.json"
        settings = json.loads(config.read_text(encoding="utf-8")) if config.is_file() else {}
        #: the longest input the model takes (``tokenizer_config.json``, as transformers reads it)
        self.model_max_length = int(settings.get("model_max_length", 512))

    def _id(self, token: str, default: int) -> int:
        found = self._plain.token_to_id(token)
        return default if found is None else int(found)

    def _tokenizer(self, truncation: Any, max_length: int | None) -> Any:
        if not truncation or max_length is None:
            return self._plain
        strategy = truncation if isinstance(truncation, str) else "longest_first"
        key = (int(max_length), strategy)
        with self._lock:
            if key not in self._truncating:
                from tokenizers import Tokenizer

                tokenizer = Tokenizer.from_file(str(self._path))
                tokenizer.no_padding()
                tokenizer.enable_truncation(int(max_length), strategy=strategy)
                self._truncating[key] = tokenizer
            return self._truncating[key]

    def __call__(
        self,
        text: str | Sequence[str],
        text_pair: str | Sequence[str] | None = None,
        add_special_tokens: bool = True,
        truncation: bool | str | None = None,
        max_length: int | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        single = isinstance(text, str)
        texts = [text] if isinstance(text, str) else list(text)
        if text_pair is None:
            inputs: list[Any] = texts
        else:
            pairs = [text_pair] if isinstance(text_pair, str) else list(text_pair)
            inputs = list(zip(texts, pairs))
        encodings = self._tokenizer(truncation, max_length).encode_batch(inputs, add_special_tokens=add_special_tokens)
        ids = [list(e.ids) for e in encodings]
        types = [list(e.type_ids) for e in encodings]
        return {"input_ids": ids[0] if single else ids, "token_type_ids": types[0] if single else types}

    def encode(
        self, text: str, add_special_tokens: bool = True, max_length: int | None = None, truncation: bool = False
    ) -> list[int]:
        """The ids of one text (transformers' ``tokenizer.encode``)."""
        row: list[int] = self(
            text, add_special_tokens=add_special_tokens, truncation=truncation, max_length=max_length
        )["input_ids"]
        return row

    def tokenize(self, text: str) -> list[str]:
        """The word pieces of one text, without special tokens."""
        return list(self._plain.encode(text, add_special_tokens=False).tokens)

    def get_vocab(self) -> dict[str, int]:
        return dict(self._plain.get_vocab())
