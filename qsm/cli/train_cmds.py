"""`qsm train` (datasets, LoRA adapters, GGUF export) and `qsm eval` (base vs adapter per role)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from pydantic import ValidationError

from qsm.cli.context import CliContext, pass_cli
from qsm.cli.grpo_cmd import grpo_cmd, stages_cmd
from qsm.errors import ConfigError
from qsm.merge import deep_merge
from qsm.train import (
    ROLES,
    PeftTrainer,
    RoleName,
    TrainingError,
    TrainSettings,
    adapter_config_lines,
    export_roles,
    layout_for,
    make_datasets,
    parse_role,
    require_train_extra,
    run_eval,
    train_roles,
)
from qsm.train.evaluate import judgement_metrics

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["eval_cmd", "train_group"]

_role_option = click.option(
    "--role", "role", default="all", show_default=True, help="QSM, WeQ, SOM, Ref, a comma list, or all."
)


def _roles(value: str) -> list[RoleName]:
    if value.strip().lower() == "all":
        return list(ROLES)
    return [parse_role(v) for v in value.split(",") if v.strip()]


def _settings(cli_ctx: CliContext, overrides: dict[str, Any]) -> TrainSettings:
    """The ``[train]`` table of the configuration with the command's flags on top."""
    current = cli_ctx.settings.train
    given = {
        section: {k: v for k, v in values.items() if v is not None}
        for section, values in overrides.items()
        if isinstance(values, dict)
    }
    try:
        return TrainSettings.model_validate(deep_merge(current.model_dump(), given))
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ConfigError(
            f"invalid training option {'.'.join(map(str, err['loc']))}: {err['msg']}",
            hint="see `qsm train --help`",
        ) from None


def _shipped_out_option(what: str) -> Callable[[F], F]:
    """``--out``: where a trainer writes what it makes, by default the shipped package file."""
    return click.option(
        "--out",
        type=click.Path(path_type=Path),
        help=f"Where to write the {what} (default: the shipped file inside the package, with its card).",
    )


def _echo_config(lines: str) -> None:
    if lines:
        click.echo("\nServe the adapters on the shared base: add to qsm.toml\n")
        click.echo(lines)


@click.group("train")
def train_group() -> None:
    """Specialise the four agents: role datasets, LoRA adapters (PEFT), GGUF export for llama.cpp."""


@train_group.command("data")
@_role_option
@click.option("--examples", type=int, help="Seed examples per role (default 600).")
@click.option("--seed", type=int, help="Generator seed (same seed, same data).")
@click.option("--teacher-model", type=click.Path(path_type=Path), help="Teacher GGUF (llama.cpp).")
@click.option("--teacher-url", help="Teacher OpenAI-compatible server, e.g. http://host:8080/v1.")
@click.option("--teacher-name", help="Model name to ask the teacher server for.")
@click.option("--teacher-agent", help="Use the model of an [agents.NAME] table of qsm.toml as the teacher.")
@click.option("--teacher-samples", type=int, help="Teacher replies tried per task (default 2).")
@click.option("--teacher-tasks", type=int, help="At most this many train tasks per role go to the teacher.")
@click.option("--force", is_flag=True, help="Rebuild datasets that exist already.")
@pass_cli
def data_cmd(
    cli_ctx: CliContext,
    role: str,
    examples: int | None,
    seed: int | None,
    teacher_model: Path | None,
    teacher_url: str | None,
    teacher_name: str | None,
    teacher_agent: str | None,
    teacher_samples: int | None,
    teacher_tasks: int | None,
    force: bool,
) -> None:
    """Build each role's seed dataset (train/val/test + dataset card), expanded by an optional teacher."""
    roles = _roles(role)
    if sum(x is not None for x in (teacher_model, teacher_url, teacher_agent)) > 1:
        raise TrainingError(
            "choose one teacher", hint="pass one of --teacher-model, --teacher-url or --teacher-agent"
        )
    teacher: dict[str, Any] | None = None
    if teacher_agent:
        teacher = cli_ctx.settings.agent(teacher_agent).model_dump()
    elif teacher_model:
        teacher = {"model": {"path": str(teacher_model)}}
    elif teacher_url:
        teacher = {"model": {"backend": "openai", "url": teacher_url, "name": teacher_name}}
    train = _settings(
        cli_ctx,
        {
            "data": {
                "examples_per_role": examples,
                "seed": seed,
                "teacher": teacher,
                "teacher_samples": teacher_samples,
                "teacher_tasks": teacher_tasks,
            }
        },
    )
    layout = layout_for(train, cli_ctx.settings.data_dir)
    make_datasets(roles, train, layout, force=force, log=click.echo)


