"""The ``spikemesh`` command line.

spikemesh demo [--quick] [--out DIR] [--workers N]     the digits study (train, convert, sweep)
spikemesh sweep CONFIG.toml                            a study from a TOML file
spikemesh plot RESULTS.sqlite [--out DIR]              plots of a stored study
spikemesh run [NETWORK.npz] [--chip loihi] [--steps 100] [--timing cycle] [--rate 0.1]
spikemesh chips
spikemesh map NETWORK.npz [--chip loihi] [--allocator greedy]

Errors the user can fix print one line and exit with code 2.
"""

from __future__ import annotations

import argparse
import importlib
import io
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

from . import __version__, chips, kernels
from ._validate import read_text
from .emulator import Simulator
from .exceptions import ParameterError, SpikemeshError
from .mapping import map_network
from .network import Network
from .neurons import CubaLIF, TrueNorthNeuron

__all__ = ["demo_network", "main"]


def demo_network(chip_name: str, seed: int = 0) -> Network:
    """A 64-input -> 128 hidden (recurrent) -> 10 output network for ``chip_name``'s neurons."""
    rng = np.random.default_rng(seed)
    net = Network(f"demo-{chip_name}")
    x = net.input(64, name="x")
    if chips.get(chip_name).supports(TrueNorthNeuron.__name__):
        hidden = TrueNorthNeuron(weights=(1, 2, 4, -8), alpha=40, leak=-1)
        out = TrueNorthNeuron(weights=(1, 2, 4, -8), alpha=120, leak=-1)
        w1 = rng.integers(-2, 8, (64, 128))
        w2 = rng.integers(-3, 8, (128, 10))
        rec = None
    else:
        hidden = CubaLIF(du=410, dv=205, vth=1500, bias_mant=rng.integers(0, 60, 128))
        out = CubaLIF(du=1000, dv=300, vth=2000)
        w1 = rng.integers(-40, 80, (64, 128))
        w2 = rng.integers(-20, 60, (128, 10))
        rec = np.where(rng.random((128, 128)) < 0.05, -60, 0)
    w1[rng.random(w1.shape) < 0.7] = 0
    w2[rng.random(w2.shape) < 0.5] = 0
    h = net.population(128, hidden, name="hidden")
    y = net.population(10, out, name="out")
    net.connect(x, h, weights=w1)
    net.connect(h, y, weights=w2, delay=2)
    if rec is not None:
        net.connect(h, h, weights=rec)
    net.probe(y, "v")
    return net


if sys.version_info >= (3, 11):
    import tomllib as _toml
else:  # pragma: no cover - Python 3.10: the tomli backport (a dependency there)
    import tomli as _toml


def _is_nir(path) -> bool:
    return Path(path).suffix.lower() in (".nir", ".h5", ".hdf5")


def _load_network(path, chip, dt=None, args=None) -> Network:
    """A saved network (.npz) or a NIR graph (.nir / .h5: imported for ``chip`` with the
    command's --reset, --strict, --tolerance, --input-bits, --input-max)."""
    if _is_nir(path):
        import warnings

        from .convert.nir import from_nir
        from .exceptions import FidelityWarning

        kw = {}
        if args is not None:
            kw = dict(reset=args.reset, strict=args.strict, tolerance=args.tolerance,
                      input_bits=args.input_bits, input_max=args.input_max)  # fmt: skip
        with warnings.catch_warnings():  # printed by _nir_summary, one line per value
            warnings.simplefilter("ignore", FidelityWarning)
            return from_nir(path, chip=chip, dt=dt, **kw)
    _refuse_nir_flags(args)
    return Network.load(path)


_NIR_ONLY = {
    "reset": "nir",
    "strict": False,
    "tolerance": 0.005,
    "input_bits": None,
    "input_max": 1.0,
    "encode": None,
    "delta_threshold": 0.1,
}  # flag -> its default


def _refuse_nir_flags(args) -> None:
    """A NIR-only option given for a saved or built-in network is refused, not ignored."""
    for flag, default in _NIR_ONLY.items():
        if args is not None and getattr(args, flag, default) != default:
            raise ParameterError(
                f"--{flag.replace('_', '-')}: only for NIR graphs (.nir); this network is not one"
            )


def _nir_summary(net) -> None:
    imp = net.nir
    src = "" if imp.dt_source in ("given", "metadata") else f", {imp.dt_source}"
    print(f"NIR import (dt={imp.dt:g}{src}): " + ", ".join(
        f"{node} -> {net.populations[pop].neuron.model}[{net.populations[pop].n}]"
        f"{' (read-out)' if node in imp.readouts else ''}"
        for node, pop in imp.populations.items()))  # fmt: skip
    inexact = {k: v for k, v in imp.errors.items() if v > 0}
    print("parameters: " + ("exact (dyadic) in every node" if not inexact else "rounded: " + ", ".join(
        f"{k} {v:.2%}" for k, v in inexact.items())) + f" (tolerance {imp.tolerance:.2%})")  # fmt: skip
    resets = {k: v for k, v in imp.resets.items() if v != "nir"}
    if resets:
        print("resets: " + ", ".join(f"{k} {v}" for k, v in resets.items()))
    for note in imp.fidelity:
        print(f"warning: {note}")
    for name, step in imp.input_step.items():
        print(f"input {name!r}: graded messages of {imp.input_bits} bits, {step:.6g} per unit "
              f"(0 .. {imp.input_max(name):g})")  # fmt: skip


