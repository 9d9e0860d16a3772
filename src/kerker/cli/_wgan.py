"""``kerker train wgan`` and ``kerker evaluate wgan``."""

from __future__ import annotations

import sys
from pathlib import Path

from kerker.cli._groups import command_group
from kerker.cli._io import count, input_file, log_line, output_dir, output_file, parse_ints, parse_numbers, real, wrote


#: Names of the shipped generators for --checkpoint, by their layer count.
_SHIPPED = {"wgan": 2, "wgan3": 3}


def register(subparsers) -> None:
    """Add ``wgan`` to the ``train`` and ``evaluate`` command groups."""
    train = command_group(subparsers, "train").add_parser(
        "wgan",
        help="train the WGAN-GP that maps a 128-d normal latent z to core-shell designs",
        description=(
            "Train a WGAN-GP (Gulrajani et al. 2017) on the design parameters of a core-shell dataset "
            "(`kerker dataset build`), or with --layers L on seeded random designs of L-layer spheres (no dataset: "
            "every layer's material uniform among the paper's seven, sizes uniform in --thickness-range); spectra "
            "are not used. Per batch of real designs: --n-critic critic updates "
            "(gradient penalty --gp-weight) then one generator update; Adam with separate learning rates. Writes "
            "last.pt (resumable with --resume), best.pt (the epoch whose fixed latent samples are closest to the data: "
            "missing pairs, material frequencies, 1-nm coverage), history.json and losses.png to --out. "
            "Sizes in nm. Progress goes to stderr."
        ),
    )
    train.add_argument("--data", type=Path, help="dataset file (HDF5) of core-shell designs; omit with --layers")
    train.add_argument("--layers", type=count(1),
                       help="train on seeded random designs of this many concentric layers instead of a dataset "
                            "(the paper's seven materials, each layer uniform; see --designs, --thickness-range)")
    train.add_argument("--designs", type=count(1), default=122_500,
                       help="with --layers: number of random designs (default 122,500, the paper dataset's size)")
    train.add_argument("--thickness-range", default="1,100",
                       help="with --layers: range of the core radius and of every layer's thickness, nm")
    train.add_argument("--out", type=Path, default=Path("runs/wgan"), help="run folder")
    train.add_argument("--resume", action="store_true", help="continue from <out>/last.pt")
    train.add_argument("--epochs", type=count(1), default=24, help="passes over the real designs")
    train.add_argument("--batch-size", type=count(1), default=256, help="real designs per generator step")
    train.add_argument("--n-critic", type=count(1), default=5, help="critic updates per generator update")
    train.add_argument("--gp-weight", type=real(), default=10.0, help="gradient-penalty weight lambda")
    train.add_argument("--lr-generator", type=real(), default=5e-5, help="generator Adam learning rate")
    train.add_argument("--lr-critic", type=real(), default=5e-4, help="critic Adam learning rate")
    train.add_argument("--betas", default="0.0,0.9", help="Adam betas of both optimizers")
    train.add_argument("--critic-batches", choices=("same", "fresh"), default="same",
                       help="real batch of critic updates 2..n: the step's own (Keras) or freshly drawn (Gulrajani)")
    train.add_argument("--split", choices=("all", "train", "val", "test"), default="all",
                       help="which designs of the dataset to learn")
    train.add_argument("--max-samples", type=count(1), help="learn a seeded random subset of N designs")
    train.add_argument("--pair-balance", type=real(at_least=0.0), default=0.0,
                       help="weight of the pair-balance term KL(uniform || mean soft pair joint) in the generator "
                            "loss; 0 is the paper's loss, the shipped generator used 1")
    train.add_argument("--pair-batch", type=count(1), default=1024,
                       help="latent draws per step for the pair-balance term")
    train.add_argument("--seed", type=count(0), default=0, help="seed of initialisation, shuffling and noise")
    train.add_argument("--threads", type=count(1), default=1, help="torch threads (torch.set_num_threads)")
    arch = train.add_argument_group("architecture")
    arch.add_argument("--latent-dim", type=count(1), default=128, help="size of the latent vector z")
    arch.add_argument("--generator-hidden", default="128,128,128", help="generator hidden widths")
    arch.add_argument("--critic-hidden", default="128,128,128", help="critic hidden widths")
    arch.add_argument("--negative-slope", type=real(), default=0.2, help="leaky ReLU slope of both networks")
    arch.add_argument("--pack", type=count(1), default=1,
                      help="designs the critic scores jointly (PacGAN); 1 = the paper's critic")
    train.set_defaults(func=_run_train, _fields={
        "num_threads": "--threads", "GeneratorConfig.hidden": "--generator-hidden",
        "CriticConfig.hidden": "--critic-hidden", "GeneratorConfig.negative_slope": "--negative-slope",
        "CriticConfig.negative_slope": "--negative-slope"})

    evaluate = command_group(subparsers, "evaluate").add_parser(
        "wgan",
        help="fidelity of a WGAN-GP generator: 10,000 samples vs the training designs (paper Fig. S4)",
        description=(
            "Generate designs and compare them with the training designs: material frequencies (chi-square vs "
            "uniform), material pairs (mode collapse), size distributions (KS distance, coverage of 1-nm bins, "
            "corners of the size range) and latent smoothness along straight lines in z. Writes fidelity.json, "
            "fidelity.png (Fig. S4), pairs.png and latent_lines.png to --out; --export also writes a small "
            "generator-only checkpoint with the numbers inside. The summary goes to stdout, messages to stderr."
        ),
    )
    evaluate.add_argument("--checkpoint", default="wgan",
                          help="checkpoint file of `kerker train wgan`, or the name of a shipped generator: wgan "
                               "(core-shell) or wgan3 (three layers)")
    evaluate.add_argument("--data", type=Path, help="dataset file: the reference designs (omit to skip them)")
    evaluate.add_argument("--samples", type=count(1), default=10_000, help="number of generated designs")
    evaluate.add_argument("--lines", type=count(1), default=100, help="straight lines in z for the smoothness check")
    evaluate.add_argument("--steps", type=count(2), default=200, help="points per line (>= 2)")
    evaluate.add_argument("--seed", type=count(0), default=0, help="seed of the latent samples and lines")
    evaluate.add_argument("--out", type=Path, default=Path("results/wgan"), help="output folder")
    evaluate.add_argument("--export", type=Path,
                          help="also write a generator-only float32 checkpoint with the fidelity numbers here")
    evaluate.set_defaults(func=_run_evaluate)


