"""Speed harness, repository tooling outside the package: time the official-style AAVAE training step against the
library's fast step on one machine (img/s, s/epoch, TFLOP/s and share of the peak, peak memory, compile time, a
profile; the augmentation alone), and A/B the fast path against fp32 eager (kNN accuracy and loss curves).

    PYTHONPATH=. python -c "from bench.speed import run_benchmark; run_benchmark('gpu', out_dir='runs/benchmark')"
    PYTHONPATH=. python -c "from bench.speed import run_ab; run_ab('gpu', out_dir='runs/ab')"

Its papermill front ends are nbs/benchmark.ipynb and nbs/reproduce_ab_fastpath.ipynb; its story and tests are
nbs/aavae/11_benchmark.ipynb. Plain Python on top of aavae_nb (no nbdev, papermill or fastcore), so the GPU box runs
it with `PYTHONPATH=.` from the repository root."""
from __future__ import annotations
import os, math, time, tempfile, warnings
from functools import partial
from pathlib import Path
from types import SimpleNamespace
import numpy as np
import torch
from aavae_nb.core import (def_device, set_seed, check_seed, check_one_of, name_list, check_type, save_json,
                           atomic_path, provenance, Stopwatch, RUNS_DIR, device_name, out_folder)
from aavae_nb.presets import preset as lookup
from aavae_nb.engine import Callback, CancelFitException
from aavae_nb.levers import PresampledAug
from aavae_nb.aavae.augment import simclr_reference, normalize

__all__ = ['STEP_GFLOPS', 'PEAK_TFLOPS', 'EPOCH_IMAGES', 'FP32_EAGER', 'STEP_LEVERS', 'BENCH_CONFIGS', 'AB_ARMS',
           'SimCLRViews', 'step_gflops', 'profile_summary', 'timed_steps', 'official_style_bench', 'StepTimerCB',
           'fast_step_bench', 'augment_bench', 'reference_augment_rate', 'synthetic_images', 'bench_images',
           'check_benchmark', 'run_benchmark', 'plot_benchmark', 'write_benchmark', 'curve_agreement', 'check_ab', 'run_ab', 'write_ab']

STEP_GFLOPS = {  # (dataset, arch): (training path fwd+bwd, no-grad encoder pass) GFLOP per image, PERF.md
    ('cifar10', 'resnet18'): (4.64, 1.11), ('cifar10', 'resnet50'): (10.83, 2.61),
    ('stl10', 'resnet18'): (10.58, 2.54), ('stl10', 'resnet50'): (24.35, 5.89)}
PEAK_TFLOPS = 790.0   # dense bf16, H100-class (the peak every share in this module is relative to)
EPOCH_IMAGES = 45000  # CIFAR-10 pretraining images per epoch (AAVAE §4.1): the s/epoch figure uses it

def step_gflops(dataset:str='cifar10', # 'cifar10' (32²) or 'stl10' (96²)
                arch:str='resnet18',   # 'resnet18' or 'resnet50'
                bn_pass:bool=True,     # count the no-grad encoder pass on the original image
               ) -> float:
    "GFLOP per training image of one step (PERF.md's table; a `KeyError` for a pair it does not count)."
    tr, bn = STEP_GFLOPS[(dataset, arch)]
    return tr + (bn if bn_pass else 0.0)

def _sync(dev):
    if dev.type == 'cuda': torch.cuda.synchronize(dev)

def _kernel_us(prof) -> float:
    "Sum of device self time of every profiled event (µs): the time the GPU was busy."
    return sum(float(getattr(e, 'self_device_time_total', None) or getattr(e, 'self_cuda_time_total', 0) or 0)
               for e in prof.key_averages())

def profile_summary(prof, wall_s:float, steps:int, data_s:float=0.0, top:int=12) -> dict:
    "Kernel vs host vs data time per step of a `torch.profiler.profile` over `steps` steps of `wall_s` seconds."
    k_ms = _kernel_us(prof) / 1e3 / steps
    wall_ms = 1e3 * wall_s / steps
    sort = 'self_cuda_time_total' if k_ms > 0 else 'self_cpu_time_total'
    try: table = prof.key_averages().table(sort_by=sort, row_limit=top)
    except Exception: table = prof.key_averages().table(sort_by='self_cpu_time_total', row_limit=top)
    return dict(step_ms=wall_ms, kernel_ms=k_ms, gpu_busy_share=k_ms / wall_ms if wall_ms else float('nan'),
                data_wait_ms=1e3 * data_s / steps, host_only_ms=max(wall_ms - k_ms, 0.0), top_ops=table)

