"""AAVAE on the CPU: what each speed lever does to one training step, measured lever by lever (the evidence behind
`train.LEVER_DEFAULTS['cpu']`: channels_last on, bf16 autocast / fused Adam / torch.compile off).

    PYTHONPATH=. python bench/cpu_levers.py [threads] [steps] [out_dir]   # default: 1 10 runs/cpu_levers (the committed figure)

The model is Table 1's `cpu` preset (AAVAE, ResNet-18 at width 16, batch 128, 32² inputs); one step is
`model.step` (forward, Gaussian likelihood, KL) + backward + Adam, on a fixed batch (no augmentation, no BN pass: the
levers act on this part). `steps` timed steps after 2 untimed ones (which hold torch.compile's compilation, reported
as `warmup_s`, from an empty inductor cache), `threads` torch threads, on an otherwise idle machine. Writes `cpu_levers.csv` and `.json` (with
provenance) to `out_dir`; `figures/cpu_levers.*` come from it."""
import os, sys, contextlib, tempfile
os.environ.setdefault('TORCHINDUCTOR_CACHE_DIR', tempfile.mkdtemp(prefix='cpu_levers_inductor_'))  # cold compile: warmup_s holds it all
from functools import partial
from pathlib import Path
import pandas as pd, torch
from aavae_nb.core import save_json, atomic_path, provenance, Stopwatch, set_seed
from aavae_nb.aavae.config import resolve_config
from aavae_nb.aavae.train import build_model
from aavae_nb.aavae.benchmark import timed_steps

# name: (bf16 autocast, channels_last, fused Adam, torch.compile of model.step)
ARMS = {'fp32_eager': (False, False, False, False), 'fused_adam': (False, False, True, False),
        'channels_last': (False, True, False, False), 'channels_last+fused_adam': (False, True, True, False),
        'channels_last+bf16': (True, True, False, False), 'channels_last+compile': (False, True, False, True)}

def time_arm(cfg, x, bf16, cl, fused, comp, steps):
    set_seed(0)
    m = build_model(cfg)
    if cl: m = m.to(memory_format=torch.channels_last)
    xi = x.contiguous(memory_format=torch.channels_last) if cl else x
    opt = torch.optim.Adam(m.parameters(), lr=cfg.lr, fused=fused)
    step_fn = torch.compile(m.step, dynamic=False) if comp else m.step
    ac = partial(torch.autocast, 'cpu', dtype=torch.bfloat16) if bf16 else contextlib.nullcontext
    def step():
        with ac(): loss = step_fn(xi, xi)['loss']
        loss.backward(); opt.step(); opt.zero_grad(set_to_none=True)
    return timed_steps(step, steps, 2, 'cpu')

def main(threads='1', steps='10', out_dir='runs/cpu_levers'):
    threads, steps = int(threads), int(steps)
    sw, out, n0 = Stopwatch(), Path(out_dir), torch.get_num_threads()
    out.mkdir(parents=True, exist_ok=True)
    cfg = resolve_config('cpu', variant='aavae')
    x = torch.rand(cfg.bs, 3, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1   # normalised-range input
    rows = []
    torch.set_num_threads(threads)
    try:
        for name, (bf16, cl, fused, comp) in ARMS.items():
            r = time_arm(cfg, x, bf16, cl, fused, comp, steps)
            rows.append(dict(arm=name, bf16=bf16, channels_last=cl, fused_adam=fused, compile=comp,
                             step_s=r['time_s'] / steps, img_s=cfg.bs * steps / r['time_s'], warmup_s=r['warmup_s']))
            print(rows[-1], flush=True)
        prov = provenance(0, 'cpu', 'cpu', sw.elapsed, steps=steps, threads=threads)   # while `threads` are set: the device names them
    finally: torch.set_num_threads(n0)
    df = pd.DataFrame(rows)
    df['speedup_vs_fp32_eager'] = df.img_s / df.img_s[df.arm == 'fp32_eager'].iloc[0]
    with atomic_path(out/'cpu_levers.csv') as tmp: df.to_csv(tmp, index=False, float_format='%.4g')
    save_json(dict(what=f"AAVAE r18 width {cfg.width}, batch {cfg.bs}, 32x32: model.step + backward + Adam per lever, "
                        f"{steps} timed steps after 2 (warmup_s holds compilation), {threads} torch thread(s); "
                        "synthetic input (speed does not depend on content)", table=df.to_dict(orient='records'),
                   provenance=prov),
              out/'cpu_levers.json')
    print(df.round(3).to_string()); print(f'wrote {out} in {sw.elapsed:.0f} s')

if __name__ == '__main__': main(*sys.argv[1:])