def _run_train(args) -> int:
    from kerker._artifacts import provenance, write_json_atomic
    from kerker.dataset import open_dataset
    from kerker.models import CriticConfig, GeneratorConfig, WGANTrainConfig, train_wgan
    from kerker.report import plot_wgan_losses

    if (args.data is None) == (args.layers is None):
        raise ValueError("give --data (a core-shell dataset) or --layers L (random L-layer designs), one of them")
    data = None if args.data is None else input_file(args.data, "--data", what="dataset file", must_exist=False)
    out = output_dir(args.out)
    config = WGANTrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr_generator=args.lr_generator,
        lr_critic=args.lr_critic,
        betas=parse_numbers(args.betas, "--betas"),
        n_critic=args.n_critic,
        gp_weight=args.gp_weight,
        seed=args.seed,
        split=args.split,
        critic_batches=args.critic_batches,
        max_samples=args.max_samples,
        num_threads=args.threads,
        pair_balance=args.pair_balance,
        pair_batch=args.pair_batch,
    )
    gcfg = GeneratorConfig(latent_dim=args.latent_dim, hidden=parse_ints(args.generator_hidden, "--generator-hidden"),
                           negative_slope=args.negative_slope)
    ccfg = CriticConfig(hidden=parse_ints(args.critic_hidden, "--critic-hidden"), negative_slope=args.negative_slope,
                        pack=args.pack)
    if data is None:
        from kerker.dataset import LayerDesigns
        from kerker.materials import PAPER_MATERIALS

        sizes = parse_numbers(args.thickness_range, "--thickness-range")
        if len(sizes) != 2:
            raise ValueError(f"--thickness-range must be two numbers LOW,HIGH in nm, got {args.thickness_range!r}")
        try:
            dataset = LayerDesigns(tuple(PAPER_MATERIALS), n_layers=args.layers, r_range=sizes, t_range=sizes,
                                   n_designs=args.designs, seed=args.seed)
        except ValueError as err:
            raise ValueError(f"--thickness-range {args.thickness_range}: {err}") from None
    else:
        dataset = open_dataset(data)
    command = {"argv": ["kerker", *sys.argv[1:]], "data": None if data is None else str(data),
               "config": config.to_dict(),
               "generator": gcfg.to_dict(), "critic": ccfg.to_dict()}
    write_json_atomic(out / "run.json", {"provenance": provenance(command, seed=args.seed)})
    result = train_wgan(dataset, config, out, generator_config=gcfg, critic_config=ccfg, resume=args.resume,
                        command={"argv": command["argv"]}, log=log_line)
    plot_wgan_losses(result.history, out / "losses.png", title="WGAN-GP training")
    log_line(f"training time {result.train_time_s:.0f} s over {len(result.history)} epochs")
    wrote(out / "best.pt", out / "last.pt", out / "history.json", out / "losses.png")
    return 0