class _Window:
    "A timed window on `dev`: CUDA events and the wall clock, the peak memory; optionally the profiler and a sync count."
    def __init__(self, dev, profile:bool=False, audit:bool=False):
        self.dev, self.cuda, self.profile, self.prof = dev, dev.type == 'cuda', profile, None
        self.audit = audit and self.cuda
    def start(self):
        if self.audit:   # CUDA's sync debug mode warns at every host sync: count the warnings
            self._wctx = warnings.catch_warnings(record=True)
            self._w = self._wctx.__enter__()
            warnings.simplefilter('always')
            torch.cuda.set_sync_debug_mode('warn')
        _sync(self.dev)
        if self.cuda:
            torch.cuda.reset_peak_memory_stats(self.dev)
            self.e0, self.e1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            self.e0.record()
        if self.profile:
            acts = [torch.profiler.ProfilerActivity.CPU] + ([torch.profiler.ProfilerActivity.CUDA] if self.cuda else [])
            self.prof = torch.profiler.profile(activities=acts)
            self.prof.__enter__()
        self.t0 = time.perf_counter()
    def stop(self, warmup_s:float, steps:int, data_s:float=0.0) -> dict:
        "The window's result: times, peak memory, host syncs, and the profile summary if profiled."
        n_sync = None
        if self.audit:
            torch.cuda.set_sync_debug_mode('default')
            n_sync = sum('synchroniz' in str(w.message) for w in self._w)
            self._wctx.__exit__(None, None, None)
        if self.cuda: self.e1.record()
        _sync(self.dev)
        wall = time.perf_counter() - self.t0
        if self.prof is not None: self.prof.__exit__(None, None, None)
        r = dict(time_s=self.e0.elapsed_time(self.e1) / 1e3 if self.cuda else wall, wall_s=wall,
                 peak_mem_gib=torch.cuda.max_memory_allocated(self.dev) / 2**30 if self.cuda else float('nan'),
                 n_sync=n_sync, warmup_s=warmup_s, steps=steps, data_s=data_s)
        if self.prof is not None: r['profile'] = profile_summary(self.prof, wall, steps, data_s)
        return r

def timed_steps(step_fn,            # `step_fn() -> None`: one training step (loads its own batch)
                steps:int,          # timed steps
                warmup:int,         # untimed steps first (compilation, graph capture, workers)
                device,             # the device the steps run on
                profile:bool=False, # run the timed window under torch.profiler
                data_time=None,     # optional `() -> seconds` the steps spent waiting for data so far
               ) -> dict:
    "Time `steps` calls of `step_fn` after `warmup` untimed ones (synchronised, CUDA events on the GPU)."
    dev = def_device(device)
    sw = Stopwatch()
    for _ in range(warmup): step_fn()
    _sync(dev)
    warm = sw.elapsed
    d0 = data_time() if data_time else 0.0
    w = _Window(dev, profile)
    w.start()
    for _ in range(steps): step_fn()
    return w.stop(warm, steps, (data_time() - d0) if data_time else 0.0)

class SimCLRViews(torch.utils.data.Dataset):
    """The official-style data pipeline: items `(augmented view, normalised original, label)` of uint8 images through the
    per-sample reference transform (`augment.simclr_reference`); AAVAE encodes the view and reconstructs the original."""
    def __init__(self, x:torch.Tensor, y:torch.Tensor=None, dataset:str='cifar10', backend:str='pil'):
        self.x, self.y, self.dataset, self.tfm = x, y, dataset, simclr_reference(dataset, backend=backend)
    def __len__(self): return len(self.x)
    def __getitem__(self, i):
        img = self.x[i]
        return self.tfm(img), normalize(img[None], self.dataset)[0], (-1 if self.y is None else int(self.y[i]))

def _cycle(dl):
    while True:
        for b in dl: yield b

def _build_model(dataset, arch, dev):
    "The AAVAE model of `arch`, or for `arch='tiny'` the learner's `TinyAE` (same interface; smoke runs only)."
    if arch == 'tiny':
        from aavae_nb.engine import TinyAE
        from aavae_nb.aavae.augment import AUG_DEFAULTS
        return TinyAE(3, 8, 4, AUG_DEFAULTS[dataset]['size'], augments=True, samples=True).to(dev)
    from aavae_nb.aavae.vae import VAE
    return VAE(dataset, arch, 'aavae').to(dev)

def official_style_bench(dataset:str,        # 'cifar10' or 'stl10'
                         arch:str,           # 'resnet18' or 'resnet50'
                         x:torch.Tensor,     # uint8 images `N×3×H×W` on the CPU
                         bs:int=256,         # batch size
                         steps:int=30,       # timed steps
                         warmup:int=5,       # untimed steps (worker start-up, cuDNN autotune)
                         device='auto',      # device of the model
                         seed:int=0,         # seed
                         workers:int=None,   # DataLoader workers (None: one per CPU core)
                         profile:bool=False, # profile the timed window
                        ) -> dict:
    "Time the official-style AAVAE step: PIL augmentation in DataLoader workers, fp32 eager, `.item()` every step."
    dev = def_device(device)
    set_seed(seed)
    workers = (os.cpu_count() or 1) if workers is None else int(workers)
    model = _build_model(dataset, arch, dev).train()
    opt = torch.optim.Adam(model.parameters(), lr=2.5e-4, foreach=False, fused=False)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 1750))
    dl = torch.utils.data.DataLoader(SimCLRViews(x.cpu(), dataset=dataset, backend='pil'), batch_size=bs, shuffle=True,
                                     drop_last=True, num_workers=workers, pin_memory=dev.type == 'cuda',
                                     persistent_workers=workers > 0)
    it, waited, losses = _cycle(dl), [0.0], []
    def step():
        t = time.perf_counter()
        x_in, x_t, _ = next(it)
        waited[0] += time.perf_counter() - t
        x_in, x_t = x_in.to(dev, non_blocking=True), x_t.to(dev, non_blocking=True)
        with torch.no_grad():
            model.encoder(x_t)                                 # logged-metrics pass (updates BN statistics)
        loss = model.step(x_in, x_t)['loss']
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())                             # the logger's host sync, every step
    r = timed_steps(step, steps, warmup, dev, profile, data_time=lambda: waited[0])
    return dict(r, variant='official', workers=workers, last_loss=losses[-1])

