"""AAVAE side by side with the authors' own code: the training loop at r18 and r50, CIFAR 32², batch 128, interleaved.

Placing the official code (it is never copied into this repository) and its environment:

    git clone https://github.com/gridai-labs/aavae /tmp/official_aavae
    git -C /tmp/official_aavae checkout 87692a5
    python -m venv /tmp/offenv                  # its own environment: the same torch as ours, plus Lightning
    echo "$PWD/.venv/lib/python3.11/site-packages" > /tmp/offenv/lib/python3.11/site-packages/aavae_nb.pth
    /tmp/offenv/bin/pip install pytorch_lightning==2.6.6

(on the project's machines: `git -C /work/.mirror/gridai-labs+aavae/repo archive 87692a5 | tar -x -C DIR`). The
`.pth` line lends the official environment this checkout's torch and torchvision, so that both sides time the same
kernels; Lightning, torchmetrics and their dependencies live in /tmp/offenv only.

The official code runs unchanged. It was written for Lightning ~1.3 (`requirements.txt`: Lightning from master,
torch 1.8); the shims, all applied from outside, are:
- `pytorch_lightning.metrics.functional` (removed in Lightning 1.5): a stand-in module holding torchmetrics'
  `accuracy`, imported by `src/callbacks/online_eval.py` (the online fine-tuner, not used here: `online_ft` off).
- `pytorch_lightning.callbacks.base` (removed in 1.7): a stand-in module holding `pytorch_lightning.Callback`,
  imported by `src/callbacks/early_stopping.py` (not used here).
- The data: `CIFAR10DataModule.DATASET` (its own attribute, torchvision's `CIFAR10`) is set to a `CIFAR10` subclass
  that reads the shipped subset (`data/cifar10_subset.npz`, 10,000 train images) instead of the pickled batches
  torchvision would download; items still come from torchvision's `CIFAR10.__getitem__` (PIL image, then the official
  `TrainTransform`). `val_split=1000` (a constructor argument) leaves 9,000 training images, ours' pretraining split.
- The trainer: `src/vae.py`'s `__main__` builds `pl.Trainer(gpus=, distributed_backend=, ...)` (arguments Lightning
  2 no longer has) and `ModelCheckpoint(every_n_val_epochs=200)`; here the official `VAE`, `CIFAR10DataModule`,
  `TrainTransform` and `cifar10_normalization` are built with the arguments that `__main__` gives them for CIFAR-10
  and the README's reproduce command (`--denoising`, r18: h_dim 512, latent 128, Adam lr 2.5e-4, 10 warm-up epochs,
  kl_coeff 0, log_scale 0), and fitted by `pl.Trainer(accelerator='cpu', devices=1, precision=32)` with its
  `LearningRateMonitor`, a CSV logger (the model's `on_train_start` logs its hyper-parameters), no checkpoint
  callback (it writes at epoch ends, outside any timed window) and no validation.

Timing. Each side runs in a fresh process of its own environment (official: `--official-python`, ours: this
interpreter), `--warmup` untimed optimiser steps then `--steps` timed ones, data loading and augmentation included:
official, its Lightning loop over its `DataLoader` (`--workers` worker processes running the PIL transforms, as
`--num_workers` does; default one per core); ours, `aavae_nb.aavae.train.pretrain` with the same settings (preset
`cpu` at the paper's width 64, r18 or r50, batch 128, lr 2.5e-4, 10 warm-up epochs, β 0) at the CPU defaults
(float32, channels_last, augmentation on the device) on the same shipped split (9,000 images). Rounds interleave the
two, the first side alternating; min and median img/s and the ratio of medians (ours / official) go to the CSV.
Default torch threads on both sides.

Numerics (`--check`, in the official environment): the official `VAE` (seeded) and ours (`aavae_nb.aavae.vae.VAE`,
its state dict loaded strictly) take the same batch of the official datamodule (view and original) and the same
posterior noise (torch's generator reseeded before the official `step`, whose first draw is the `rsample` noise;
ours gets that draw as `eps`), with β = `--check-beta` on both so that the KL term reaches the gradients. Ours runs
channels_last as it trains on the CPU (and once more contiguous, the official's format); a float64 run of our step
says how far float32 rounding alone takes each side. Loss, log p(x|z), KL and every parameter gradient are compared;
max absolute differences (with the tensor's largest gradient, for scale) go to the JSON under `check`.
`--check-only` reruns the check alone into the JSON of an earlier run in `--out` (its rounds stay as they were).

Usage (from the repository root, this checkout's venv active):

    python bench/official_aavae.py --official /tmp/official_aavae --official-python /tmp/offenv/bin/python \
        --out runs/official_aavae     # --archs r18,r50 --rounds 3,2 --warmup 2,1 --steps 8,3 by default

Writes `official_aavae_cpu.csv` (model, official and ours img/s min and median, ratio) and `.json` (every round,
the settings, the shims, the numerics check and the provenance stamp).
"""
import argparse, csv, json, os, statistics, subprocess, sys, tempfile, time, types
from pathlib import Path