@train_group.command("router")
@click.option("--seed", type=int, default=7, show_default=True, help="Data and initialisation seed.")
@click.option(
    "--per-template", type=int, default=12, show_default=True, help="Examples per routing template."
)
@click.option(
    "--threshold", type=float, default=0.7, show_default=True, help="Confidence the team routes on."
)
@click.option(
    "--kind",
    type=click.Choice(["classical", "quantum"]),
    default="classical",
    show_default=True,
    help="classical: softmax heads (router.npz); quantum: the PennyLane circuit distilled from QSM's adapter "
    "(quantum_router.npz; needs the quantum extra and the cached teacher labels).",
)
@click.option(
    "--alpha",
    type=click.FloatRange(0.0, 1.0),
    default=0.5,
    show_default=True,
    help="QD-LLM weight of the KL to the teacher's soft route and complexity labels (1 - alpha: "
    "cross-entropy to the true labels); 0 trains on the true labels only.",
)
@_shipped_out_option("student")
@pass_cli
def router_cmd(
    cli_ctx: CliContext,
    seed: int,
    per_template: int,
    threshold: float,
    kind: str,
    alpha: float,
    out: Path | None,
) -> None:
    """Train QSM's student router (intent and complexity over the MiniLM embedding) on the QD-LLM objective,
    distilled from the teacher's cached soft labels (`qsm train router-teacher` writes them): classical in
    seconds, quantum in minutes."""
    from qsm.store.minilm import MiniLMEmbedder

    embedder = MiniLMEmbedder(threads=cli_ctx.settings.memory.embed_threads, batch_size=32, max_tokens=128)
    if kind == "quantum":
        from qsm.agents.quantum_router import shipped_quantum_router_path
        from qsm.train.quantum_router import train_quantum_router

        target = out or shipped_quantum_router_path()
        train_quantum_router(embedder.embed, embedder.name, target, seed=seed, per_template=per_template,
                             threshold=threshold, alpha=alpha, log=click.echo)  # fmt: skip
        click.echo(f'quantum router: {target}; use it with [runtime] router = "quantum"')
        return
    from qsm.agents.router import shipped_router_path
    from qsm.train.router import train_router

    target = out or shipped_router_path()
    train_router(embedder.embed, embedder.name, target, seed=seed, per_template=per_template,
                 threshold=threshold, alpha=alpha, log=click.echo)  # fmt: skip
    click.echo(f"router: {target}; point [runtime] router_path at it to use another file")


@train_group.command("embedder")
@click.option("--seed", type=int, default=0, show_default=True, help="Corpus order and initialisation seed.")
@click.option(
    "--epochs", type=click.IntRange(1, 200), default=12, show_default=True, help="Passes over the corpus."
)
@click.option(
    "--corpus-mb",
    type=click.FloatRange(0.1, 100.0),
    default=4.0,
    show_default=True,
    help="MB of text to fit on.",
)
@click.option("--threads", type=int, default=2, show_default=True, help="CPU threads (teacher and fit).")
@_shipped_out_option("table")
@pass_cli
def embedder_cmd(
    cli_ctx: CliContext, seed: int, epochs: int, corpus_mb: float, threads: int, out: Path | None
) -> None:
    """Distil the static token table that ingest embeds with (a stand-in for MiniLM, ~200x faster) from
    MiniLM on local text; about 20 minutes on 2 cores, the teacher's vectors cached for the next run."""
    from qsm.store.static_embedder import STATIC_TABLE
    from qsm.train.static_embedder import card_text, distil_static_embedder

    target = out or STATIC_TABLE
    cache = layout_for(_settings(cli_ctx, {}), cli_ctx.settings.data_dir).root / "embedder"
    fit = distil_static_embedder(target, cache, seed=seed, epochs=epochs, max_bytes=int(corpus_mb * 1e6),
                                 threads=threads, log=click.echo)  # fmt: skip
    command = f"qsm train embedder --seed {seed} --epochs {epochs} --corpus-mb {corpus_mb:g}"
    target.with_name("CARD.md" if out is None else f"{target.stem}.md").write_text(
        card_text(fit, command), encoding="utf-8"
    )
    click.echo(f"static embedder: {target} (held-out cosine to MiniLM {fit.held_out_cosine:.3f})")