FP32_EAGER = dict(bf16=False, channels_last=False, fused_adam=False, compile=False)
STEP_LEVERS = {  # variant of the fast step: its `TrainConfig` levers
    'fp32_eager':   FP32_EAGER,
    'fast':         {},
    'fast_cg':      dict(compile_mode='reduce-overhead', compile_extras=True),
    'fast_bn_eval': dict(bn_stats='before_eval'),
}

class StepTimerCB(Callback):
    "Open a timed window after `warmup` optimiser steps, stop the fit after `steps` more (optional profiler, sync count)."
    order = 95
    def __init__(self, warmup:int, steps:int, device, profile:bool=False, sync_audit:bool=False):
        self.warmup, self.steps, self.result = warmup, steps, None
        self.win = _Window(def_device(device), profile, sync_audit)
    def before_fit(self, learn):
        self.sw = Stopwatch()
        if self.warmup == 0: self._open()
    def _open(self):
        self.warmup_s = self.sw.elapsed
        self.win.start()
    def after_step(self, learn):
        if learn.step_count == self.warmup and self.warmup > 0: self._open()
        elif learn.step_count == self.warmup + self.steps:
            self.result = self.win.stop(self.warmup_s, self.steps)
            raise CancelFitException()

def fast_step_bench(dataset:str,          # 'cifar10' or 'stl10'
                    arch:str,             # 'resnet18' or 'resnet50'
                    x:torch.Tensor,       # uint8 images `N×3×H×W` (moved to the device once)
                    bs:int=256,           # batch size
                    steps:int=50,         # timed optimiser steps
                    warmup:int=10,        # untimed steps (compilation, graph capture)
                    device='auto',        # device
                    seed:int=0,           # seed
                    variant:str='fast',   # a key of `STEP_LEVERS`
                    profile:bool=False,   # profile the timed window
                    sync_audit:bool=False,# count host syncs in the timed window (CUDA sync debug mode)
                    **overrides           # more `TrainConfig` fields
                   ) -> dict:
    "Time the library's training path (`train.pretrain` with the levers of `variant`)."
    from aavae_nb.aavae.config import resolve_config
    from aavae_nb.aavae.train import pretrain, _flags
    from aavae_nb.data import Split
    dev = def_device(device)
    set_seed(seed)
    epochs = math.ceil((warmup + steps) / (len(x) // bs)) + 1
    model = _build_model(dataset, arch, 'cpu')
    cfg = resolve_config('smoke', dataset=dataset, arch='resnet18' if arch == 'tiny' else arch, variant='aavae', bs=bs,
                         epochs=epochs, max_steps=None, warmup_epochs=10, eval_epochs=(epochs,), knn_every=0,
                         density_every=0, checkpoints=False, progress=False, log_every=50, seed=seed, n_pretrain=None,
                         **{**STEP_LEVERS[variant], **overrides})   # for 'tiny' the model passed in is what trains
    timer = StepTimerCB(warmup, steps, dev, profile, sync_audit)
    data = SimpleNamespace(pretrain=Split(x, torch.full((len(x),), -1)), val=None, classes=())
    with tempfile.TemporaryDirectory() as tmp: _, hist = pretrain(cfg, data, model, dev, tmp, cbs=[timer])
    if timer.result is None:
        raise RuntimeError("the fit ended before the timed window closed (too few steps per epoch?)")
    n_sync = timer.result.pop('n_sync')
    return dict(timer.result, variant=variant, flags=_flags(cfg, dev), bn_stats=cfg.bn_stats,
                sync_per_step=None if n_sync is None else n_sync / steps, last_loss=hist[-1]['loss'] if hist else None)

def augment_bench(dataset:str, x:torch.Tensor, bs:int=256, steps:int=50, warmup:int=5, device='auto',
                  compiled:bool=False, seed:int=0) -> dict:
    "Images/s of `BatchSimCLR(dataset)` on `device` (uint8 in, normalised float views out)."
    from aavae_nb.aavae.augment import BatchSimCLR
    dev = def_device(device)
    aug = BatchSimCLR(dataset).to(dev)
    if compiled: aug = PresampledAug(aug)
    g = torch.Generator(device=dev).manual_seed(seed)
    xb = x[:bs].to(dev)
    r = timed_steps(lambda: aug(xb, generator=g), steps, warmup, dev)
    return dict(r, img_s=bs * steps / r['time_s'], compiled=compiled)

def reference_augment_rate(dataset:str, x:torch.Tensor, n:int=256) -> float:
    "Images/s of the per-sample PIL reference transform on one CPU core (the official design's per-worker rate)."
    ds = SimCLRViews(x[:n].cpu(), dataset=dataset, backend='pil')
    nt = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        ds[0]
        sw = Stopwatch()
        for i in range(len(ds)): ds[i]
        return len(ds) / sw.elapsed
    finally: torch.set_num_threads(nt)

BENCH_CONFIGS = {'tiny_32': ('cifar10', 'tiny', 32), 'r18_32': ('cifar10', 'resnet18', 32),
                 'r50_32': ('cifar10', 'resnet50', 32), 'r18_96': ('stl10', 'resnet18', 96),
                 'r50_96': ('stl10', 'resnet50', 96)}

def synthetic_images(n:int, side:int, seed:int=0) -> torch.Tensor:
    "Random uint8 images `n×3×side×side` on the CPU (synthetic: speed does not depend on content)."
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, 3, side, side), dtype=torch.uint8, generator=g)