def _nir_inputs(args, net, steps, rng) -> dict:
    imp = net.nir
    if args.input is None:
        if args.encode is not None:
            raise ParameterError(f"run --encode {args.encode}: needs --input (the data to encode)")
        if imp.input_step:
            raise ParameterError("run --input-bits: needs --input (the real values to send)")
        return {name: (rng.random((steps, *shape)) < args.rate).astype(np.int32)
                for name, shape in imp.inputs.items()}  # fmt: skip
    raw = _read_inputs(args, imp)
    if args.encode is None:
        if imp.input_step:
            raise ParameterError("run --input-bits: give --encode direct (the values are "
                                 "quantized to graded messages)")  # fmt: skip
        out = {}
        for name, x in raw.items():
            if x.ndim < 1 or x.shape[0] < steps:
                raise ParameterError(
                    f"run --input[{name!r}]: needs at least --steps {steps} rows (got shape {x.shape})"
                )
            if x.dtype.kind == "f" and np.any(x != np.rint(x)):
                raise ParameterError(
                    f"run --input[{name!r}]: holds real values; spikes are whole numbers. Encode "
                    "them: --encode rate|latency|delta (binary spikes, any chip) or --encode "
                    "direct --input-bits B (graded messages, chips that carry them: loihi2)"
                )
            out[name] = x[:steps]
        return out
    return _encode_inputs(args, imp, raw, steps)


def _encode_inputs(args, imp, raw, steps) -> dict:
    """--encode: real-valued --input data as spike messages (sm.encode)."""
    from . import encode

    out = {}
    for name, x in raw.items():
        shape = tuple(imp.inputs[name])
        x = np.asarray(x, np.float64)
        if args.encode == "direct":
            if name not in imp.input_step:
                raise ParameterError("run --encode direct: needs --input-bits B (the graded "
                                     "messages' width; chips that carry them: loihi2)")  # fmt: skip
            seq = x if x.shape[1:] == shape or x.ndim == len(shape) + 1 else None
            seq = np.broadcast_to(x, (steps, *x.shape)) if x.shape == shape else seq
            if seq is None or len(seq) < steps:
                raise ParameterError(
                    f"run --input[{name!r}]: --encode direct takes {shape} (sent every step) or "
                    f"(>= {steps}, *{shape}) (got {x.shape})"
                )
            q, errs = imp.encode({name: seq[:steps]})
            print(f"input {name!r}: direct, quantization error at most {errs[name]:.3%} of "
                  f"{imp.input_max(name):g}")  # fmt: skip
            out[name] = q[name]
        elif args.encode == "delta":
            if shape[0] != 2 or x.shape[1:] != shape[1:] or len(x) < steps:
                raise ParameterError(
                    f"run --encode delta: ON/OFF spikes need an Input of shape (2, ...) and "
                    f"--input (>= {steps}, ...) without the channel axis; Input {name!r} is "
                    f"{shape}, --input {x.shape}"
                )
            out[name] = encode.delta(x[:steps], args.delta_threshold)
        else:
            if int(np.prod(x.shape)) != int(np.prod(shape)):
                raise ParameterError(
                    f"run --encode {args.encode}: --input[{name!r}] must be one sample of shape "
                    f"{shape} (got {x.shape})"
                )
            x = x.reshape(shape)
            out[name] = (encode.rate(x, steps, seed=args.seed + 1) if args.encode == "rate"
                         else encode.latency(x, steps))  # fmt: skip
    return out


def _read_inputs(args, imp) -> dict:
    path = Path(args.input)
    if not path.is_file():
        raise ParameterError(f"run --input: {path} is not a file (.npy, or .npz by input name)")
    try:
        data = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError):  # NumPy's allow_pickle advice is not ours to give
        raise ParameterError(
            f"run --input: {path} is not a NumPy .npy/.npz file of numbers (pickled data is "
            "never loaded)"
        ) from None
    arrays = dict(data) if isinstance(data, np.lib.npyio.NpzFile) else None
    if arrays is None:
        if len(imp.inputs) != 1:
            raise ParameterError(
                f"run --input: the graph has inputs {', '.join(imp.inputs)}; give an .npz with "
                "one array per input name"
            )
        arrays = {next(iter(imp.inputs)): data}
    out = {}
    for name in imp.inputs:
        if name not in arrays:
            raise ParameterError(
                f"run --input: {path} has no array {name!r} (has {', '.join(arrays)})"
            )
        x = np.asarray(arrays[name])
        if x.dtype.kind not in "biuf":
            raise ParameterError(f"run --input[{name!r}]: must hold numbers (got {x.dtype})")
        out[name] = x
    return out