@train_group.command("router-teacher")
@click.option("--seed", type=int, default=7, show_default=True, help="Routing data seed.")
@click.option(
    "--per-template", type=int, default=12, show_default=True, help="Examples per routing template."
)
@click.option("--threads", type=int, default=1, show_default=True, help="llama.cpp threads.")
@click.option(
    "--keep-route",
    is_flag=True,
    help="Keep the cached route labels when they were computed for the same data, base model and QSM "
    "adapter file (by SHA-256); label the complexity only.",
)
@pass_cli
def router_teacher_cmd(
    cli_ctx: CliContext, seed: int, per_template: int, threads: int, keep_route: bool
) -> None:
    """Label the routing data with the teacher through llama.cpp: P(SOM) from QSM's shipped adapter and
    P(low, medium, high) from SOM's (the adapter trained to write the complexity), cached in the package for
    `qsm train router`. Runs the real model."""
    from qsm.agents.locate import bundled_model_path
    from qsm.agents.shipped import shipped_adapter_path
    from qsm.errors import ModelNotFoundError
    from qsm.ids import file_sha256
    from qsm.train.router_data import build_router_data
    from qsm.train.router_teacher import (
        TeacherLabels,
        data_fingerprint,
        label_complexity_with_teacher,
        label_with_teacher,
        shipped_teacher_path,
    )

    adapters = {role: shipped_adapter_path(role) for role in ("QSM", "SOM")}
    qsm_adapter, som_adapter = adapters["QSM"], adapters["SOM"]
    if qsm_adapter is None or som_adapter is None:
        missing = [role for role, path in adapters.items() if path is None]
        raise ModelNotFoundError(
            f"the shipped {', '.join(missing)} adapter is not installed", hint="reinstall qsm"
        )
    texts = [e.text for e in build_router_data(per_template=per_template, seed=seed)]
    cache = shipped_teacher_path()
    cached = TeacherLabels.load(cache) if keep_route and cache.is_file() else None
    if (
        cached is not None
        and cached.fingerprint == data_fingerprint(texts)
        and cached.adapter_sha256 == file_sha256(qsm_adapter)
        and cached.model == bundled_model_path().name
    ):
        click.echo(f"keeping the cached route labels of {len(texts)} requests")
        labels = cached
    else:
        labels = label_with_teacher(
            texts, model_path=bundled_model_path(), adapter_path=qsm_adapter, threads=threads, log=click.echo
        )
    labels = label_complexity_with_teacher(
        labels,
        texts,
        model_path=bundled_model_path(),
        adapter_path=som_adapter,
        threads=threads,
        log=click.echo,
    )
    labels.save(cache)
    click.echo(f"teacher labels: {cache} ({len(texts)} requests)")


