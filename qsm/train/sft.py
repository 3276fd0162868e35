"""LoRA supervised fine-tuning with PEFT: chat-formatted exactly as served, loss on the assistant reply only.

A small hand-written loop (AdamW, warmup + cosine decay, gradient clipping, optional bf16 autocast) keeps
the dependencies to torch, transformers and peft. Logits are computed only where the loss needs them (the
reply tokens), which on a 135M model with a 49k vocabulary saves a fifth of the work.
"""

from __future__ import annotations

import math
import random
import re
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qsm.train.errors import TrainingError, require_train_extra
from qsm.train.example import Example, RoleName
from qsm.train.hfbase import autocast_dtype, load_base, resolve_device
from qsm.train.settings import LoraSettings
from qsm.train.trainer import TrainReport

__all__ = ["DECISION_KEYS", "Encoded", "PeftTrainer", "encode"]


# JSON keys whose values are a reply's decision (verdict, route, memory, complexity).
DECISION_KEYS = ("decision", "route_to", "needs_memory", "complexity")
_DECISION = re.compile(r'"(?:' + "|".join(DECISION_KEYS) + r')":\s*"?([^",}]+)')


@dataclass(frozen=True)
class Encoded:
    ids: list[int]
    prompt_len: int  # ids[prompt_len:] is the reply (+ end-of-turn token): the only tokens with loss
    decision: tuple[int, ...] = ()  # positions in ids of the tokens that carry the reply's decision


def encode(example: Example, tokenizer: Any, max_length: int) -> Encoded | None:
    """The served prompt (the model's chat template with the generation prompt) followed by the target and
    the end-of-turn token; None if longer than ``max_length``."""
    text = tokenizer.apply_chat_template(example.chat, add_generation_prompt=True, tokenize=False)
    prompt = tokenizer(text, add_special_tokens=False)["input_ids"]
    target = tokenizer(example.target, add_special_tokens=False, return_offsets_mapping=True)
    reply = [*target["input_ids"], tokenizer.eos_token_id]
    if len(prompt) + len(reply) > max_length:
        return None
    spans = [m.span(1) for m in _DECISION.finditer(example.target)]
    decision = tuple(
        len(prompt) + i
        for i, (start, end) in enumerate(target["offset_mapping"])
        if any(start < b and end > a for a, b in spans)
    )
    return Encoded(prompt + reply, len(prompt), decision)


class PeftTrainer:
    """The real :class:`~qsm.train.trainer.Trainer`: PEFT LoRA on the base loaded from its GGUF."""

    def __init__(
        self, settings: LoraSettings, base: Path | None = None, log: Callable[[str], None] | None = None
    ) -> None:
        self.settings = settings
        self.base = base
        self.log = log or (lambda _msg: None)

    def train(self, role: RoleName, train: list[Example], val: list[Example], out_dir: Path) -> TrainReport:
        require_train_extra()
        import peft
        import torch
        import transformers

        s = self.settings
        torch.manual_seed(s.seed)
        if s.threads:
            torch.set_num_threads(s.threads)
        device = resolve_device(s.device)
        amp = autocast_dtype(s.precision, device)
        model, tokenizer = load_base(self.base, device)
        model.config.use_cache = False
        encoded = [encode(e, tokenizer, s.max_length) for e in train]
        items = [e for e in encoded if e is not None]
        val_items = [e for e in (encode(v, tokenizer, s.max_length) for v in val) if e is not None]
        if not items:
            raise TrainingError(
                f"no {role} train example fits in {s.max_length} tokens", hint="raise max_length"
            )
        config = peft.LoraConfig(
            r=s.rank,
            # peft annotates lora_alpha as int but only divides by it (scaling = alpha / r): a float is kept
            lora_alpha=s.alpha,  # type: ignore[arg-type]
            lora_dropout=s.dropout,
            target_modules=list(s.target_modules),
            bias="none",
            task_type="CAUSAL_LM",
        )
        model = peft.get_peft_model(model, config)
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        step_fn = _Steps(model, pad, device, amp, s.decision_weight)
        params = [p for p in model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(params, lr=s.learning_rate, weight_decay=s.weight_decay)
        per_epoch = math.ceil(len(items) / s.batch_size)
        total = s.max_steps or s.epochs * per_epoch  # max_steps overrides epochs
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _schedule(s.warmup_steps, total))
        rng = random.Random(s.seed)
        report = TrainReport(
            role=role,
            adapter_dir=str(out_dir),
            examples=len(items),
            skipped_too_long=len(encoded) - len(items),
            steps=0,
            epochs=0,
            seconds=0.0,
            train_tokens=0,
            tokens_per_second=0.0,
            device=device,
            precision="bf16" if amp is not None else "fp32",
            settings=s.model_dump(),
            versions={
                "torch": torch.__version__,
                "transformers": transformers.__version__,
                "peft": peft.__version__,
            },
        )
        report.val_loss_before = step_fn.mean_loss(val_items, s.batch_size) if val_items else None
        started = time.perf_counter()
        window: list[float] = []
        while report.steps < total:
            model.train()
            for batch in _batches(items, s.batch_size, rng):
                loss, tokens = step_fn.loss(batch)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, s.grad_clip)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                report.steps += 1
                report.train_tokens += tokens
                window.append(float(loss.detach()))
                if report.steps % 10 == 0 or report.steps == total:
                    mean = sum(window) / len(window)
                    report.loss_curve.append((report.steps, round(mean, 4)))
                    elapsed = time.perf_counter() - started
                    self.log(f"{role}: step {report.steps}/{total} loss {mean:.3f} ({elapsed:.0f} s)")
                    window.clear()
                if report.steps >= total:
                    break
            report.epochs += 1
            if val_items:
                report.val_loss.append(round(step_fn.mean_loss(val_items, s.batch_size), 4))
                self.log(f"{role}: epoch {report.epochs} val loss {report.val_loss[-1]:.3f}")
        report.seconds = round(time.perf_counter() - started, 2)
        report.tokens_per_second = round(report.train_tokens / max(report.seconds, 1e-9), 1)
        report.final_train_loss = report.loss_curve[-1][1] if report.loss_curve else None
        out_dir.mkdir(parents=True, exist_ok=True)
        model.save_pretrained(str(out_dir))
        report.save()
        return report