def _run(args) -> int:
    chip = chips.get(args.chip)
    if args.network and _is_nir(args.network):
        return _run_nir(args, chip)
    _refuse_nir_flags(args)
    if args.input is not None:
        raise ParameterError("run --input: only for NIR graphs (.nir); a saved .npz network gets "
                             "Bernoulli inputs at --rate")  # fmt: skip
    net = Network.load(args.network) if args.network else demo_network(chip.name, args.seed)
    print(f"spikemesh {__version__} (kernels: {kernels.BACKEND}) — run on {chip.name}")
    print(net)
    t0 = time.perf_counter()
    mapping = map_network(net, chip)
    t_map = time.perf_counter() - t0
    print()
    print(mapping.report())
    rng = np.random.default_rng(args.seed + 1)
    inputs = {}
    for name, src in net.inputs.items():  # Bernoulli spikes; the demo network: 2..30 % per line
        rates = np.linspace(0.02, 0.3, src.n) if args.network is None else args.rate
        inputs[name] = (rng.random((args.steps, src.n)) < rates).astype(np.int32)
    sim = Simulator(mapping, timing=args.timing, seed=args.seed)
    t0 = time.perf_counter()
    res = sim.run(args.steps, inputs=inputs)
    t_run = time.perf_counter() - t0
    print()
    print(f"ran {args.steps} steps in {t_run * 1e3:.1f} ms ({args.steps / t_run:,.0f} steps/s; "
          f"mapping took {t_map * 1e3:.1f} ms)")  # fmt: skip
    print(f"input spikes: {sum(int(x.sum()) for x in inputs.values())}")
    for name, s in res.spikes.items():
        n = s.shape[1]
        print(f"{name:>7}: {int(np.count_nonzero(s))} spikes, mean rate {np.count_nonzero(s) / s.size:.3f} "
              f"per neuron per step (n={n})")  # fmt: skip
    if "out" in res.spikes:
        counts = res.spikes["out"].sum(axis=0)
        print(f"output spike counts: {counts.tolist()} -> winner: out[{int(np.argmax(counts))}]")
    print("totals:", ", ".join(f"{k} {res.total(k):,}" for k in res.counters))
    _print_time_and_energy(res)
    args._ran = (res, mapping, net)
    return 0


def _print_time_and_energy(res) -> None:
    if res.timing is not None:
        print(f"chip time: {res.cycles.mean():,.0f} cycles per step on average "
              f"(max {res.cycles.max():,}), {res.timing.latency_total_s * 1e6:,.1f} µs in all")  # fmt: skip
    print()
    print(res.energy())


def _run_nir(args, chip) -> int:
    """Run a NIR graph for --steps of its own time: the chip runs the extra steps its
    mapping lags by, and every node's output is shifted back before it is counted."""
    net = _load_network(args.network, chip, args.dt, args)
    print(f"spikemesh {__version__} (kernels: {kernels.BACKEND}) — {args.network} on {chip.name}")
    _nir_summary(net)
    mapping = map_network(net, chip)
    print()
    print(mapping.report())
    x = _nir_inputs(args, net, args.steps, np.random.default_rng(args.seed + 1))
    lag = max(mapping.latency.values(), default=0)
    padded = {k: np.concatenate([v, np.zeros((lag, *v.shape[1:]), v.dtype)]) for k, v in x.items()}
    sim = Simulator(mapping, timing=args.timing, seed=args.seed)
    t0 = time.perf_counter()
    res = sim.run(args.steps + lag, inputs=padded)
    t_run = time.perf_counter() - t0
    out = net.nir.outputs(res, mapping)
    print()
    print(f"ran {args.steps} NIR steps (+{lag} for the mapping's lag) in {t_run * 1e3:.1f} ms; "
          f"input spikes: {sum(int(np.count_nonzero(v)) for v in x.values())}")  # fmt: skip
    print(f"{'node':<16} {'neurons':>8} {'lag':>4} {'spikes':>9} {'rate':>7}  per-neuron counts")
    for node, y in out.items():
        if node in net.nir.host:  # an Affine -> Output read-out, computed from the spikes
            tot = y[: args.steps].reshape(args.steps, -1).sum(axis=0)
            print(f"{node:<16} {tot.size:>8} {'host':>4} {'read-out':>9} {'':>7}  "
                  f"sum over steps: {np.array2string(tot, precision=2, threshold=12)}")  # fmt: skip
            continue
        pop = net.nir.populations[node]
        n = net.populations[pop].n
        y = y[: args.steps].reshape(args.steps, n)
        if node in net.nir.readouts:
            print(f"{node:<16} {n:>8} {mapping.latency.get(pop, 0):>4} {'read-out':>9} {'':>7}  "
                  f"final v: {np.array2string(y[-1], precision=3, threshold=12)}")  # fmt: skip
            continue
        counts = y.sum(axis=0)
        print(f"{node:<16} {n:>8} {mapping.latency.get(pop, 0):>4} {int(counts.sum()):>9} "
              f"{counts.sum() / y.size:>7.3f}  {np.array2string(counts, threshold=12)}")  # fmt: skip
    if net.nir.bias is not None:
        print(f"(bias line {net.nir.bias!r}: one always-on neuron, "
              f"{int(res.spikes[net.nir.bias].sum())} spikes, counted in the energy)")  # fmt: skip
    spiking = [n for n in net.nir.populations if n not in net.nir.readouts]
    if net.nir.host:
        node = next(iter(net.nir.host))
        tot = out[node][: args.steps].reshape(args.steps, -1).sum(axis=0)
        print(f"winner: {node}[{int(np.argmax(tot))}] (largest host read-out summed over the "
              "steps)")  # fmt: skip
    elif spiking:
        node = spiking[-1]
        cnt = out[node][: args.steps].reshape(args.steps, -1).sum(axis=0)
        print(f"winner: {node}[{int(np.argmax(cnt))}] (most spikes in the last spiking node: "
              f"{int(cnt.max())})")  # fmt: skip
    nb = net.nir.neurobench(res, mapping)
    ops = nb["SynapticOperations"]
    print(f"NeuroBench (NIR's {args.steps} steps, the graph's own neurons and layers): "
          f"ActivationSparsity {nb['ActivationSparsity']:.4f}, MembraneUpdates "
          f"{nb['MembraneUpdates']:,}, SynapticOperations Effective_ACs {ops['Effective_ACs']:,} "
          f"/ Effective_MACs {ops['Effective_MACs']:,} / Dense {ops['Dense']:,}")  # fmt: skip
    _print_time_and_energy(res)
    args._ran = (res, mapping, net)
    return 0