@train_group.command("notes-rs")
@click.option("--prompts", type=int, default=160, show_default=True, help="Note requests built (all splits).")
@click.option("--samples", type=int, default=4, show_default=True, help="Answers sampled per train prompt.")
@click.option(
    "--keep", type=int, default=2, show_default=True, help="Distinct accepted answers kept per prompt."
)
@click.option(
    "--temperature", type=float, default=0.8, show_default=True, help="Sampling temperature after sample 0."
)
@click.option("--threads", type=int, default=1, show_default=True, help="llama.cpp threads.")
@pass_cli
def notes_rs_cmd(
    cli_ctx: CliContext, prompts: int, samples: int, keep: int, temperature: float, threads: int
) -> None:
    """Add WeQ examples on the prompt the team sends for pasted notes, by rejection sampling: WeQ as served
    (base + its adapter) answers each train prompt; only answers that pass Ref's checks and state the gold
    fact citing the gold note are kept. Run after `qsm train data`, then `qsm train lora --role WeQ`."""
    from qsm.agents.pool import ModelPool
    from qsm.store.embedder import make_embedder
    from qsm.train.notes_rs import build_notes_rs, describe_model

    if min(prompts, samples, keep, threads) < 1 or temperature < 0:
        raise TrainingError(
            "--prompts, --samples, --keep and --threads must be at least 1 and --temperature at least 0",
            hint="see `qsm train notes-rs --help`",
        )
    train = _settings(cli_ctx, {})
    layout = layout_for(train, cli_ctx.settings.data_dir)
    if not layout.split("WeQ", "train").is_file():
        raise TrainingError(
            f"no WeQ dataset in {layout.dataset('WeQ')}", hint="build it first: `qsm train data --role WeQ`"
        )
    agent = cli_ctx.settings.agent("WeQ")
    agent = agent.model_copy(update={"model": agent.model.model_copy(update={"n_threads": threads})})
    settings = {"prompts": prompts, "samples": samples, "keep": keep, "temperature": temperature,
                "seed": train.data.seed, "model": describe_model(agent)}  # fmt: skip
    pool = ModelPool()
    try:
        report = build_notes_rs(
            layout, train.data, pool.model_for("WeQ", agent), make_embedder(cli_ctx.settings.memory),
            prompts=prompts, samples=samples, keep=keep, temperature=temperature, sampling=agent.sampling,
            settings=settings, log=click.echo,
        )  # fmt: skip
    finally:
        pool.close()
    counts = report["counts"]
    click.echo(
        f"WeQ dataset: train {counts['train']} (+{counts['train_added']}), val {counts['val']} "
        f"(+{counts['val_added']}), test {counts['test']} (+{counts['test_added']}); "
        f"record: {layout.rejection('WeQ')}"
    )


@train_group.command("lora")
@_role_option
@click.option("--epochs", type=int, help="Passes over the train split (default 2).")
@click.option("--rank", type=int, help="LoRA rank (default 16).")
@click.option("--alpha", type=float, help="LoRA alpha (default 32).")
@click.option("--lr", "learning_rate", type=float, help="Peak learning rate (default 5e-4).")
@click.option("--batch-size", type=int, help="Examples per step (default 8).")
@click.option("--max-steps", type=int, help="Train exactly this many steps (overrides --epochs).")
@click.option(
    "--device", type=click.Choice(["auto", "cpu", "cuda", "mps"]), help="Default auto (GPU if any)."
)
@click.option("--precision", type=click.Choice(["auto", "fp32", "bf16"]), help="Default auto.")
@click.option("--threads", type=int, help="torch CPU threads (default: all cores; 1 leaves the rest free).")
@click.option("--seed", type=int, help="Seed of the LoRA initialisation and batch order (default 0).")
@click.option(
    "--decision-weight", type=float, help="Loss weight of the decision tokens in JSON replies (default 1)."
)
@click.option("--no-export", is_flag=True, help="Keep the PEFT adapter only; skip the GGUF export.")
@pass_cli
def lora_cmd(cli_ctx: CliContext, role: str, no_export: bool, **flags: Any) -> None:
    """Fine-tune a LoRA adapter per role (PEFT, CPU by default), then export it to GGUF for llama.cpp."""
    roles = _roles(role)
    require_train_extra()
    train = _settings(cli_ctx, {"lora": flags})
    layout = layout_for(train, cli_ctx.settings.data_dir)
    trainer = PeftTrainer(train.lora, base=train.base, log=click.echo)
    train_roles(roles, layout, trainer, log=click.echo)
    if not no_export:
        export_roles(roles, layout, train, log=click.echo)
        _echo_config(adapter_config_lines(layout, roles))


train_group.add_command(grpo_cmd)
train_group.add_command(stages_cmd)


@train_group.command("export")
@_role_option
@click.option("--outtype", type=click.Choice(["f16", "f32"]), help="GGUF tensor type (default f16).")
@pass_cli
def export_cmd(cli_ctx: CliContext, role: str, outtype: str | None) -> None:
    """Convert trained PEFT adapters to GGUF LoRA files (llama.cpp's convert_lora_to_gguf)."""
    roles = _roles(role)
    train = _settings(cli_ctx, {"lora": {"export_type": outtype}})
    layout = layout_for(train, cli_ctx.settings.data_dir)
    export_roles(roles, layout, train, log=click.echo)
    _echo_config(adapter_config_lines(layout, roles))