class _Steps:
    """Forward passes that compute logits only at the reply positions."""

    def __init__(self, model: Any, pad: int, device: str, amp: Any, decision_weight: float = 1.0) -> None:
        self.model, self.pad, self.device, self.amp = model, pad, device, amp
        self.decision_weight = decision_weight
        causal = model.get_base_model()
        self.body = getattr(causal, causal.base_model_prefix)
        self.head = causal.get_output_embeddings()

    def loss(self, batch: list[Encoded], *, weighted: bool = True) -> tuple[Any, int]:
        """Mean cross-entropy over the reply tokens; with ``weighted``, the decision tokens count
        ``decision_weight`` times."""
        import torch

        width = max(len(e.ids) for e in batch)
        ids = torch.full((len(batch), width), self.pad, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        predict = torch.zeros((len(batch), width), dtype=torch.bool)  # position i predicts token i+1
        weight = torch.ones((len(batch), width))
        for row, item in enumerate(batch):
            ids[row, : len(item.ids)] = torch.tensor(item.ids)
            mask[row, : len(item.ids)] = 1
            predict[row, item.prompt_len - 1 : len(item.ids) - 1] = True
            if weighted and self.decision_weight != 1.0:
                for position in item.decision:
                    weight[row, position - 1] = self.decision_weight
        targets = torch.roll(ids, shifts=-1, dims=1)[predict].to(self.device)
        ids, mask, predict = ids.to(self.device), mask.to(self.device), predict.to(self.device)
        autocast = torch.autocast(self.device, dtype=self.amp) if self.amp is not None else nullcontext()
        with autocast:
            hidden = self.body(input_ids=ids, attention_mask=mask).last_hidden_state
            logits = self.head(hidden[predict]).float()
        token_weight = weight[predict].to(self.device)
        losses = torch.nn.functional.cross_entropy(logits, targets, reduction="none")
        loss = (losses * token_weight).sum() / token_weight.sum()
        return loss, int(mask.sum())

    def mean_loss(self, items: list[Encoded], batch_size: int) -> float:
        import torch

        self.model.eval()
        total = weight = 0.0
        with torch.no_grad():
            for start in range(0, len(items), batch_size):
                batch = items[start : start + batch_size]
                loss, _ = self.loss(batch, weighted=False)  # validation loss stays plain SFT loss
                n = sum(len(e.ids) - e.prompt_len for e in batch)
                total, weight = total + float(loss) * n, weight + n
        self.model.train()
        return total / max(weight, 1.0)


def _batches(items: list[Encoded], size: int, rng: random.Random) -> list[list[Encoded]]:
    """Shuffled batches of similar lengths (little padding): sort within shuffled chunks of 16 batches."""
    order = list(items)
    rng.shuffle(order)
    batches: list[list[Encoded]] = []
    chunk = size * 16
    for start in range(0, len(order), chunk):
        part = sorted(order[start : start + chunk], key=lambda e: len(e.ids))
        batches += [part[i : i + size] for i in range(0, len(part), size)]
    rng.shuffle(batches)
    return batches


def _schedule(warmup: int, total: int) -> Callable[[int], float]:
    """Linear warmup, then cosine decay to a tenth of the peak learning rate."""

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / (warmup + 1)
        progress = (step - warmup) / max(1, total - warmup)
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))

    return factor