def _run_entry(args) -> int:
    """``spikemesh run``: the report for a person, or with ``--format json`` one JSON object
    for a machine (spike counts, chip time, the energy report, NeuroBench's metrics)."""
    if args.format != "json":
        return _run(args)
    import contextlib

    with contextlib.redirect_stdout(io.StringIO()):
        code = _run(args)
    res, mapping, net = args._ran
    out = {
        "network": net.name, "chip": mapping.chip.name, "cores": mapping.n_cores,
        "steps": int(res.steps),
        "spikes": {k: int(np.count_nonzero(v)) for k, v in res.spikes.items()},
        "totals": {k: int(res.total(k)) for k in res.counters},
        "cycles_per_step_mean": float(res.cycles.mean()) if res.steps else 0.0,
        "chip_time_s": float(res.timing.latency_total_s) if res.timing is not None else None,
        "energy": res.energy().to_dict(),
    }  # fmt: skip
    if getattr(net, "nir", None) is not None:
        out["neurobench"] = net.nir.neurobench(res, mapping)
        out["nir_fidelity"] = list(net.nir.fidelity)
    print(json.dumps(out, indent=1))
    return code


# ----------------------------------------------------------------------------- studies

_MODELS = (("chip", "chip"), ("synops", "SynOps"), ("bitbudget", "BitBudget"), ("ann", "ANN"))


def _label(r: dict) -> str:
    return f"{r['chip']} T{r['timesteps']} w{r['weight_bits']} s{r['spike_bits']}"


def _unfit(r: dict) -> bool:
    """The point was refused by the mapper: the network does not fit that chip (an answer,
    not a failure)."""
    return bool(r.get("error")) and r["error"].split(":")[0].endswith("MappingError")


def table(records: list) -> str:
    """The study's rows as a text table (energies in nJ per inference)."""
    head = (f"{'chip':<10}{'T':>3}{'wb':>3}{'sb':>3} {'acc%':>6} {'QANN%':>6} {'exact':>5} "
            f"{'cycles/inf':>11} {'µs/inf':>8} {'rate':>5} "
            + " ".join(f"{lab + ' nJ':>12}" for _, lab in _MODELS))  # fmt: skip
    lines = [head, "-" * len(head)]
    for r in records:
        if r.get("error"):
            what = "does not fit" if _unfit(r) else "error"
            msg = r["error"].splitlines()[-1].split(": ", 1)[-1].removeprefix("to_snn: ")
            lines.append(f"{r['chip']:<10}{r['timesteps']:>3}{r['weight_bits']:>3}"
                         f"{r['spike_bits']:>3}  {what}: {msg}")  # fmt: skip
            continue
        lines.append(
            f"{r['chip']:<10}{r['timesteps']:>3}{r['weight_bits']:>3}{r['spike_bits']:>3} "
            f"{100 * r['accuracy']:>6.1f} {100 * r['qann_accuracy']:>6.1f} "
            f"{'yes' if r['exact'] else 'NO':>5} {r['cycles_per_inference']:>11,.0f} "
            f"{r['latency_us']:>8.2f} {r['spike_rate']:>5.2f} "
            + " ".join(f"{r[f'energy_{m}_J'] * 1e9:>12,.2f}" for m, _ in _MODELS)
        )
    return "\n".join(lines)


def cheapest(records: list, within: float = 0.01) -> dict:
    """Per chip: the lowest chip-model energy among the points whose accuracy is within
    ``within`` of that chip's best quantized-ANN accuracy."""
    out = {}
    for chip in dict.fromkeys(r["chip"] for r in records if not r.get("error")):
        rows = [r for r in records if r["chip"] == chip and not r.get("error")]
        ref = max(r["qann_accuracy"] for r in rows)
        good = [r for r in rows if r["accuracy"] >= ref - within]
        out[chip] = (min(good, key=lambda r: r["energy_chip_J"]), ref)
    return out