@train_group.command("ship")
@_role_option
@click.option(
    "--to",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where the role folders go (default: the installed package's qsm/adapters).",
)
@pass_cli
def ship_cmd(cli_ctx: CliContext, role: str, out_dir: Path | None) -> None:
    """Copy the exported adapters into the package as the shipped ones, each with its card (data, training,
    held-out metrics base vs adapter from `qsm eval`, and the commands that reproduce it)."""
    from qsm.agents.shipped import shipped_dir
    from qsm.train.ship import ship_roles

    roles = _roles(role)
    train = _settings(cli_ctx, {})
    layout = layout_for(train, cli_ctx.settings.data_dir)
    for name, path in ship_roles(roles, layout, out_dir or shipped_dir(), base=train.base).items():
        click.echo(f"{name}: {path} ({path.stat().st_size / 2**20:.1f} MB) with CARD.md and card.json")


@train_group.command("config")
@_role_option
@pass_cli
def config_cmd(cli_ctx: CliContext, role: str) -> None:
    """Print the qsm.toml lines that serve the exported adapters."""
    train = _settings(cli_ctx, {})
    layout = layout_for(train, cli_ctx.settings.data_dir)
    lines = adapter_config_lines(layout, _roles(role))
    if not lines:
        raise TrainingError(
            f"no exported adapters in {layout.root / 'adapters'}", hint="run `qsm train lora`"
        )
    click.echo(lines)


@click.command("eval")
@_role_option
@click.option("--team", is_flag=True, help="The team against one base-model call on the public team set.")
@click.option("--quick", is_flag=True, help="With --team: the first 8 requests of each category.")
@click.option("--category", "categories", multiple=True, help="With --team: only this category (repeatable).")
@click.option("--out", type=click.Path(path_type=Path), help="With --team: write the JSON report here.")
@click.option(
    "--limit", type=int, help="At most this many held-out examples per role (per category with --team)."
)
@click.option("--max-tokens", type=int, help="Tokens per reply (default 160).")
@click.option("--threads", "n_threads", type=int, help="llama.cpp threads (default 2).")
@click.option("--json", "as_json", is_flag=True, help="Print only the JSON report.")
@pass_cli
def eval_cmd(
    cli_ctx: CliContext,
    role: str,
    team: bool,
    quick: bool,
    categories: tuple[str, ...],
    out: Path | None,
    limit: int | None,
    max_tokens: int | None,
    n_threads: int | None,
    as_json: bool,
) -> None:
    """Score base vs adapter per role on its held-out set through llama.cpp (format validity without
    grammar, judgement accuracy); the JSON goes to <data_dir>/train/eval.json. With --team: the team as
    shipped, the team without adapters and one base-model call on the public team set, per category."""
    if team:
        from qsm.cli.team_eval_view import team_eval

        team_eval(cli_ctx.settings, limit=8 if quick else limit, categories=list(categories) or None,
                  out=out, as_json=as_json)  # fmt: skip
        return
    roles = _roles(role)
    train = _settings(cli_ctx, {"eval": {"limit": limit, "max_tokens": max_tokens, "n_threads": n_threads}})
    layout = layout_for(train, cli_ctx.settings.data_dir)
    report = run_eval(roles, layout, train, log=(lambda _m: None) if as_json else click.echo)
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    click.echo(f"\n{'role':<5} {'task':<13} {'n':>4}  {'format base->adapter':<22} judgement base->adapter")
    for name, result in report["roles"].items():
        for task, base in result["base"]["tasks"].items():
            tuned = result["adapter"]["tasks"][task]
            judged = ", ".join(f"{m} {base[m]:.2f}->{tuned[m]:.2f}" for m in judgement_metrics(base))
            fmt = f"{base['format_valid']:.2f} -> {tuned['format_valid']:.2f}"
            click.echo(f"{name:<5} {task:<13} {base['n']:>4}  {fmt:<22} {judged}")
    verdict = (
        "every adapter beats its base" if report["all_beat_base"] else "NOT every adapter beats its base"
    )
    click.echo(f"\n{verdict}; report: {layout.eval_json}")