def bench_images(config:str, n:int, seed:int=0) -> tuple:
    "`(uint8 images on the CPU, data label)` of a `BENCH_CONFIGS` entry: the shipped CIFAR-10 subset tiled to `n`, or synthetic."
    dataset, arch, side = BENCH_CONFIGS[config]
    if dataset == 'cifar10':
        from aavae_nb.data import load_dataset
        x = load_dataset('cifar10').pretrain.x
        return x.repeat(math.ceil(n / len(x)), 1, 1, 1)[:n].contiguous(), f'shipped CIFAR-10 subset tiled to {n}'
    return synthetic_images(n, side, seed), f'synthetic random uint8 {side}x{side} (STL-sized), {n} images'

def _row(config, r, bs, data_label):
    "One row of the table from a bench function's result `r`."
    dataset, arch, side = BENCH_CONFIGS[config]
    bn = r.get('bn_stats', 'every_step') != 'before_eval'   # fast_cg: 'off' + its own compiled pass
    gf = step_gflops(dataset, arch, bn) if (dataset, arch) in STEP_GFLOPS else float('nan')   # tiny: not counted
    img_s = bs * r['steps'] / r['time_s']
    tf = img_s * gf / 1e3
    prof = r.get('profile') or {}
    return dict(config=config, variant=r['variant'], dataset=dataset, arch=arch, side=side, bs=bs, data=data_label,
                steps=r['steps'], img_s=img_s, step_ms=1e3 * r['time_s'] / r['steps'],
                s_per_epoch_45k=EPOCH_IMAGES / img_s, h_3200_epochs=3200 * EPOCH_IMAGES / img_s / 3600,
                gflop_per_img=gf, tflops=tf, peak_share=tf / PEAK_TFLOPS, peak_mem_gib=r['peak_mem_gib'],
                warmup_s=r['warmup_s'], data_wait_share=r.get('data_s', 0) / r['wall_s'],
                gpu_busy_share=prof.get('gpu_busy_share'), sync_per_step=r.get('sync_per_step'),
                flags=str(r.get('flags', '')), workers=r.get('workers'), last_loss=r.get('last_loss'), error='')

def _measure(c, v, x, xd, label, P, dev, seed, profile, profiles) -> dict:
    "The row of config `c` and variant `v` (with a profiler pass if asked); a failure becomes a row with an `error`."
    dataset, arch, side = BENCH_CONFIGS[c]
    def bench(steps, **kw):
        if v == 'official':
            return official_style_bench(dataset, arch, x, P['bs'], steps, P['warmup_steps'], dev, seed, P['workers'], **kw)
        return fast_step_bench(dataset, arch, xd, P['bs'], steps, P['warmup_steps'], dev, seed, v, **kw)
    try:
        if v == 'official': row = _row(c, bench(P['official_steps']), P['bs'], label)
        else: row = _row(c, bench(P['steps'], sync_audit=dev.type == 'cuda'), P['bs'], label)
        if profile:
            pr = bench(min(P['steps'], 10), profile=True)['profile']
            profiles[f'{c}/{v}'] = pr
            row['gpu_busy_share'] = pr['gpu_busy_share']
        return row
    except Exception as e:   # keep the other measurements
        return dict(config=c, variant=v, dataset=dataset, arch=arch, side=side, bs=P['bs'],
                    error=f'{type(e).__name__}: {e}'[:500])

def _line(r:dict, secs:float) -> str:
    "A row of the table as a log line."
    return f"  {r['config']:7s} {r['variant']:12s} " + (
        f"ERROR {r['error']}" if r['error'] else
        f"{r['img_s']:9.0f} img/s  {r['s_per_epoch_45k']:7.2f} s/epoch  {r['tflops']:6.1f} TFLOP/s "
        f"({100 * r['peak_share']:.1f}% of {PEAK_TFLOPS:.0f})  mem {r['peak_mem_gib']:.2f} GiB  "
        f"warm-up {r['warmup_s']:.1f} s") + f"  [{secs:.0f} s]"