def _study_plots(records: list, out: Path) -> list[Path]:
    from . import plot

    ok = [{**r, "config": _label(r)} for r in records if not r.get("error")]
    paths = [out / "accuracy_energy.png", out / "energy_estimates.png"]
    samples = sorted({r.get("samples") for r in ok if r.get("samples")})
    per = f"{samples[0]} held-out digits per point" if len(samples) == 1 else "per point"
    plot.accuracy_energy(
        ok,
        path=paths[0],
        title=(f"Accuracy against chip energy per inference ({len(ok)} configurations, {per})"),
    )
    front = []
    for chip in dict.fromkeys(r["chip"] for r in ok):
        sub = [r for r in ok if r["chip"] == chip]
        e = np.array([r["energy_chip_J"] for r in sub])
        a = np.array([r["accuracy"] for r in sub])
        front += [sub[i] for i in plot.pareto_front(e, a, rtol=0.01)]
    plot.energy_estimates(
        front,
        path=paths[1],
        title=(
            f"Four energy estimates per inference, mean of {per.split(' per')[0]}: the {len(front)} "
            f"configurations on a chip's Pareto front (of {len(ok)} run)"
        ),
    )
    return paths


def _run_plots(point: dict, out: Path) -> list[Path]:
    """Rebuild one configuration, run a few digits with cycle timing and draw the run."""
    from . import plot
    from .study import digits

    snn = digits.build(point)
    x = digits.data(point.get("seed", 0))["x_test"][:20]
    res = snn.infer(x if snn.scheme == "stream" else x[:1], timing="cycle").results[0]
    cfg = _label(point)
    paths = [out / "energy_breakdown.png", out / "raster.png", out / "cycles_per_step.png"]
    plot.energy_breakdown(
        res.energy(),
        path=paths[0],
        title=(
            f"One inference ({cfg}, the first held-out digit, {res.steps} steps): energy by "
            "component\n(the table's figures are means over the held-out digits)"
        ),
    )
    t = point.get("timesteps", 1)
    note = (f"{snn.scheme} scheme, T = {t}: each layer integrates T steps of input behind a "
            "closed gate, then fires; the next layer starts one step later" if
            snn.scheme == "window" else f"{cfg}, {snn.scheme} scheme")  # fmt: skip
    silent = [n for n, a in res.spikes.items() if not np.count_nonzero(a)]
    if silent:
        note += (f"; {', '.join(silent)} never fires here: the logits are read from its "
                 "membrane")  # fmt: skip
    plot.raster(res, path=paths[1], note=note)
    plot.cycles_per_step(
        res,
        path=paths[2],
        title=(
            f"Cycles per timestep: {cfg}, the first held-out digit, cycle-level mesh timing on "
            f"{res.mapping.chip.name}"
        ),
    )
    tiles = len({tuple(p) for p in res.mapping.positions().tolist()})
    if tiles > 1:
        paths.insert(1, out / "mesh_traffic.png")
        plot.mesh_traffic(res, path=paths[1])
    else:
        cores = res.mapping.n_cores
        print(
            f"(mesh_traffic.png not drawn: {cfg} runs on {cores} core{'s' * (cores != 1)} of "
            "one tile, so no mesh link carries traffic; sm.plot.mesh_traffic draws larger runs)"
        )
        (out / "mesh_traffic.png").unlink(missing_ok=True)
    return paths


def _demo(args) -> int:
    from . import study
    from .study import digits

    if args.samples is not None and not 1 <= args.samples <= 397:
        raise ParameterError(f"demo --samples: must be in 1..397 (got {args.samples})")
    names = [c.strip() for c in args.chips.split(",")]
    for name in names:  # every chip and the output folder are checked before anything trains
        if not name:
            raise ParameterError(f"demo --chips: an empty name in {args.chips!r}")
        try:
            chips.get(name)
        except SpikemeshError as err:
            raise type(err)(f"demo --chips: {err}") from None
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".spikemesh-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        raise ParameterError(
            f"demo --out: cannot write to {out} ({err.strerror or err}); choose a folder you "
            "can write"
        ) from None
    t0 = time.perf_counter()
    print(f"spikemesh demo: training the 64-{digits.HIDDEN}-10 MLP on scikit-learn's digits, then "
          f"sweeping chips {', '.join(names)} -> {out}", flush=True)  # fmt: skip
    d = digits.data(0)
    samples = args.samples or (150 if args.quick else len(d["y_test"]))
    axes = digits.QUICK if args.quick else digits.FULL
    pts = digits.grid(names, axes, samples=samples, timing="analytic")
    print(f"spikemesh {__version__} (kernels: {kernels.BACKEND}) — digits study")
    print(f"MLP 64-{digits.HIDDEN}-10 trained on {len(d['x_train'])} of scikit-learn's 8x8 digits: "
          f"float accuracy {100 * d['float_accuracy']:.1f} % on {len(d['y_test'])} held out "
          f"(the sweep runs {samples})")  # fmt: skip
    print(f"sweeping {len(pts)} configurations (chip x timesteps T x weight bits wb x spike bits "
          f"sb) -> {out / 'results.sqlite'}")  # fmt: skip
    res = study.sweep(digits.build, pts, digits.evaluate, store=out / "results.sqlite",
                      workers=args.workers, progress=not args.no_progress)  # fmt: skip
    print()
    print(table(res.records))
    print("\n" + _LEGEND)
    best = cheapest(res.records)
    print("\ncheapest configuration within 1 % of the chip's best quantized-ANN accuracy:")
    for r, ref in best.values():
        est = {m: r[f"energy_{m}_J"] for m, _ in _MODELS}
        spread = max(est.values()) / max(min(est.values()), 1e-30)
        print(f"  {_label(r)}: {100 * r['accuracy']:.1f} % (best QANN {100 * ref:.1f} %), "
              f"chip {est['chip'] * 1e9:,.1f} nJ, SynOps {est['synops'] * 1e9:,.2f} nJ, "
              f"Bit Budget {est['bitbudget'] * 1e9:,.2f} nJ, ANN {est['ann'] * 1e9:,.2f} nJ "
              f"(estimates span {spread:,.0f}x)")  # fmt: skip
    paths = _study_plots(res.records, out)
    first = next(iter(best.values()))[0]
    point = {k: first[k] for k in pts[0] if k in first}
    paths += _run_plots(point, out)
    print(f"\nplots ({_label(first)} for the run plots):")
    for p in paths:
        print(f"  {p}")
    unfit = sum(map(_unfit, res.errors))
    failed = len(res.errors) - unfit
    print(f"store: {out / 'results.sqlite'}  ({len(res.ok)} rows, {unfit} do not fit, {failed} "
          f"errors; rerun to resume)\ntook {time.perf_counter() - t0:.1f} s")  # fmt: skip
    return 0 if not failed else 1