REPO, COMMIT = 'https://github.com/gridai-labs/aavae', '87692a5'
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))   # this checkout's aavae_nb, whatever is installed
BS = 128
ARCHS = {'r18': ('resnet18', 512), 'r50': ('resnet50', 2048)}   # encoder and h_dim as the official __main__ sets them
SHIMS = ['pytorch_lightning.metrics.functional: stand-in module with torchmetrics.functional.accuracy (online_eval.py '
         'import; online fine-tuner unused)',
         'pytorch_lightning.callbacks.base: stand-in module with pytorch_lightning.Callback (early_stopping.py import; '
         'unused)',
         'CIFAR10DataModule.DATASET: torchvision CIFAR10 subclass reading data/cifar10_subset.npz (no download); '
         'items from CIFAR10.__getitem__ (PIL) and the official TrainTransform; val_split=1000 -> 9,000 train images',
         "Trainer: built here (accelerator='cpu', devices=1, precision=32, LearningRateMonitor, CSVLogger, no "
         "checkpointing, no validation) with the official VAE/datamodule/transform built as src/vae.py __main__ "
         "and the README's CIFAR-10 command do; Lightning 2.6.6 instead of ~1.3"]

CHECK_NOTE = ("Loss and log p(x|z) agree exactly and KL to float32 rounding. Gradients: ours in the official's memory "
              "format (grad_official_vs_ours_contiguous) agrees with the official to float32 rounding. Ours as it "
              "trains on the CPU (channels_last, LEVER_DEFAULTS) differs where the channels_last convolution sums "
              "in another order: the largest difference is encoder.conv1.weight's gradient (a sum over every pixel "
              "of the batch with much cancellation), and there ours is farther from a float64 run than the official "
              "(grad_ours_vs_f64 against grad_official_vs_f64; at r50 about 5x). Elsewhere the steps differ only in "
              "where things run: the official step also encodes the original image without gradients (BatchNorm "
              "running statistics and its logged cos_sim / kl_augmentation), ours does that pass in its loop "
              "(BNStatsCB, bn_stats='every_step'); the official log_scale is a frozen Parameter, ours a buffer.")

def import_official(folder:Path):
    "The official `src.vae` module, imported from `folder` with the two Lightning import shims (module docstring)."
    if not (Path(folder)/'src'/'vae.py').exists():
        raise FileNotFoundError(f"{folder}/src/vae.py is missing: see how to place the official code")
    sys.path.insert(0, str(folder))
    import pytorch_lightning as pl, torchmetrics.functional as tmf
    met, fn = types.ModuleType('pytorch_lightning.metrics'), types.ModuleType('pytorch_lightning.metrics.functional')
    fn.accuracy, met.functional = tmf.accuracy, fn
    base = types.ModuleType('pytorch_lightning.callbacks.base')
    base.Callback = pl.Callback
    for m in (met, fn, base): sys.modules.setdefault(m.__name__, m)
    import src.vae as V
    return V

def shipped_cifar10():
    "torchvision's `CIFAR10` reading the shipped subset (the data shim): same items, PIL images through `transform`."
    import numpy as np
    from torchvision.datasets import CIFAR10
    from aavae_nb.data import shipped_path
    class ShippedCIFAR10(CIFAR10):
        def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
            self.root, self.train, self.transform, self.target_transform = root, train, transform, target_transform
            with np.load(shipped_path('cifar10')) as z:
                self.data = z['x_train' if train else 'x_test']
                self.targets = [int(t) for t in z['y_train' if train else 'y_test']]
            self.classes = list(range(10))
    return ShippedCIFAR10

