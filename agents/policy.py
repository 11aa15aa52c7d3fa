"""Turning generations into training tensors and the policy's token log-probs (used by the trainer).

A training row is `prompt_ids + response_ids`, right-padded; `response_mask` marks the response tokens.
`token_logprobs[b, i]` is log p(ids[b, i] | ids[b, :i]) at the sampling temperature (logits / T), the
quantity the PPO ratio compares; position 0 has none and is never a response token.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from azr_agents.trr import entropy_from_logits


@dataclass
class Rollout:
    """One training sample: who produced it, its tokens and its reward."""

    role: str
    task_type: str
    prompt_ids: list[int]
    response_ids: list[int]
    reward: float
    group: int = 0
    """Prompt index (GRPO groups samples by it)."""


def response_ids_from_text(tokenizer, text: str, finish_reason: str | None) -> list[int]:
    """Token ids of a response that came back as text only: its tokens, then EOS unless it was cut at the length
    limit (the sampler ended it with EOS, and the policy must learn to stop; the trainer uses no stop strings).

    Exact when the tokenizer re-encodes the decoded text into the sampled tokens; a BPE tokenizer may split it
    differently, or a byte model's invalid UTF-8 may decode to U+FFFD, and then the update trains on these ids.
    """
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    return ids if finish_reason == "length" else [*ids, tokenizer.eos_token_id]


def rollout_from_generation(gen, role: str, task_type: str, reward: float, tokenizer, prompt: str,
                            max_new_tokens: int, group: int = 0) -> Rollout:
    """Use the backend's token ids; re-tokenise the text when a backend gives none (HTTP, callables)."""
    prompt_ids = gen.prompt_token_ids
    if prompt_ids is None:
        prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    response_ids = gen.token_ids
    if response_ids is None:
        response_ids = response_ids_from_text(tokenizer, gen.text, gen.finish_reason)
    return Rollout(role, task_type, list(prompt_ids), list(response_ids)[:max_new_tokens], float(reward), group)


def collate(rows: list[Rollout], pad_id: int, device: torch.device) -> dict[str, torch.Tensor]:
    """input_ids, attention_mask, response_mask ([B, L]) and rewards ([B]) for `rows`."""
    seqs = [r.prompt_ids + r.response_ids for r in rows]
    width = max(len(s) for s in seqs)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    attn = torch.zeros((len(rows), width), dtype=torch.long)
    resp = torch.zeros((len(rows), width), dtype=torch.float32)
    for b, (row, seq) in enumerate(zip(rows, seqs)):
        ids[b, : len(seq)] = torch.tensor(seq)
        attn[b, : len(seq)] = 1
        resp[b, len(row.prompt_ids) : len(seq)] = 1
    rewards = torch.tensor([r.reward for r in rows], dtype=torch.float32)
    return {"input_ids": ids.to(device), "attention_mask": attn.to(device), "response_mask": resp.to(device),
            "rewards": rewards.to(device)}


def token_logprobs(model, input_ids: torch.Tensor, attention_mask: torch.Tensor, temperature: float = 1.0,
                   with_entropy: bool = False, chunk: int = 1024) -> tuple[torch.Tensor, torch.Tensor | None]:
    """[B, L] log-probs of each token given its prefix (0 at position 0), and optionally [B, L] entropies.

    The vocabulary projection runs `chunk` positions at a time, so a 150k-token vocabulary over 8k positions
    never materialises as one float32 [B, L, V] tensor (used where the model exposes its decoder and head
    plainly; models with logit soft-capping take the plain full-logits path).
    """
    head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    plain = head is not None and getattr(model.config, "final_logit_softcapping", None) is None
    if plain:
        hidden = model.base_model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state[:, :-1]
    else:
        all_logits = model(input_ids=input_ids, attention_mask=attention_mask).logits[:, :-1]
    targets = input_ids[:, 1:]
    logps, entropies = [], []
    for start in range(0, targets.shape[1], chunk):
        stop = start + chunk
        logits = (head(hidden[:, start:stop]) if plain else all_logits[:, start:stop]).float() / temperature
        lse = torch.logsumexp(logits, dim=-1)
        logps.append(logits.gather(-1, targets[:, start:stop, None]).squeeze(-1) - lse)
        if with_entropy:
            entropies.append(entropy_from_logits(logits))
    zeros = torch.zeros_like(input_ids[:, :1], dtype=torch.float32)
    logp = torch.cat([zeros, *logps], dim=1)
    entropy = torch.cat([zeros, *entropies], dim=1) if with_entropy else None
    return logp, entropy