def _resolve(spec: str, what: str):
    mod, _, name = spec.partition(":")
    try:
        return getattr(importlib.import_module(mod), name)
    except (ImportError, AttributeError, ValueError) as err:
        raise ParameterError(f"sweep config: {what} = {spec!r}: cannot import it ({err})") from None


def _sweep(args) -> int:
    from . import study

    path = Path(args.config)
    if not path.is_file():
        raise ParameterError(f"sweep: no config file at {str(path)!r}")
    text = read_text("sweep", path, "sweep config file (TOML)")
    try:
        cfg = _toml.loads(text)
    except _toml.TOMLDecodeError as err:
        raise ParameterError(f"sweep: {path}: not valid TOML ({err})") from None
    allowed = {"build", "evaluate", "store", "workers", "scheduler", "grid", "points"}
    extra = set(cfg) - allowed
    if extra:
        raise ParameterError(
            f"sweep: {path}: unknown keys {sorted(extra)}; allowed: {sorted(allowed)}"
        )
    if "grid" not in cfg and "points" not in cfg:
        raise ParameterError(f"sweep: {path}: needs a [grid] table or a [[points]] list")
    build = _resolve(cfg.get("build", "spikemesh.study.digits:build"), "build")
    evaluate = _resolve(cfg.get("evaluate", "spikemesh.study.digits:evaluate"), "evaluate")
    grid = cfg.get("points") or cfg["grid"]
    pts = study.points(grid)  # the grid checked before anything runs
    for p in pts:  # every chip the grid names, loaded now (not point by point, minutes in)
        if "chip" in p:
            try:
                study.chip_of(p)
            except SpikemeshError as err:
                raise type(err)(f"sweep: {path}: point {p}: {err}") from None
    store = Path(cfg.get("store", path.with_suffix(".sqlite")))
    if not store.is_absolute():
        store = path.parent / store
    res = study.sweep(build, grid, evaluate, store=store, workers=cfg.get("workers"),
                      scheduler=cfg.get("scheduler"), progress=not args.no_progress)  # fmt: skip
    print(records_out(res.records, args.format))
    print(f"{len(res.ok)} points finished, {len(res.errors)} with errors; store {store}",
          file=sys.stderr)  # fmt: skip
    return 0 if not res.errors else 1


_DIGITS_KEYS = {
    "chip",
    "timesteps",
    "weight_bits",
    "spike_bits",
    "accuracy",
    "qann_accuracy",
    "exact",
    "cycles_per_inference",
    "latency_us",
    "spike_rate",
    "energy_chip_J",
    "energy_synops_J",
    "energy_bitbudget_J",
    "energy_ann_J",
}


def records_out(records: list, fmt: str = "table") -> str:
    """A study's rows for a person (``table``: the demo's columns for digits studies, aligned
    columns with units otherwise) or a machine (``csv``, ``json``)."""
    if fmt == "json":
        return json.dumps(records, indent=1, sort_keys=False)
    keys = list(dict.fromkeys(k for r in records for k in r if k != "seconds"))
    if fmt == "csv":
        import csv

        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=keys, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        for r in records:
            w.writerow(r)
        return buf.getvalue().rstrip("\n")
    shown = _DIGITS_KEYS | {"samples", "timing", "float_accuracy", "scheme", "activation_bits",
                            "steps_per_inference", "cores", "error"}  # fmt: skip
    varying = {
        k for k in keys if k not in shown and len({json.dumps(r.get(k)) for r in records}) > 1
    }
    if records and not varying and all(_DIGITS_KEYS <= set(r) or r.get("error") for r in records):
        return table(records) + "\n" + _LEGEND  # the demo's columns (nothing else varies)
    cells = [[_cell(k, r.get(k)) for k in keys] for r in records]
    heads = list(keys)  # energies carry their units in the cells
    width = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(heads)]
    line = "  ".join(h.rjust(w) for h, w in zip(heads, width, strict=True))
    out = [line, "-" * len(line)]
    out += ["  ".join(c.rjust(w) for c, w in zip(row, width, strict=True)) for row in cells]
    return "\n".join(out)


