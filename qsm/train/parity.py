"""Does the served adapter behave like the trained one? llama.cpp (Q4_1 base + GGUF LoRA) generates greedily;
the PEFT model (the same base dequantized, in float) then scores those tokens. Agreement = the share of
generated tokens that are also the PEFT model's argmax at that position (teacher forcing, so one early
difference does not hide the rest). The same is measured with the adapter disabled: a conversion bug (e.g.
llama's q/k row permutation applied wrongly to LoRA B) shows as adapter agreement falling to that level."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qsm.agents import LlamaBase, LlamaCppModel, Sampling
from qsm.agents.backend import ModelRequest
from qsm.agents.locate import resolve_model_path
from qsm.train.errors import require_train_extra
from qsm.train.example import Example
from qsm.train.hfbase import load_base

__all__ = ["merged_agreement", "served_parity"]


def served_parity(
    base: Path | None,
    adapter_dir: Path,
    adapter_gguf: Path,
    examples: list[Example],
    *,
    max_tokens: int = 48,
    n_threads: int = 2,
) -> dict[str, Any]:
    require_train_extra()
    import torch
    from peft import PeftModel

    llama_base = LlamaBase(resolve_model_path(base), n_ctx=2048, n_threads=n_threads, max_instances=1)
    served = LlamaCppModel(llama_base, adapter=adapter_gguf)
    greedy = Sampling(temperature=0.0, max_tokens=max_tokens, repeat_penalty=1.0, seed=0)
    try:
        texts = [served.complete(ModelRequest(e.chat, greedy)).raw_text for e in examples]
    finally:
        llama_base.close()
    model, tokenizer = load_base(base, "cpu")
    tuned = PeftModel.from_pretrained(model, str(adapter_dir)).eval()
    with_adapter = without = total = same_text = 0
    with torch.no_grad():
        for example, text in zip(examples, texts, strict=True):
            prompt = tokenizer.apply_chat_template(example.chat, add_generation_prompt=True, tokenize=False)
            prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
            reply_ids = tokenizer(text, add_special_tokens=False)["input_ids"]
            if not reply_ids:
                continue
            ids = torch.tensor([prompt_ids + reply_ids])
            positions = slice(len(prompt_ids) - 1, len(prompt_ids) + len(reply_ids) - 1)
            target = torch.tensor(reply_ids)
            with_adapter += int((tuned(ids).logits[0, positions].argmax(-1) == target).sum())
            with tuned.disable_adapter():
                without += int((tuned(ids).logits[0, positions].argmax(-1) == target).sum())
            total += len(reply_ids)
            generated = tuned.generate(
                torch.tensor([prompt_ids]),
                max_new_tokens=max_tokens,
                do_sample=False,
                pad_token_id=tokenizer.eos_token_id,
            )
            decoded = tokenizer.decode(generated[0, len(prompt_ids) :], skip_special_tokens=True)
            same_text += decoded.strip() == text.strip()
    return {
        "prompts": len(examples),
        "tokens": total,
        "agreement_with_adapter": round(with_adapter / max(total, 1), 4),
        "agreement_without_adapter": round(without / max(total, 1), 4),
        "identical_greedy_texts": same_text,
    }


def merged_agreement(
    base: Path | None, adapter_gguf: Path, merged_gguf: Path, examples: list[Example], *, max_tokens: int = 64
) -> float:
    """Share of ``examples`` on which a merged model's greedy reply equals base + adapter's (llama.cpp)."""
    greedy = Sampling(temperature=0.0, max_tokens=max_tokens, seed=0)
    replies = []
    for path, adapter in ((resolve_model_path(base), adapter_gguf), (merged_gguf, None)):
        llama = LlamaBase(path, n_ctx=2048, n_threads=2, max_instances=1)
        try:
            model = LlamaCppModel(llama, adapter=adapter)
            replies.append([model.complete(ModelRequest(e.chat, greedy)).text for e in examples])
        finally:
            llama.close()
    same = sum(a == b for a, b in zip(*replies, strict=True))
    return round(same / max(len(examples), 1), 4)