def official_model(V, arch:str, data_dir:str, workers:int, bs:int=BS, kl_coeff:float=0.0):
    "The official `VAE` and `CIFAR10DataModule` with `src/vae.py`'s CIFAR-10 arguments and the README's command."
    dm = V.CIFAR10DataModule(data_dir=data_dir, batch_size=bs, num_workers=workers, val_split=1000)
    dm.DATASET = shipped_cifar10()
    norm = V.cifar10_normalization()
    tf = dict(denoising=True, input_height=32, dataset='cifar10', gaussian_blur=False, jitter_strength=0.5,
              normalize=norm, online_ft=False)
    dm.train_transforms, dm.val_transforms = V.TrainTransform(**tf), V.EvalTransform(**tf)
    enc, h_dim = ARCHS[arch]
    model = V.VAE(input_height=32, num_samples=dm.num_samples, gpus=0, batch_size=bs, kl_coeff=kl_coeff, h_dim=h_dim,
                  latent_dim=128, optimizer='adam', learning_rate=2.5e-4, encoder_name=enc,
                  decoder_name='decoder' + enc[6:], first_conv3x3=True, remove_first_maxpool=True, dataset='cifar10',
                  max_epochs=3200, warmup_epochs=10, cosine_decay=0, linear_decay=0, learn_scale=0, log_scale=0.0,
                  val_samples=16, weight_decay=0.0, exclude_bn_bias=False, online_ft=False, denoising=True)
    return model, dm

def official_rate(official:Path, arch:str, warmup:int, steps:int, workers:int, seed:int) -> dict:
    "img/s of the official Lightning loop: `warmup` untimed optimiser steps, then `steps` timed ones."
    import torch, pytorch_lightning as pl
    V = import_official(official)
    class Timer(pl.Callback):
        def on_train_batch_end(self, trainer, module, outputs, batch, i):
            if i == warmup - 1: self.t0 = time.perf_counter()
            if i == warmup + steps - 1: self.s = time.perf_counter() - self.t0
    pl.seed_everything(seed, verbose=False)
    with tempfile.TemporaryDirectory() as tmp:
        model, dm = official_model(V, arch, tmp, workers)
        timer = Timer()
        tr = pl.Trainer(accelerator='cpu', devices=1, precision=32, max_epochs=1, limit_train_batches=warmup + steps,
                        limit_val_batches=0, num_sanity_val_steps=0, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False, default_root_dir=tmp,
                        logger=pl.loggers.CSVLogger(tmp), callbacks=[pl.callbacks.LearningRateMonitor('step'), timer])
        tr.fit(model, dm)
    return dict(img_s=BS * steps / timer.s, time_s=timer.s, threads=torch.get_num_threads(), workers=workers)

def ours_rate(arch:str, warmup:int, steps:int, seed:int) -> dict:
    "img/s of ours: `aavae_nb.aavae.train.pretrain` at the CPU defaults on the shipped pretraining split."
    import torch
    from bench.speed import StepTimerCB
    from aavae_nb.aavae.config import resolve_config
    from aavae_nb.aavae.train import pretrain, _flags
    cfg = resolve_config('cpu', arch=ARCHS[arch][0], width=64, bs=BS, lr=2.5e-4, warmup_epochs=10, epochs=1,
                         eval_epochs=(1,), kl_coeff=0.0, knn_every=0, density_every=0, checkpoints=False,
                         progress=False, seed=seed)
    timer = StepTimerCB(warmup, steps, 'cpu')
    with tempfile.TemporaryDirectory() as tmp: pretrain(cfg, device='cpu', out_dir=tmp, cbs=[timer])
    s = timer.result['time_s']
    return dict(img_s=BS * steps / s, time_s=s, threads=torch.get_num_threads(),
                flags=_flags(cfg, torch.device('cpu')), config=cfg.to_dict())