def _cell(key, v) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if key.endswith("_J"):
            from .energy import _fmt

            return _fmt(v)
        if v != v or v in (float("inf"), float("-inf")):
            return str(v)
        return f"{v:,.0f}" if abs(v) >= 1e4 else f"{v:.4g}"
    text = str(v)
    return text if len(text) <= 60 else text[:57] + "..."


_LEGEND = (
    "acc% = the SNN's accuracy on the chip; QANN% = the quantized ANN's (the target); exact = "
    "every logit bit-equal to the QANN's; energies in nJ per inference (chip = the profile's "
    "event model with static power; SynOps, Bit Budget, ANN = the conventional estimates)"
)


def _plot(args) -> int:
    from . import study

    res = study.load(args.results)
    out = Path(args.out or Path(args.results).with_suffix(""))
    out.mkdir(parents=True, exist_ok=True)
    need = {"chip", "timesteps", "weight_bits", "spike_bits", "accuracy", "energy_chip_J"}
    ok = [r for r in res.ok if need <= set(r)]
    if not ok:
        raise ParameterError(
            f"plot: {args.results} has no finished rows with {', '.join(sorted(need))}"
        )
    for p in _study_plots(ok, out):
        print(p)
    return 0


def _chips(args) -> int:
    for name in chips.available():
        c = chips.get(name)
        print(f"{name:<10} {c.n_cores:>5} cores, {c.core.neurons:>5} neurons/core, "
              f"{c.core.input_axons:>5} axons/core, models: {', '.join(c.core.neuron_models)}")  # fmt: skip
        print(f"{'':<10} {c.description}")
    return 0


def _map(args) -> int:
    net = _load_network(args.network, args.chip, args.dt, args)
    if getattr(net, "nir", None) is not None:
        _nir_summary(net)
    print(map_network(net, args.chip, allocator=args.allocator).report())
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse with every error on one line of stderr (exit 2), like spikemesh's own."""

    def error(self, message):
        sub = self.prog.split(" ", 1)[1] + " " if " " in self.prog else ""
        message = message.removeprefix("argument ")
        self.exit(2, f"spikemesh: error: {sub}{message} (see {self.prog} --help)\n")


def _int_at_least(lo: int, hi: int | None = None):
    want = f"an integer >= {lo}" if hi is None else f"an integer in {lo}..{hi}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {want} (got {text!r})") from None
        if value < lo or (hi is not None and value > hi):
            raise argparse.ArgumentTypeError(f"must be {want} (got {value})")
        return value

    return parse