def _run_evaluate(args) -> int:
    from kerker._artifacts import provenance, write_json_atomic
    from kerker.models import (
        SHIPPED_SURROGATES,
        Generator,
        evaluate_wgan,
        export_generator,
        load_checkpoint,
        load_generator,
    )

    out = output_dir(args.out)
    export = None if args.export is None else output_file(args.export, "--export")
    spec = str(args.checkpoint)
    if spec in _SHIPPED and not Path(spec).exists():
        if export is not None:
            raise ValueError("--export needs a training checkpoint (--checkpoint PATH), not the shipped generator")
        generator, payload = load_generator(layers=_SHIPPED[spec]), None
    else:
        if spec in SHIPPED_SURROGATES and not Path(spec).exists():
            raise ValueError(f"--checkpoint {spec} is a shipped surrogate, not a generator; evaluate it with "
                             f"`kerker evaluate surrogate --checkpoint {spec}`")
        if not Path(spec).exists():
            raise ValueError(f"--checkpoint {spec}: no such file; give a checkpoint of `kerker train wgan` or a "
                             "shipped generator: wgan or wgan3")
        path = input_file(spec, "--checkpoint", what="checkpoint")
        payload = load_checkpoint(path)
        try:
            generator = Generator.from_checkpoint(payload)
        except ValueError as err:  # the loader says what is wrong with the file; add the option and the path
            raise ValueError(f"--checkpoint {path}: {err}") from None
    dataset = None
    if args.data is not None:
        from kerker.dataset import open_dataset

        dataset = open_dataset(input_file(args.data, "--data", what="dataset file", must_exist=False))
    log_line(f"evaluating {generator}")
    result = evaluate_wgan(generator, dataset, n_samples=args.samples, seed=args.seed, n_lines=args.lines,
                           n_steps=args.steps)
    metrics, arrays = result["metrics"], result["arrays"]
    if generator.n_layers != 2:
        files = _report_layers(generator, metrics, arrays, args.samples, out)
    else:
        files = _report_core_shell(generator, metrics, arrays, args.samples, out)
    config = {"checkpoint": str(args.checkpoint), "data": str(args.data) if args.data else None,
              "samples": args.samples, "lines": args.lines, "steps": args.steps, "seed": args.seed}
    summary = {"provenance": provenance(config, seed=args.seed), **metrics}
    files.append(write_json_atomic(out / "fidelity.json", summary))
    if export is not None:
        files.append(export_generator(payload, export, metrics=metrics,
                                      note={"evaluate_argv": ["kerker", *sys.argv[1:]],
                                            "train_time_s": metrics["run"]["train_time_s"]}))
    wrote(*files)
    return 0


