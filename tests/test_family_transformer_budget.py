"""transformer_budget: a hand-worked model through the CLI, and torch.nn's own
parameter count (numel of the real modules on the meta device, a tied head
shared) and KV-cache size over 200 draws."""

from __future__ import annotations

import json
import random

import pytest

from conftest import require_torch, run_solve

from genexam.plugins.transformer_budget import TransformerBudget
from genexam.sampling import draw_params


def solve(*sets: str) -> dict:
    run = run_solve("transformer_budget", *sets, json=True)
    assert run.code == 0, run.stderr
    return json.loads(run.stdout)["answers"]


def test_small_model_by_hand():
    # d = 64, d_ff = 256, L = 2, V = 100, T = 16, untied:
    # layer: 4*64^2 + 4*64 = 16640; 2*64*256 + 256 + 64 = 33088; 4*64 = 256 -> 49984
    # embeddings 6400 + 1024; final norm 128; head 6400 -> 7424 + 99968 + 128 + 6400 = 113920
    answers = solve("layers=2", "d_model=64", "heads=4", "d_ff=256", "vocab=100", "context=16",
                    "tokens=1000", "batch=3", "bytes_per_value=2", "tied=false")
    assert answers == {"params": 113_920, "params_approx": 12 * 2 * 64**2, "train_flops": 6 * 113_920 * 1000,
                       "kv_cache_bytes": 2 * 2 * 16 * 64 * 3 * 2, "adam_train_bytes": 4 * 113_920 * 2}
    tied = solve("layers=2", "d_model=64", "heads=4", "d_ff=256", "vocab=100", "context=16", "tied=true")
    assert tied["params"] == 113_920 - 6400


def test_heads_must_divide_d_model():
    run = run_solve("transformer_budget", "d_model=100", "heads=3")
    assert run.code != 0 and "Traceback" not in run.stderr and "d_model % heads == 0" in run.stderr


class LanguageModel:
    """The model of the statement, from torch.nn modules (built on the meta device)."""

    def __new__(cls, torch, p: dict):
        nn = torch.nn

        class Model(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                d = p["d_model"]
                self.tok_emb = nn.Embedding(p["vocab"], d)
                self.pos_emb = nn.Embedding(p["context"], d)
                layer = nn.TransformerEncoderLayer(d, p["heads"], p["d_ff"], batch_first=True)
                self.encoder = nn.TransformerEncoder(layer, p["layers"], enable_nested_tensor=False)
                self.norm = nn.LayerNorm(d)
                self.head = nn.Linear(d, p["vocab"], bias=False)
                if p["tied"]:
                    self.head.weight = self.tok_emb.weight

        with torch.device("meta"):
            return Model()


def compare_with_torch(seeds: range) -> None:
    torch = require_torch()
    for seed in seeds:
        p = draw_params(TransformerBudget, random.Random(seed))
        answers = TransformerBudget().solve(p).answers
        model = LanguageModel(torch, p)
        numel = sum(t.numel() for t in model.parameters())  # parameters() yields a shared tensor once
        assert answers["params"] == numel, (seed, p)
        assert answers["adam_train_bytes"] == 4 * numel * p["bytes_per_value"]
        assert answers["train_flops"] == 6 * numel * p["tokens"]
        # The KV cache as the tensors a decoder keeps: per layer, K and V of shape (batch, heads, T, d_head).
        d_head = p["d_model"] // p["heads"]
        dtype = {2: torch.float16, 4: torch.float32}[p["bytes_per_value"]]
        cache = [torch.empty(p["batch"], p["heads"], p["context"], d_head, dtype=dtype, device="meta")
                 for _ in range(2 * p["layers"])]
        assert answers["kv_cache_bytes"] == sum(t.numel() * t.element_size() for t in cache)
        assert answers["params_approx"] == 12 * p["layers"] * p["d_model"] ** 2


def test_agrees_with_torch_on_20_draws():
    compare_with_torch(range(20))


@pytest.mark.sweep
def test_agrees_with_torch_on_200_draws():
    compare_with_torch(range(200))