def _number(lo: float | None = None, hi: float | None = None, *, open_lo: bool = False):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number (got {text!r})") from None
        low = lo is not None and (value <= lo if open_lo else value < lo)
        if not math.isfinite(value) or low or (hi is not None and value > hi):
            rng = (f" > {lo}" if open_lo else f" >= {lo}") if hi is None else f" in {lo}..{hi}"
            raise argparse.ArgumentTypeError(f"must be a finite number{rng} (got {text})")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    """The command line: every option has help text and a checked type."""
    ap = _Parser(prog="spikemesh", description="Cycle-level neuromorphic chip emulator")
    ap.add_argument("--version", action="version", version=f"spikemesh {__version__}",
                    help="print the version and exit")  # fmt: skip
    sub = ap.add_subparsers(dest="command", required=True, parser_class=_Parser,
                            help="what to do (spikemesh COMMAND --help for its options)")  # fmt: skip
    d = sub.add_parser(
        "demo",
        help="the digits study: train an MLP, convert it, sweep T x weight bits x spike "
        "bits on chip profiles; print the table, write plots and the SQLite store",
    )
    d.add_argument("--quick", action="store_true", help="a smaller grid on 150 digits (< 1 min)")
    d.add_argument(
        "--out",
        default="spikemesh-demo",
        help="output folder (default spikemesh-demo, in the current folder)",
    )
    d.add_argument(
        "--chips",
        default="loihi,truenorth,loihi2",
        help="comma-separated profiles (default loihi,truenorth,loihi2)",
    )
    d.add_argument("--samples", type=_int_at_least(1, 397),
                   help="held-out digits per point, 1..397 (default 397; 150 with --quick)")  # fmt: skip
    d.add_argument("--workers", type=_int_at_least(0), default=None,
                   help="processes (default: one per core; 0: in this process)")  # fmt: skip
    d.add_argument("--no-progress", action="store_true", help="no progress bar")
    d.set_defaults(func=_demo)
    sw = sub.add_parser("sweep", help="run a study from a TOML file ([grid] or [[points]], "
                        "build/evaluate as module:function, store, workers, scheduler)")  # fmt: skip
    sw.add_argument("config", help="the study's TOML file (see docs/studies.md)")
    sw.add_argument("--no-progress", action="store_true", help="no progress bar")
    sw.add_argument("--format", choices=["table", "csv", "json"], default="table",
                    help="how the rows are printed: an aligned table for a person (default table), "
                    "csv or json for a machine")  # fmt: skip
    sw.set_defaults(func=_sweep)
    pl = sub.add_parser("plot", help="draw a stored study (accuracy vs energy, four estimates)")
    pl.add_argument("results", help="the study's .sqlite store")
    pl.add_argument("--out", help="folder for the PNGs (default: next to the store)")
    pl.set_defaults(func=_plot)
    r = sub.add_parser("run", help="map and run a network (saved .npz, a NIR graph .nir, or a "
                       "built-in one); print spikes, timing and energy")  # fmt: skip
    r.add_argument("network", nargs="?", help="a Network.save() .npz or a NIR file .nir "
                   "(default: built-in demo net)")  # fmt: skip
    r.add_argument("--chip", default="loihi", help="profile name or .toml path (default loihi)")
    r.add_argument("--steps", type=_int_at_least(1), default=100,
                   help="steps to run, >= 1 (default 100)")  # fmt: skip
    r.add_argument("--timing", default="cycle", choices=["none", "analytic", "cycle"],
                   help="chip-time model: none, analytic (per-core event counts) or cycle "
                   "(default cycle: the cycle-level mesh model, run by the compiled NoC engine; the "
                   "SimPy scheduler is Simulator(noc='simpy'))")  # fmt: skip
    r.add_argument("--rate", type=_number(0, 1), default=0.1,
                   help="Bernoulli input spike probability per step, 0..1, when no --input is "
                   "given (default 0.1)")  # fmt: skip
    r.add_argument("--input", help="NIR graphs: a .npy shaped (steps, *input_shape) or (steps, n), "
                   "or an .npz with one such array per Input node")  # fmt: skip
    r.add_argument("--dt", type=_number(0, open_lo=True), help=_DT_HELP)
    r.add_argument("--encode", choices=["rate", "latency", "delta", "direct"],
                   help="NIR graphs: --input holds real values, sent as: rate (Bernoulli spikes, "
                   "one sample in [0, 1]), latency (one spike per value, earlier when larger), "
                   "delta (sigma-delta ON/OFF spikes of a sequence, into an Input of 2 channels) "
                   "or direct (graded messages: needs --input-bits; loihi2)")  # fmt: skip
    r.add_argument("--delta-threshold", type=_number(0, open_lo=True), default=0.1,
                   help="--encode delta: the change that sends a spike (default 0.1)")  # fmt: skip
    _nir_flags(r)
    r.add_argument("--format", choices=["text", "json"], default="text",
                   help="text for a person (default text) or one JSON object for a machine")  # fmt: skip
    r.add_argument("--seed", type=_int_at_least(0), default=0,
                   help="seed of the inputs and the chip's RNG, >= 0 (default 0)")  # fmt: skip
    r.set_defaults(func=_run_entry)
    c = sub.add_parser("chips", help="list the shipped chip profiles")
    c.set_defaults(func=_chips)
    m = sub.add_parser("map", help="map a saved network (.npz) or a NIR graph (.nir) and print "
                       "the report")  # fmt: skip
    m.add_argument("network", help="a Network.save() .npz or a NIR file .nir")
    m.add_argument("--chip", default="loihi", help="profile name or .toml path (default loihi)")
    m.add_argument("--allocator", default="greedy", choices=["greedy", "sequential"],
                   help="placement policy (default greedy)")  # fmt: skip
    m.add_argument("--dt", type=_number(0, open_lo=True), help=_DT_HELP)
    _nir_flags(m)
    m.set_defaults(func=_map)
    return ap


_DT_HELP = (
    "NIR graphs: the step in the graph's time units (default: the graph's metadata; "
    "else snnTorch's r = tau/dt when dt = 1 would be unstable; else 1). snnTorch "
    "exports assume 1e-4; Norse 1.1 exports need dt = dt_norse**2 (1e-6 for its 1e-3)"
)


def _nir_flags(p) -> None:
    from .convert.nir import RESETS

    p.add_argument("--reset", default="nir", choices=list(RESETS),
                   help="NIR graphs: what spiking nodes do after a spike, which NIR files cannot "
                   "say: nir (reset to v_reset = 0 at the spike; snnTorch Leaky 'zero', Norse), "
                   "subtract (snnTorch's default: chips with programmable neurons, loihi2), "
                   "zero_hold (snnTorch RLeaky/Synaptic 'zero'), multi_subtract (Sinabs IAF's "
                   "defaults: graded IF cores, loihi2) (default nir)")  # fmt: skip
    p.add_argument("--strict", action="store_true",
                   help="NIR graphs: refuse an import that rounds a value beyond --tolerance, "
                   "or zeroes or clips one")  # fmt: skip
    p.add_argument("--tolerance", type=_number(0, 1), default=0.005,
                   help="NIR graphs: relative rounding reported (and refused with --strict), "
                   "0..1 (default 0.005)")  # fmt: skip
    p.add_argument("--input-bits", type=_int_at_least(1), default=None,
                   help="NIR graphs: real-valued ('direct') input as graded messages of this "
                   "many bits (chips that carry them: loihi2)")  # fmt: skip
    p.add_argument("--input-max", type=_number(0, open_lo=True), default=1.0,
                   help="--input-bits: the largest input value (default 1.0)")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version (0) or a usage error (2, one line printed)
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return args.func(args)
    except SpikemeshError as exc:
        print(f"spikemesh: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except OSError as exc:  # a file the user named: unreadable, full disk, ...
        where = f" {exc.filename}" if getattr(exc, "filename", None) else ""
        print(f"spikemesh: error:{where} {exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("spikemesh: interrupted (a sweep resumes from its store when rerun)", file=sys.stderr)
        return 130


def _one_line(exc) -> str:
    return " ".join(str(exc).split())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