def _augment_rows(c, x, xd, P, dev, seed, preset, log) -> list:
    "The augmentation alone for config `c`: `BatchSimCLR` eager (and with a compiled apply on CUDA), and the PIL rate."
    dataset, _, side = BENCH_CONFIGS[c]
    base, rows = dict(config=c, dataset=dataset, side=side), []
    for comp in (False, True) if dev.type == 'cuda' else (False,):
        try:
            a = augment_bench(dataset, xd, P['bs'], P['aug_steps'], 3, dev, comp, seed)
            rows.append(dict(base, compiled=comp, img_s=a['img_s']))
            log(f"  {c:7s} BatchSimCLR{' (compiled apply)' if comp else ''}: {a['img_s']:.0f} img/s")
        except Exception as e: rows.append(dict(base, compiled=comp, error=str(e)[:300]))
    try:
        rate = reference_augment_rate(dataset, x, 64 if preset == 'smoke' else 512)
        rows.append(dict(base, compiled=None, pil_reference_img_s_per_core=rate))
    except Exception as e: rows.append(dict(base, error=str(e)[:300]))
    return rows

def _start(out_dir, name, verbose):
    "What both runners start with after their checks: the output folder, a stopwatch, a logger."
    return out_folder(out_dir, RUNS_DIR/name), Stopwatch(), print if verbose else (lambda *a: None)

