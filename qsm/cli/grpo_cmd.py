"""`qsm train grpo` (RL with a verifiable reward on top of the SFT adapter) and `qsm train stages` (base vs
SFT vs SFT+GRPO on the held-out split, in one run)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from qsm.cli.context import CliContext, pass_cli
from qsm.train import TrainingError, layout_for, load_split, parse_role
from qsm.train.settings import GrpoSettings, TrainSettings

__all__ = ["grpo_cmd", "stages_cmd"]


def _train_settings(cli_ctx: CliContext, grpo: dict[str, Any]) -> TrainSettings:
    from pydantic import ValidationError

    from qsm.errors import ConfigError

    current = cli_ctx.settings.train.model_dump()
    current["grpo"] = {**current.get("grpo", {}), **{k: v for k, v in grpo.items() if v is not None}}
    try:
        return TrainSettings.model_validate(current)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ConfigError(
            f"invalid GRPO option {'.'.join(map(str, err['loc']))}: {err['msg']}",
            hint="see `qsm train grpo --help`",
        ) from None


@click.command("grpo")
@click.option("--role", default="Ref", show_default=True, help="The role (only Ref has a verifiable reward).")
@click.option("--steps", type=int, help=f"Optimizer steps (default {GrpoSettings().steps}).")
@click.option(
    "--prompts-per-step",
    type=int,
    help=f"Train prompts per step (default {GrpoSettings().prompts_per_step}).",
)
@click.option(
    "--generations", type=int, help=f"Sampled replies per prompt (default {GrpoSettings().generations})."
)
@click.option(
    "--lr", "learning_rate", type=float, help=f"Learning rate (default {GrpoSettings().learning_rate})."
)
@click.option(
    "--beta",
    type=float,
    help=f"KL penalty towards the SFT adapter; 0 = none (default {GrpoSettings().beta}).",
)
@click.option("--temperature", type=float, help="Sampling temperature of the replies (default 1.0).")
@click.option("--max-completion-tokens", type=int, help="Tokens per sampled reply (default 64).")
@click.option("--seed", type=int, help="Seed of the sampling and prompt order (default 0).")
@click.option("--threads", type=int, help="torch CPU threads (default 1).")
@click.option("--precision", type=click.Choice(["auto", "fp32", "bf16"]), help="Default auto.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda", "mps"]), help="Default cpu.")
@click.option("--no-export", is_flag=True, help="Keep the PEFT adapter only; skip the GGUF export.")
@pass_cli
def grpo_cmd(cli_ctx: CliContext, role: str, no_export: bool, **flags: Any) -> None:
    """Reinforce a role's SFT adapter with GRPO (TRL): sampled replies to the train prompts are scored by a
    verifiable reward (Ref: a valid verdict with the gold decision). Writes adapters/<Role>-grpo and its
    GGUF next to the SFT adapter; compare them with `qsm train stages`."""
    from qsm.train.export import export_adapter
    from qsm.train.grpo import require_trl, stage_name, train_grpo

    name = parse_role(role)
    train = _train_settings(cli_ctx, flags)
    require_trl()
    layout = layout_for(train, cli_ctx.settings.data_dir)
    examples = load_split(layout, name, "train")
    report = train_grpo(
        name, examples, layout.adapter(name), layout.adapter(stage_name(name)), train.grpo,
        base=train.base, log=click.echo,
    )  # fmt: skip
    click.echo(f"{name}: GRPO adapter in {report.adapter_dir} ({report.steps} steps, {report.seconds:.0f} s)")
    if not no_export:
        gguf = export_adapter(
            layout.adapter(stage_name(name)),
            layout.adapter_gguf(stage_name(name)),
            base=train.base,
            base_config_dir=layout.base_config,
            outtype=train.lora.export_type,
        )
        click.echo(f"{name}: GGUF adapter {gguf}")


@click.command("stages")
@click.option("--role", default="Ref", show_default=True, help="The role whose stages to compare.")
@click.option("--limit", type=int, help="At most this many held-out examples of the verifiable task.")
@click.option("--threads", "n_threads", type=int, help="llama.cpp threads (default 2).")
@click.option("--out", type=click.Path(path_type=Path), help="Also write the JSON report here.")
@pass_cli
def stages_cmd(
    cli_ctx: CliContext, role: str, limit: int | None, n_threads: int | None, out: Path | None
) -> None:
    """Base vs SFT vs SFT+GRPO on the role's held-out split through llama.cpp, as `qsm eval` runs them
    (greedy, no grammar): decision accuracy, false accepts and false rejects. Writes <train dir>/stages.json."""
    from qsm.train.stages import compare_stages

    name = parse_role(role)
    overrides = {"limit": limit, "n_threads": n_threads}
    train = cli_ctx.settings.train.model_copy(
        update={"eval": cli_ctx.settings.train.eval.model_copy(
            update={k: v for k, v in overrides.items() if v is not None})}
    )  # fmt: skip
    layout = layout_for(train, cli_ctx.settings.data_dir)
    report = compare_stages(name, layout, train, log=click.echo)
    text = json.dumps(report, indent=2) + "\n"
    (layout.root / "stages.json").write_text(text, encoding="utf-8")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    click.echo(f"\n{'stage':<10} {'n':>4}  accuracy  false accept  false reject  unparsed")
    for stage, rates in report["stages"].items():
        click.echo(
            f"{stage:<10} {rates['n']:>4}  {rates['decision_accuracy']:>8.2f}  {rates['false_accept']:>12.2f}"
            f"  {rates['false_reject']:>12.2f}  {rates['unparsed']:>8.2f}"
        )
    if not report["stages"]:
        raise TrainingError("no stage to compare", hint="train first: `qsm train lora` and `qsm train grpo`")