def check_step(official:Path, arch:str, bs:int, beta:float, seed:int) -> dict:
    """One training step of each on the same weights, batch and noise: max |difference| of loss, terms and gradients,
    and of each side's gradients from a float64 run of the same step (what float32 rounding alone amounts to)."""
    import torch
    from torch.distributions.utils import _standard_normal
    from aavae_nb.aavae.vae import VAE
    V = import_official(official)
    torch.manual_seed(seed)
    with tempfile.TemporaryDirectory() as tmp:
        off, dm = official_model(V, arch, tmp, 0, bs, beta)
        (x, orig), y = next(iter(dm.train_dataloader()))
    sd = {k: v.clone() for k, v in off.state_dict().items()}
    def ours_step(dtype, fmt):
        m = VAE('cifar10', ARCHS[arch][0], 'aavae', kl_coeff=beta)
        m.load_state_dict(sd, strict=True)
        m = m.to(dtype=dtype, memory_format=fmt).train()
        c = lambda t: t.to(dtype).contiguous(memory_format=fmt)
        out = m.step(c(x), c(orig), eps.to(dtype))
        out['loss'].backward()
        return out, {n: p.grad for n, p in m.named_parameters() if p.grad is not None}
    off.train()
    torch.manual_seed(seed + 1)
    loss_o, logs = off.step(((x, orig), y), samples=1)
    loss_o.backward()
    go = {n: p.grad for n, p in off.named_parameters() if p.grad is not None}
    torch.manual_seed(seed + 1)
    eps = _standard_normal((bs, 128), dtype=x.dtype, device=x.device)   # the official rsample's draw
    out, gu = ours_step(torch.float32, torch.channels_last)                # ours as it trains on the CPU
    _, gc = ours_step(torch.float32, torch.contiguous_format)              # ours in the official's memory format
    _, g64 = ours_step(torch.float64, torch.contiguous_format)
    if set(go) != set(gu): raise RuntimeError(f'different parameters trained: {sorted(set(go) ^ set(gu))}')
    d = lambda a, b: float((a.detach().double() - b.detach().double()).abs().max())
    def worst(g, ref):
        e = {n: d(g[n], ref[n]) for n in g}
        n = max(e, key=e.get)
        return dict(max_abs_diff=e[n], param=n, param_max_abs=float(ref[n].abs().max()))
    return dict(arch=arch, bs=bs, beta=beta, loss=float(loss_o.detach()), loss_diff=d(loss_o, out['loss']),
                log_pxz=float(logs['log_pxz']), log_pxz_diff=d(logs['log_pxz'], out['log_pxz'].mean()),
                kl=float(logs['kl']), kl_diff=d(logs['kl'], out['kl'].mean()), n_grads=len(go),
                grad_max_abs=max(float(g.abs().max()) for g in go.values()), grad_official_vs_ours=worst(gu, go),
                grad_official_vs_f64=worst(go, g64), grad_ours_vs_f64=worst(gu, g64),
                grad_official_vs_ours_contiguous=worst(gc, go), grad_ours_contiguous_vs_f64=worst(gc, g64))

def run_worker(a) -> dict:
    "In a fresh process: one timing (`official` / `ours`) or the numerics check, printed as a `RESULT` JSON line."
    if a.worker == 'official': r = official_rate(a.official, a.arch, int(a.warmup), int(a.steps), a.workers, a.seed)
    elif a.worker == 'ours': r = ours_rate(a.arch, int(a.warmup), int(a.steps), a.seed)
    else: r = [check_step(a.official, m, a.check_bs, a.check_beta, a.seed) for m in a.archs.split(',')]
    print('RESULT ' + json.dumps(r), flush=True)

def spawn(python:str, args:list) -> dict:
    "Run this file as a worker under `python`; its `RESULT` line."
    p = subprocess.run([python, __file__, *args], cwd=ROOT, capture_output=True, text=True)
    lines = [l for l in p.stdout.splitlines() if l.startswith('RESULT ')]
    if p.returncode or not lines: raise RuntimeError(f"worker {args} failed:\n{p.stdout[-2000:]}\n{p.stderr[-4000:]}")
    return json.loads(lines[-1][7:])