def check_benchmark(preset:str='smoke', device='auto', seed:int=0, steps:int=None, warmup_steps:int=None,
                    configs=None, variants=None, profile:bool=False, workers:int=None) -> tuple:
    """Every parameter of `run_benchmark` checked, nothing measured: `(budget P with the overrides, device, seed, configs,
    variants)`. The notebook calls it before it claims its folder, `run_benchmark` before any variant."""
    P, dev, seed = lookup(preset, 'bench'), def_device(device), check_seed(seed)
    check_type(profile, 'bool', 'profile')
    P.update({k: v for k, v in dict(steps=steps, warmup_steps=warmup_steps, configs=configs, variants=variants,
                                     workers=workers).items() if v is not None})
    if steps is not None: P['official_steps'] = max(2, steps // 2)
    cfgs = [check_one_of(c, BENCH_CONFIGS, 'config') for c in name_list(P['configs'], 'configs', 'r18_32,r50_32')]
    vars_ = [check_one_of(v, ('official', *STEP_LEVERS), 'variant')
             for v in name_list(P['variants'], 'variants', 'official,fast')]
    if not cfgs or not vars_: raise ValueError(f"configs and variants need at least one name each, got {cfgs}, {vars_}")
    check_type(P['steps'], 'int', 'steps', lo=1)
    check_type(P['warmup_steps'], 'int', 'warmup_steps', lo=0)
    check_type(P['workers'], 'int', 'workers', optional=True, lo=0)   # None: one per core
    return P, dev, seed, cfgs, vars_

def run_benchmark(preset:str='smoke',   # 'smoke' (CPU, tiny), 'cpu' (ResNet-18 on a CPU) or 'gpu' (the real one)
                  device='auto',        # device
                  seed:int=0,           # seed
                  out_dir=None,         # None: RUNS_DIR/'benchmark'
                  steps:int=None,       # timed steps of the fast variants (None: the preset's; official gets half)
                  warmup_steps:int=None,# untimed steps (None: the preset's)
                  configs=None,         # subset of `BENCH_CONFIGS` keys (None: the preset's)
                  variants=None,        # subset of 'official' + `STEP_LEVERS` keys (None: the preset's)
                  profile:bool=False,   # add a profiler pass per variant (kernel / host / data split)
                  workers:int=None,     # DataLoader workers of the official step (None: the preset's)
                  augment:bool=True,    # also time the augmentation alone (`augment_bench`, eager and compiled; PIL rate)
                  verbose:bool=True,
                 ):
    "Measure the official-style and the fast step in one run; write benchmark.csv/.json/.png; return the DataFrame."
    # every parameter checked here, before any variant: a variant's errors become rows of the table
    P, dev, seed, cfgs, vars_ = check_benchmark(preset, device, seed, steps, warmup_steps, configs, variants, profile,
                                                workers)
    out, sw, log = _start(out_dir, 'benchmark', verbose)
    log(f"benchmark preset={preset} device={device_name(dev)} configs={cfgs} variants={vars_} bs={P['bs']} "
        f"steps={P['steps']}")
    rows, aug_rows, profiles = [], [], {}
    def save():   # after every variant and config: a run cut off by a time limit keeps what it measured
        meta = dict(preset=preset, seed=seed, device=dev, wall=sw.elapsed, P=P)
        write_benchmark(_frame(rows), aug_rows, profiles, out, meta)
    for c in cfgs:
        x, label = bench_images(c, P['n_images'], seed)
        xd = x.to(dev)
        for v in vars_:
            t = Stopwatch()
            rows.append(_measure(c, v, x, xd, label, P, dev, seed, profile, profiles))
            log(_line(rows[-1], t.elapsed))
            if dev.type == 'cuda': torch.cuda.empty_cache()
            save()
        if augment: aug_rows += _augment_rows(c, x, xd, P, dev, seed, preset, log)
        del xd
        save()
    return _frame(rows)

def _frame(rows):
    "The rows as a DataFrame with `speedup_vs_official` (img/s over the same config's official-style row)."
    import pandas as pd
    df = pd.DataFrame(rows)
    for k in ('img_s', 'error'):
        if k not in df: df[k] = np.nan if k == 'img_s' else ''
    df['error'] = df['error'].fillna('')
    base = df[df.variant == 'official'].set_index('config')['img_s']
    df['speedup_vs_official'] = [r.img_s / base[r.config] if r.config in base.index and base[r.config] > 0 else np.nan
                                 for r in df.itertuples()]
    return df

def plot_benchmark(df, title:str=None):
    "Grouped bars of img/s per config and variant, speed-up over the official-style step written on each bar."
    import matplotlib.pyplot as plt
    ok = df[df['error'] == '']
    cfgs, vars_ = list(dict.fromkeys(ok.config)), list(dict.fromkeys(ok.variant))
    fig, ax = plt.subplots(figsize=(max(6, 2.2 * len(cfgs) + 2), 3.8))
    w = 0.8 / max(1, len(vars_))
    for j, v in enumerate(vars_):
        r = ok[ok.variant == v]
        xs = [cfgs.index(c) + (j - (len(vars_) - 1) / 2) * w for c in r.config]
        ax.bar(xs, r.img_s, w, label=v, color='#999999' if v == 'official' else None)
        for xx, yy, s in zip(xs, r.img_s, r.speedup_vs_official):
            if s == s: ax.text(xx, yy, f'{s:.2f}×' if s < 2 else f'{s:.1f}×', ha='center', va='bottom', fontsize=7)
    ax.set_xticks(range(len(cfgs)), [f"{c}\n({ok[ok.config == c].data.iloc[0].split(' ')[0]})" for c in cfgs])
    ax.set_ylabel(f'training images / s (batch {int(ok.bs.iloc[0])})')
    if ok.img_s.max() > 10 * ok.img_s.min(): ax.set_yscale('log')
    else: ax.set_ylim(0, 1.3 * ok.img_s.max())   # linear from 0 when the bars are alike (room for the legend)
    ax.legend(fontsize=8, ncol=len(vars_))
    ax.set_title(title or 'AAVAE training step: official-style vs fast (same run)', fontsize=10)
    fig.tight_layout()
    return fig

def _write(out, tables:dict, fig, stem:str, record:dict, meta:dict, **extra) -> Path:
    "Write `tables` (file name: DataFrame) as CSVs, `fig` as `<stem>.png`, `record` with provenance as `<stem>.json`."
    import matplotlib.pyplot as plt
    out = Path(out)
    for name, df in tables.items():
        with atomic_path(out/name) as tmp: df.to_csv(tmp, index=False)
    if fig is not None:
        with atomic_path(out/f'{stem}.png') as tmp: fig.savefig(tmp, format='png', dpi=120)
        plt.close(fig)
    prov = provenance(meta['seed'], meta['preset'], meta['device'], meta['wall'], **extra)
    save_json(dict(record, provenance=prov), out/f'{stem}.json')
    return out

def write_benchmark(df, aug_rows, profiles, out, meta) -> Path:
    "Write `benchmark.csv`, `benchmark_augment.csv`, `benchmark.json` (with provenance) and `benchmark.png` to `out`."
    import pandas as pd
    from aavae_nb.aavae.train import LEVER_DEFAULTS
    smoke, cpu = meta['preset'] == 'smoke', torch.device(meta['device']).type == 'cpu'
    on = [k for k, v in LEVER_DEFAULTS['cpu'].items() if v]   # the levers on by default on a CPU
    levers = 'fp32 eager' + (' with ' + ', '.join(on) if on else '')
    note = ('smoke preset: a tiny CPU run that exercises the code; its numbers are MEANINGLESS BY DESIGN' if smoke else
            'official-style and fast steps measured in the same process on the same device'
            + (f'; on a CPU the fast step has its CPU defaults ({levers}, batched augmentation, no per-step '
               'sync; the other levers default on only on CUDA, train.LEVER_DEFAULTS) and the shares of the GPU peak '
               'mean nothing' if cpu else ''))
    record = dict(rows=df.to_dict(orient='records'), augment=aug_rows, profiles=profiles, settings=meta['P'],
                  peak_tflops=PEAK_TFLOPS,
                  peak_note='dense bf16, H100-class (PERF.md); shares on other devices are not meaningful',
                  step_gflops={f'{k[0]}/{k[1]}': v for k, v in STEP_GFLOPS.items()}, epoch_images=EPOCH_IMAGES,
                  note=note)
    title = ('smoke (CPU, tiny): meaningless by design' if smoke else
             f"official-style vs fast step on a CPU, same run\n{device_name(meta['device'])}" if cpu else None)
    fig = plot_benchmark(df, title) if (df['error'] == '').any() else None
    tables = {'benchmark.csv': df, 'benchmark_augment.csv': pd.DataFrame(aug_rows)}
    return _write(out, tables, fig, 'benchmark', record, meta)

AB_ARMS = ('fast', 'fp32_eager')   # keys of `STEP_LEVERS`: the fast defaults, and every lever off

def curve_agreement(a, b, key:str='loss') -> dict:
    "Compare two `learn.history` loss curves at their common steps: Pearson r, final relative gap, max relative gap."
    da = {r['step']: r[key] for r in a if key in r}
    db = {r['step']: r[key] for r in b if key in r}
    steps = sorted(set(da) & set(db))
    if len(steps) < 2:
        raise ValueError(f"the curves share {len(steps)} logged steps: need at least 2 (lower log_every).")
    x, y = np.array([da[s] for s in steps]), np.array([db[s] for s in steps])
    r = float(np.corrcoef(x, y)[0, 1]) if x.std() > 0 and y.std() > 0 else float(np.allclose(x, y))
    rel = np.abs(x - y) / np.maximum(np.abs(y), 1e-12)
    return dict(n_points=len(steps), pearson_r=r, final_rel_gap=float(rel[-1]), max_rel_gap=float(rel.max()),
                steps=steps, a=x.tolist(), b=y.tolist())

def _ab_arm(arm:str, cfg, data, arch:str, seed:int, dev, flags:dict) -> tuple:
    "Pretrain one arm; its row (kNN on the `probe_val` and `test` queries pooled, loss, speed) and its history."
    from aavae_nb.aavae.train import pretrain
    from aavae_nb.aavae.evaluate import knn_monitor
    from aavae_nb.aavae.augment import normalize
    set_seed(seed)   # same initial weights in both arms (pretrain seeds again before building its own model)
    model = _build_model(cfg.dataset, arch, 'cpu') if arch == 'tiny' else None
    t = Stopwatch()
    with tempfile.TemporaryDirectory() as tmp: model, hist = pretrain(cfg, data, model, dev, tmp)
    t_pre = t.elapsed
    nq = {q: len(getattr(data, q)) for q in ('probe_val', 'test')}   # pooled: ~1 point less noise than probe_val alone
    kq = {q: knn_monitor(model, data, partial(normalize, dataset=cfg.dataset), cfg.knn_k, cfg.knn_t, cfg.n_knn, query=q)
          for q in nq}
    losses = [r for r in hist if 'loss' in r]
    row = dict(arm=arm, knn_top1=sum(kq[q] * nq[q] for q in nq) / sum(nq.values()), knn_probe_val=kq['probe_val'],
               knn_test=kq['test'], n_queries=sum(nq.values()), final_loss=losses[-1]['loss'],
               steps=losses[-1]['step'], pretrain_s=t_pre,
               img_s_median=float(np.median([r['img_s'] for r in losses[1:]] or [losses[0]['img_s']])),
               flags=str(flags), arch=arch, epochs=cfg.epochs, n_pretrain=len(data.pretrain), bs=cfg.bs)
    return row, hist

def check_ab(preset:str='smoke', device='auto', seed:int=0, epochs:int=None, tol_knn:float=1.5, min_r:float=0.99,
             arms:tuple=AB_ARMS) -> tuple:
    """Every parameter of `run_ab` checked, nothing trained: `(device, arch, {arm: its TrainConfig})`. The notebook calls
    it before it claims its folder, `run_ab` before the first arm."""
    if not isinstance(arms, (list, tuple)) or len(arms) != 2 or len(set(arms)) != 2 or not set(arms) <= set(STEP_LEVERS):
        raise ValueError(f"arms must be two different keys of STEP_LEVERS {list(STEP_LEVERS)}, got {arms!r}")
    from aavae_nb.aavae.config import resolve_config
    P, dev = lookup(preset, 'ab'), def_device(device)
    check_type(tol_knn, 'float', 'tol_knn', lo=0)
    check_type(min_r, 'float', 'min_r', lo=-1, hi=1)
    arch, ab_epochs = P.pop('arch'), P.pop('epochs')   # epochs and seed are checked by the configs
    epochs = ab_epochs if epochs is None else epochs
    cfgs = {arm: resolve_config(preset, variant='aavae', arch='resnet18' if arch == 'tiny' else arch, epochs=epochs,
                                max_steps=None, eval_epochs=(epochs,), knn_every=0, density_every=0, checkpoints=False,
                                progress=False, seed=seed, **{**P, **STEP_LEVERS[arm]}) for arm in arms}
    return dev, arch, cfgs

def run_ab(preset:str='smoke',   # 'smoke' (CPU, tiny), 'cpu' (ResNet-18 width 16) or 'gpu' (ResNet-18, 50 epochs)
           device='auto',        # device
           seed:int=0,           # seed of both arms
           out_dir=None,         # None: RUNS_DIR/'reproduce_ab_fastpath'
           epochs:int=None,      # override the preset's epochs
           tol_knn:float=1.5,    # max |kNN(fast) - kNN(fp32)| in points
           min_r:float=0.99,     # min Pearson r of the two loss curves
           verbose:bool=True,
           stem:str='ab_fastpath', # name of the files written (`<stem>.json`, `.csv`, `.png`, `<stem>_curves.csv`)
           arms:tuple=AB_ARMS,   # (the arm under test, the reference): two keys of `STEP_LEVERS`
          ) -> dict:
    "Pretrain AAVAE with the levers of two arms (default: the fast defaults, every lever off); compare kNN and loss curves."
    from aavae_nb.aavae.train import load_data, _flags
    dev, arch, cfgs = check_ab(preset, device, seed, epochs, tol_knn, min_r, arms)
    out, sw, log = _start(out_dir, 'reproduce_ab_fastpath', verbose)
    (a, b), names = arms, arms
    arms, hists, flags, data = {}, {}, {}, None
    for arm, cfg in cfgs.items():
        data, flags[arm] = data or load_data(cfg), _flags(cfg, dev)
        arms[arm], hists[arm] = _ab_arm(arm, cfg, data, arch, seed, dev, flags[arm])
        log(f"{arm:10s} kNN {arms[arm]['knn_top1']:6.2f}%  final loss {arms[arm]['final_loss']:.5g}  "
            f"{arms[arm]['pretrain_s']:.1f} s  flags {arms[arm]['flags']}")
        if dev.type == 'cuda': torch.cuda.empty_cache()
    ag = curve_agreement(hists[a], hists[b])
    d_knn = arms[a]['knn_top1'] - arms[b]['knn_top1']
    verdict = dict(knn_delta=d_knn, knn_ok=abs(d_knn) <= tol_knn, pearson_r=ag['pearson_r'],
                   shape_ok=ag['pearson_r'] >= min_r, final_rel_gap=ag['final_rel_gap'], max_rel_gap=ag['max_rel_gap'],
                   tol_knn=tol_knn, min_r=min_r, levers_tested=[k for k in flags[a] if flags[a][k] != flags[b][k]])
    log(f"levers that differ between the arms on {dev.type}: {', '.join(verdict['levers_tested']) or 'none'}")
    log(f"kNN delta {d_knn:+.2f} points ({'OK' if verdict['knn_ok'] else 'FAIL'} at {tol_knn}); loss curves "
        f"r={ag['pearson_r']:.5f} ({'OK' if verdict['shape_ok'] else 'FAIL'} at {min_r}); final relative gap "
        f"{ag['final_rel_gap']:.2%}")
    write_ab(arms, ag, verdict, out, dict(preset=preset, seed=seed, device=dev, wall=sw.elapsed), stem, names)
    return dict(arms=arms, agreement=ag, verdict=verdict, out_dir=str(out))

ARM_LABELS = {'fp32_eager': 'fp32 eager', 'fast': 'fast defaults', 'fast_cg': 'fast + CUDA graphs, compiled extras'}

def write_ab(arms:dict, ag:dict, verdict:dict, out, meta, stem:str='ab_fastpath', names:tuple=AB_ARMS) -> Path:
    "Write `<stem>.csv` (the arms), `<stem>_curves.csv`, `<stem>.png` (the two loss curves), `<stem>.json` (listing them)."
    import pandas as pd, matplotlib.pyplot as plt
    (a, b), label = names, lambda k: f"{ARM_LABELS.get(k, k)} (kNN {arms[k]['knn_top1']:.1f}%)"
    curves = pd.DataFrame({'step': ag['steps'], f'loss_{a}': ag['a'], f'loss_{b}': ag['b']})
    tested, smoke = verdict['levers_tested'], meta['preset'] == 'smoke'
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    ax.plot(curves.step, curves[f'loss_{b}'], lw=2.5, alpha=0.6, label=label(b))
    ax.plot(curves.step, curves[f'loss_{a}'], lw=1, label=label(a))
    ax.set_xlabel('optimiser step')
    ax.set_ylabel('training loss (−log p(x|z), batch mean)')
    ax.set_title(f"A/B of the fast path ({meta['preset']}, {torch.device(meta['device']).type}; levers tested: "
                 f"{', '.join(tested) or 'none'})\nr={ag['pearson_r']:.4f}, ΔkNN={verdict['knn_delta']:+.2f} pts"
                 + (' (smoke: meaningless)' if smoke else ''), fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    untested = [k for k in FP32_EAGER if k not in tested] if tuple(names) == AB_ARMS else []
    note = ('smoke preset: tiny model on the CPU, 2 epochs of 32 images; MEANINGLESS BY DESIGN' if smoke else
            'same seed, same data order and augmentation draws; only the speed levers differ: ' + (', '.join(tested)
            or 'none') + (f" (the others, {', '.join(untested)}, are NOT tested by this run)" if untested else ''))
    record = dict(arms=arms, verdict=verdict, agreement={k: v for k, v in ag.items() if k not in ('a', 'b', 'steps')},
                  note=note, outputs=[f'{stem}.csv', f'{stem}_curves.csv', f'{stem}.png'])
    tables = {f'{stem}.csv': pd.DataFrame(list(arms.values())), f'{stem}_curves.csv': curves}
    return _write(out, tables, fig, stem, record, meta, n_pretrain=next(iter(arms.values()))['n_pretrain'])
