"""``kerker train surrogate`` and ``kerker evaluate surrogate``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from kerker.cli._groups import command_group
from kerker.cli._io import count, input_file, log_line, output_dir, parse_ints, real, wrote

_PAPER_RMAE = {"Q_fwd": 0.0080, "Q_back": 0.0095}  # Soun et al., test-set mean rMAE of their ResNet


def register(subparsers) -> None:
    """Add ``surrogate`` to the ``train`` and ``evaluate`` command groups."""
    train = command_group(subparsers, "train").add_parser(
        "surrogate",
        help="train the ResNet or MLP surrogate of Q_fwd/Q_back spectra on a dataset",
        description=(
            "Train a surrogate network on a core-shell dataset (`kerker dataset build`): MSE on log1p + min-max "
            "scaled Q_fwd and Q_back, Adam with the learning rate halved every --lr-halve-every epochs, step-wise "
            "growing batch size, early stopping on the validation loss. Writes last.pt (resumable with --resume), "
            "best.pt (weights, configs, fitted preprocessing, metrics, dataset fingerprint), history.json and "
            "loss_curves.png to --out. --init-from fine-tunes a finished run (its weights, preprocessing and "
            "architecture), e.g. with --loss rmae --freeze-bn-after 0 --lr-schedule cosine. Sizes in nm. "
            "Progress goes to stderr."
        ),
    )
    train.add_argument("--data", type=Path, required=True, help="dataset file (HDF5)")
    train.add_argument("--arch", choices=("resnet", "mlp"), default="resnet", help="network family")
    train.add_argument("--out", type=Path, help="run folder (default: runs/<arch>)")
    train.add_argument("--resume", action="store_true", help="continue from <out>/last.pt")
    train.add_argument("--epochs", type=count(1), default=80, help="maximum epochs")
    train.add_argument("--lr", type=real(), default=1e-3, help="initial Adam learning rate")
    train.add_argument("--lr-halve-every", type=count(1), default=15, help="halve the learning rate every N epochs")
    train.add_argument("--batch-schedule", default="0:32,3:64,6:128,10:256",
                       help="step-wise batch size as epoch:size pairs (0-based epochs)")
    train.add_argument("--patience", type=count(1), default=20, help="early-stopping patience (epochs)")
    train.add_argument("--seed", type=count(0), default=0, help="seed of initialisation and shuffling")
    train.add_argument("--q-floor", type=real(), default=1e-6,
                       help="targets are log1p(q / q_floor) then min-max scaled; 1 = the paper's log1p, "
                            "1e-6 = logarithmic down to 1e-6 (relative accuracy for small particles)")
    train.add_argument("--loss", choices=("mse", "weighted_mse", "rmae"), default="mse",
                       help="mse: plain MSE on the preprocessed targets (the paper); weighted_mse: each wavelength "
                            "weighted by q / spectrum mean, its share in the rMAE; rmae: the per-spectrum rMAE itself "
                            "in physical units (for fine-tuning)")
    train.add_argument("--lr-schedule", choices=("halve", "cosine"), default="halve",
                       help="halve: halve the learning rate every --lr-halve-every epochs (the paper); cosine: fall "
                            "from --lr to 0 along a half cosine over --epochs")
    train.add_argument("--freeze-bn-after", type=count(0),
                       help="from this 0-based epoch on, batch norm uses its running statistics in training too "
                            "(default: never)")
    train.add_argument("--init-from", type=Path,
                       help="start from this surrogate checkpoint (best.pt of a run on the same dataset): weights, "
                            "preprocessing and architecture; leave the size options out")
    train.add_argument("--max-train", type=count(1), help="train on a seeded random subset of N training particles")
    train.add_argument("--threads", type=count(1), default=1, help="torch threads (torch.set_num_threads)")
    resnet = train.add_argument_group("ResNet size")
    resnet.add_argument("--channels", help="channels per group, one x2 upsampling each (default: 64,48,32)")
    resnet.add_argument("--blocks-per-group", type=count(1), help="residual blocks per group (default: 4)")
    resnet.add_argument("--seq-len", type=count(1), help="length of the stem's sequence (default: 8)")
    resnet.add_argument("--kernel-size", type=count(1), help="Conv1D kernel size, odd (default: 3)")
    resnet.add_argument("--stem-hidden",
                        help="hidden dense layers of the stem before the sequence layer, comma-separated widths; "
                             "'none' = the paper's single dense layer (default: none)")
    resnet.add_argument("--fourier-octaves", type=count(0),
                        help="sin/cos(pi 2^k s) features of the scaled sizes s for k < N (default: 0, the paper)")
    resnet.add_argument("--activation", choices=("leaky_relu", "silu"),
                        help="nonlinearity (default: leaky_relu, the paper's)")
    mlp = train.add_argument_group("MLP size")
    mlp.add_argument("--hidden", help="hidden layer widths (default: 256,256,256,256)")
    mlp.add_argument("--wavelengths-per-particle", type=count(1),
                     help="wavelengths drawn per particle and step (default: all)")
    train.set_defaults(func=_run_train, _fields={"num_threads": "--threads"})

    evaluate = command_group(subparsers, "evaluate").add_parser(
        "surrogate",
        help="rMAE of a surrogate against exact Mie: test split and off-grid particles",
        description=(
            "Per-spectrum relative MAE, sum|pred - exact| / sum|exact| over wavelengths, for Q_fwd and Q_back: on "
            "the dataset's test split (exact values from the dataset) and on random off-grid particles with "
            "continuous sizes (exact Mie computed here). Writes evaluation.json, rmae_test.png, "
            "rmae_off_grid.png and spectra_examples.png. The summary goes to stdout, progress to stderr."
        ),
    )
    evaluate.add_argument("--checkpoint", default="resnet",
                          help="checkpoint file, or the name of a shipped model: resnet, mlp (kerker's surrogates)")
    evaluate.add_argument("--data", type=Path, help="dataset file for the test split (omit to skip it)")
    evaluate.add_argument("--off-grid", type=count(0), default=2000,
                          help="number of random off-grid particles (0 skips)")
    evaluate.add_argument("--seed", type=count(0), default=0, help="seed of the off-grid particles")
    evaluate.add_argument("--out", type=Path, default=Path("results/surrogate"), help="output folder")
    evaluate.set_defaults(func=_run_evaluate)


def _schedule(text: str) -> tuple[tuple[int, int], ...]:
    try:
        return tuple((int(a), int(b)) for a, b in (pair.split(":") for pair in text.split(",")))
    except ValueError as err:
        raise ValueError(f"--batch-schedule must look like 0:32,3:64,6:128, got {text!r}") from err


def _stem_hidden(text):
    if text is None:
        return None
    if text.strip().lower() in ("none", ""):
        return ()
    return parse_ints(text, "--stem-hidden")


_LOSS_LABELS = {
    "mse": "MSE (preprocessed targets)",
    "weighted_mse": "rMAE-weighted MSE (preprocessed targets)",
    "rmae": "rMAE, mean of Q_fwd and Q_back",
}


def surrogate_from(spec, option: str = "--checkpoint", *, shipped: bool = True):
    """The surrogate of a command-line value: a shipped model's name (resnet, mlp) or a checkpoint file.

    A file that is not a complete surrogate checkpoint is refused with the loader's
    ``ValueError`` (naming the missing entry), prefixed by the option.
    """
    from kerker.models import SHIPPED_SURROGATES, Surrogate, load_surrogate

    spec = str(spec)
    if shipped and spec in SHIPPED_SURROGATES and not Path(spec).exists():
        return load_surrogate(spec)
    if shipped and spec == "wgan" and not Path(spec).exists():
        raise ValueError(f"{option} wgan is kerker's shipped generator, not a surrogate; evaluate it with "
                         "`kerker evaluate wgan`")
    if not Path(spec).exists():
        names = f" or a shipped model ({', '.join(SHIPPED_SURROGATES)})" if shipped else ""
        raise ValueError(f"{option} {spec}: no such file; give a checkpoint of `kerker train surrogate`{names}")
    path = input_file(spec, option, what="checkpoint")
    try:
        return Surrogate.from_checkpoint(path)
    except ValueError as err:  # the loader names the file and what is wrong with it; add the option
        raise ValueError(f"{option} {err}") from None


def _run_train(args) -> int:
    from kerker._artifacts import provenance, write_json_atomic
    from kerker.dataset import open_dataset
    from kerker.models import MLPConfig, ResNetConfig, SurrogateTrainConfig, train_surrogate
    from kerker.report import plot_loss_curves

    data = input_file(args.data, "--data", what="dataset file", must_exist=False)
    out = output_dir(args.out or Path("runs") / args.arch)
    if args.init_from is not None:
        surrogate_from(args.init_from, "--init-from", shipped=False)  # refuse a bad file before any work
    config = SurrogateTrainConfig(
        arch=args.arch,
        epochs=args.epochs,
        lr=args.lr,
        lr_halve_every=args.lr_halve_every,
        batch_schedule=_schedule(args.batch_schedule),
        patience=args.patience,
        seed=args.seed,
        q_floor=args.q_floor,
        wavelengths_per_particle=args.wavelengths_per_particle,
        max_train=args.max_train,
        num_threads=args.threads,
        loss=args.loss,
        lr_schedule=args.lr_schedule,
        freeze_bn_after=args.freeze_bn_after,
        init_from=None if args.init_from is None else str(args.init_from),
    )
    if args.arch == "resnet":
        given = {
            "channels": None if args.channels is None else parse_ints(args.channels, "--channels"),
            "blocks_per_group": args.blocks_per_group,
            "seq_len": args.seq_len,
            "kernel_size": args.kernel_size,
            "stem_hidden": _stem_hidden(args.stem_hidden),
            "activation": args.activation,
            "fourier_octaves": args.fourier_octaves,
        }
        given = {k: v for k, v in given.items() if v is not None}
        arch = ResNetConfig(**given) if given or args.init_from is None else None
    elif args.hidden is not None:
        arch = MLPConfig(hidden=parse_ints(args.hidden, "--hidden"))
    else:
        arch = None if args.init_from is not None else MLPConfig()
    dataset = open_dataset(data)
    command = {"argv": ["kerker", *sys.argv[1:]], "data": str(data), "config": config.to_dict(),
               "arch_config": None if arch is None else arch.to_dict()}
    write_json_atomic(out / "run.json", {"provenance": provenance(command, seed=args.seed)})
    best = train_surrogate(dataset, config, out, arch_config=arch, resume=args.resume, log=log_line)
    history = json.loads((out / "history.json").read_text())["history"]
    title = f"{args.arch} surrogate" + (f", fine-tuned from {args.init_from}" if args.init_from else "")
    plot_loss_curves(history, out / "loss_curves.png", title=title, ylabel=_LOSS_LABELS[args.loss])
    wrote(best, out / "last.pt", out / "history.json", out / "loss_curves.png")
    return 0


def _run_evaluate(args) -> int:
    from kerker._artifacts import provenance, write_json_atomic
    from kerker.models import evaluate_surrogate
    from kerker.report import plot_rmae_histograms, plot_spectra_comparison

    if args.data is None and not args.off_grid:
        raise ValueError("nothing to evaluate: give --data for the test split and/or --off-grid N > 0")
    out = output_dir(args.out)
    model = surrogate_from(args.checkpoint)
    dataset = None
    if args.data is not None:
        from kerker.dataset import open_dataset

        dataset = open_dataset(input_file(args.data, "--data", what="dataset file", must_exist=False))
    log_line(f"evaluating {model}")
    result = evaluate_surrogate(model, dataset, off_grid=args.off_grid, seed=args.seed, examples=6, log=log_line)
    files = []
    summary = {}
    for part, name in (("test", "test split"), ("off_grid", "off-grid")):
        if part not in result:
            continue
        r = result[part]
        values = {"Q_fwd": r.pop("values_q_fwd"), "Q_back": r.pop("values_q_back")}
        summary[part] = r
        print(
            f"{name} ({r['n']} particles) rMAE mean / median: "
            f"Q_fwd {100 * r['q_fwd']['mean']:.3f} % / {100 * r['q_fwd']['median']:.3f} %, "
            f"Q_back {100 * r['q_back']['mean']:.3f} % / {100 * r['q_back']['median']:.3f} %"
        )
        files.append(plot_rmae_histograms(values, out / f"rmae_{part}.png",
                                          title=f"{model.arch} surrogate, {name} ({r['n']} spectra)",
                                          reference=_PAPER_RMAE if part == "test" else None))
    if "examples" in result:
        ex = result["examples"]
        files.append(plot_spectra_comparison(
            model.wavelength, ex["exact"], ex["predicted"], ex["labels"], out / "spectra_examples.png",
            title=f"{model.arch} surrogate (dots) vs exact Mie (lines), test particles"))
    config = {"checkpoint": str(args.checkpoint), "data": str(args.data) if args.data else None,
              "off_grid": args.off_grid, "seed": args.seed}
    payload = {"provenance": provenance(config, seed=args.seed), "model": {"arch": model.arch,
               "dataset_fingerprint": model.info.get("dataset", {}).get("fingerprint"),
               "recorded_metrics": model.info.get("metrics")},
               "paper_test_mean_rmae": _PAPER_RMAE, **summary}
    files.append(write_json_atomic(out / "evaluation.json", payload))
    wrote(*files)
    return 0