def summary(xs:list, digits:int=2) -> dict:
    "Min and median of the rounds `xs`, rounded to `digits` decimals (also `official_lavae.py`'s, at 1)."
    return dict(min=round(min(xs), digits), median=round(statistics.median(xs), digits))

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--official', required=True, type=Path, help=f'folder of the official code ({REPO} @ {COMMIT})')
    p.add_argument('--official-python', default=sys.executable, help="the official environment's python")
    p.add_argument('--out', default='runs/official_aavae', type=Path, help='output folder')
    p.add_argument('--rounds', default='3,2', help='interleaved rounds (official, ours) per model (as --archs)')
    p.add_argument('--archs', default='r18,r50', help='models, comma separated (r18, r50)')
    p.add_argument('--warmup', default='2,1', help='untimed steps per model (comma separated, as --archs)')
    p.add_argument('--steps', default='8,3', help='timed steps per model (comma separated, as --archs)')
    p.add_argument('--workers', default=os.cpu_count() or 1, type=int, help="the official DataLoader's workers")
    p.add_argument('--seed', default=0, type=int)
    p.add_argument('--check', action=argparse.BooleanOptionalAction, default=True, help='the numerics check')
    p.add_argument('--check-only', action='store_true', help="rerun the numerics check alone into --out's JSON")
    p.add_argument('--check-bs', default=16, type=int, help='batch of the numerics check')
    p.add_argument('--check-beta', default=0.1, type=float, help='β (kl_coeff) of both in the numerics check')
    p.add_argument('--note', default='', help='what else to say in the JSON (e.g. the machine load)')
    p.add_argument('--worker', choices=('official', 'ours', 'check'), help=argparse.SUPPRESS)
    p.add_argument('--arch', choices=tuple(ARCHS), help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.worker: return run_worker(a)
    archs = a.archs.split(',')
    warm, steps, n_rounds = [dict(zip(archs, map(int, s.split(',')))) for s in (a.warmup, a.steps, a.rounds)]
    if any(m not in ARCHS for m in archs) or any(len(d) != len(archs) for d in (warm, steps, n_rounds)):
        raise SystemExit(f"--archs must be among {tuple(ARCHS)}, with one --warmup, --steps and --rounds each")
    if min(*warm.values(), *steps.values(), *n_rounds.values()) < 1:
        raise SystemExit('--warmup, --steps and --rounds must be at least 1')
    from aavae_nb.core import provenance, save_json, atomic_path
    t0, load0 = time.perf_counter(), [round(x, 2) for x in os.getloadavg()]
    common = ['--official', str(a.official.resolve()), '--workers', str(a.workers), '--seed', str(a.seed)]
    check = spawn(a.official_python, ['--worker', 'check', '--archs', a.archs, '--check-bs', str(a.check_bs),
                                      '--check-beta', str(a.check_beta), *common]) if a.check else None
    if check: print('numerics:', *check, sep='\n  ', flush=True)
    if a.check_only:                                 # the timing rounds of an earlier run stay as they were
        path = a.out/'official_aavae_cpu.json'
        rec = json.loads(path.read_text(encoding='utf-8'))
        rec.update(check=check, check_note=CHECK_NOTE,
                   check_provenance=provenance(seed=a.seed, device='cpu', wall_time_s=time.perf_counter() - t0,
                                               official=f'{REPO} @ {COMMIT}', bs=a.check_bs, beta=a.check_beta))
        return save_json(rec, path)
    rounds = {m: dict(official=[], ours=[]) for m in archs}
    detail = {m: dict(official=[], ours=[]) for m in archs}
    for r in range(max(n_rounds.values())):
        for m in [m for m in archs if r < n_rounds[m]]:
            for side in ('official', 'ours')[::1 if r % 2 == 0 else -1]:
                py = a.official_python if side == 'official' else sys.executable
                res = spawn(py, ['--worker', side, '--arch', m, '--warmup', str(warm[m]), '--steps', str(steps[m]),
                                 *common])
                rounds[m][side].append(res['img_s'])
                detail[m][side].append(res)
            print(f"round {r + 1} {m}: " + ', '.join(f'{s} {v[-1]:.2f}' for s, v in rounds[m].items()) + ' img/s',
                  flush=True)
    rows = []
    for m in archs:
        o, u = summary(rounds[m]['official']), summary(rounds[m]['ours'])
        rows.append(dict(model=m, official_min=o['min'], official_median=o['median'], ours_min=u['min'],
                         ours_median=u['median'], ratio=round(u['median'] / o['median'], 2)))
    a.out.mkdir(parents=True, exist_ok=True)
    names = ['official_aavae_cpu.csv', 'official_aavae_cpu.json']
    with atomic_path(a.out/names[0]) as tmp, open(tmp, 'w', newline='') as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    off_pl = subprocess.run([a.official_python, '-c', 'import pytorch_lightning as p; print(p.__version__)'],
                            capture_output=True, text=True).stdout.strip()
    prov = provenance(seed=a.seed, device='cpu', wall_time_s=time.perf_counter() - t0, official=f'{REPO} @ {COMMIT}',
                      official_env=f'pytorch_lightning {off_pl}, torch and torchvision shared with ours', shims=SHIMS,
                      bs=BS, dataset='shipped CIFAR-10 subset, 9,000 training images, 32x32',
                      rounds=n_rounds, warmup_steps=warm, timed_steps=steps, official_workers=a.workers,
                      load_avg_1_5_15min=dict(start=load0, end=[round(x, 2) for x in os.getloadavg()]),
                      ours='aavae_nb.aavae.train.pretrain, preset cpu at width 64, CPU defaults (runs[...]["config"])',
                      unit='img/s over the timed optimiser steps, data loading and augmentation included',
                      ratio='ours median / official median')
    save_json(dict(rows=rows, rounds=rounds, runs=detail, check=check, check_note=CHECK_NOTE, note=a.note,
                   outputs=names, provenance=prov),
              a.out/names[1])
    for row in rows: print(row)

if __name__ == '__main__': main()