def _report_core_shell(generator, metrics, arrays, samples, out) -> list:
    """Print the core-shell fidelity summary; write its three figures."""
    from kerker.report import plot_latent_lines, plot_pair_counts, plot_wgan_fidelity

    gen = metrics["generated"]
    mats, sizes, pairs = gen["materials"], gen["sizes"], gen["pairs"]
    print(f"{samples} designs: {pairs['present']}/{pairs['total']} material pairs present; largest material "
          f"deviation from uniform {mats['max_abs_deviation_pp']:.2f} percentage points")
    for name in ("r_core", "t_shell"):
        s = sizes[name]
        ks = f", KS vs training {s['ks_vs_training']:.3f}" if "ks_vs_training" in s else ""
        print(f"{name}: {s['min_nm']:.2f}-{s['max_nm']:.2f} nm, 1-nm bins hit {100 * s['coverage_1nm']:.1f} %, "
              f"KS vs uniform {s['ks_vs_uniform_range']:.3f}{ks}")
    sm = metrics["smoothness"]
    print(f"latent lines ({sm['n_lines']} x {sm['n_steps']} points): core / shell switches per line "
          f"{sm['core_switches_mean']:.2f} / {sm['shell_switches_mean']:.2f}; largest size jump per step "
          f"{sm['r_core_max_jump_nm']:.2f} nm (r_core), {sm['t_shell_max_jump_nm']:.2f} nm (t_shell)")
    print(f"targets: {metrics['targets']}")
    title = f"WGAN-GP, {samples:,} generated designs"
    return [
        plot_wgan_fidelity(arrays["generated"], arrays["reference"], generator.materials, generator.r_range,
                           generator.t_range, out / "fidelity.png", title=title),
        plot_pair_counts(gen["pairs"]["counts"], generator.materials, out / "pairs.png", title=title),
        plot_latent_lines(arrays["lines"], generator.materials, out / "latent_lines.png",
                          title="designs along straight lines in z"),
    ]


def _report_layers(generator, metrics, arrays, samples, out) -> list:
    """Print the L-layer fidelity summary; write its figures (per-layer materials and sizes, layer-pair counts)."""
    from kerker.report import plot_layer_fidelity, plot_pair_counts

    gen, robust = metrics["generated"], metrics["pair_robustness"]
    pairs = gen["pairs"]
    print(f"{samples} designs of {generator.n_layers} layers: largest material deviation from uniform "
          f"{gen['materials']['max_abs_deviation_pp']:.2f} percentage points; every two layers show at least "
          f"{pairs['present']}/{pairs['total']} material pairs, counts {pairs['min_count']}-{pairs['max_count']} "
          f"(expected {pairs['expected_count']:.0f})")
    if "sequences" in gen:
        seq = gen["sequences"]
        print(f"material sequences present: {seq['present']}/{seq['total']} (expected {seq['expected_count']:.1f} "
              "designs each)")
    for s in gen["sizes"]:
        print(f"layer {s['layer'] + 1}: {s['min_nm']:.2f}-{s['max_nm']:.2f} nm, 1-nm bins hit "
              f"{100 * s['coverage_1nm']:.1f} %, KS vs uniform {s['ks_vs_uniform_range']:.3f}")
    print(f"layer pairs on {robust['n_seeds']} latent seeds: all present on every seed "
          f"{robust['all_pairs_on_every_seed']}, frequency {robust['ratio_min']:.2f}-{robust['ratio_max']:.2f}x uniform")
    sm = metrics["smoothness"]
    print(f"latent lines ({sm['n_lines']} x {sm['n_steps']} points): material switches per step "
          f"{100 * sm['switch_fraction_of_steps']:.2f} %, largest size jump per step "
          f"{max(sm['max_jump_nm_per_layer']):.2f} nm")
    print(f"targets: {metrics['targets']}")
    title = f"WGAN-GP, {generator.n_layers} layers"
    files = [plot_layer_fidelity(arrays["index"], arrays["thickness"], generator.materials,
                                 generator.layer_ranges().tolist(), out / "fidelity.png", title=title)]
    for key, counts in pairs["counts"].items():
        i, j = (int(v) + 1 for v in key.split("-"))
        files.append(plot_pair_counts(counts, generator.materials, out / f"pairs_{i}{j}.png",
                                      title=f"{title}: layers {i} and {j}",
                                      axes=(f"layer {i} material", f"layer {j} material")))
    return files
