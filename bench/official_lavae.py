"""LAVAE side by side with the authors' own code: stages 1, 2 and 3 at batch 64, interleaved rounds, on one machine.

Placing the official code (it is never copied into this repository):

    git clone https://github.com/SunayBhat1/Latent_Augmentation_VAE /tmp/official_lavae
    git -C /tmp/official_lavae checkout c950411
    pip install adabelief-pytorch==0.2.1        # the official optimiser (aavae-nb's dev venv already has it)

or point `--official` at any folder holding its `models.py`, `train_utils.py` and `run_LAVAE.py` at that commit
(on the project's machines, `git -C /work/.mirror/SunayBhat1+Latent_Augmentation_VAE/repo show HEAD:<file>`).

The official code runs unchanged, on the same torch as ours, with one documented import shim:
- `run_LAVAE.py` imports `utils`, whose module level needs imgaug, moviepy, seaborn and scikit-learn for its datasets
  and plots; the three epoch functions timed here never call it, so an empty module stands in for `utils`.
The official loops are its own `epoch_ED` (stage 1), `epoch_LA` (stage 2) and `epoch_Decs` (stage 3), fed as its
`utils.MNIST_data` feeds them: its `torch_dataloader` / `torch_latent_dataloader` (per-sample `ToTensor`) in a
`DataLoader` of batch 64 (shuffled for stage 1), with its `AdaBelief` settings from `run_LAVAE.main`. Ours are
`train_stage1`, `train_stage2` and `train_transfer` for one epoch each, everything they do included (stage 2 encodes
the views first, stage 3 the originals). The per-epoch test passes of the official `train_LAVAE` are not timed
(ours has none). The images are random uint8 (the speed of these models does not depend on pixel values):
`--n` originals with their four views, so stage 1 sees 4·n images and stages 2 and 3 n items of four views.

Usage (from the repository root): `python bench/official_lavae.py --official DIR --out runs/official_lavae`
(`--rounds 5 --threads 1 --n 3200` by default). Writes `official_lavae_cpu.csv` (stage, official and ours img/s
min and median, ratio of the medians) and `.json` (every round, the settings and the provenance stamp).
Each round also times ours with `LAVAEConfig(bf16=True)` (stages 1 and 3 under bfloat16 autocast, an opt-in; the
official code is always float32) in the same rotation, `ours_bf16_*` and `ratio_bf16` (`--no-bf16` skips it; stage 2
has no bf16 path). `--table1-seeds K` then checks what bf16 costs in the result: our LAVAE row of Table I (head 0)
at preset `cpu`, float32 and bf16 trained from the same seeds 0..K-1, in the JSON under `table1_bf16`.
"""
import argparse, sys, time, types, warnings, csv
from pathlib import Path
import torch

REPO, COMMIT = 'https://github.com/SunayBhat1/Latent_Augmentation_VAE', 'c950411'
PAIR = ('flip_lr', 'flip_ud')
BS = 64
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # this checkout's aavae_nb, whatever is installed
from official_aavae import summary                              # bench/, this script's folder, is on sys.path

def import_official(folder:Path):
    "The official `models` and `run_LAVAE` modules, imported from `folder` with the `utils` shim (module docstring)."
    for f in ('models.py', 'train_utils.py', 'run_LAVAE.py'):
        if not (folder/f).exists(): raise FileNotFoundError(f"{folder/f} is missing: see how to place the official code")
    sys.path.insert(0, str(folder))
    sys.modules.setdefault('utils', types.ModuleType('utils'))   # the shim: plotting/dataset helpers, not called here
    import models, run_LAVAE
    return models, run_LAVAE

def official_adabelief(params):
    "The optimiser exactly as `run_LAVAE.main` builds it."
    from adabelief_pytorch import AdaBelief
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        return AdaBelief(params, lr=1e-3, eps=1e-16, betas=(0.9, 0.999), weight_decouple=False, rectify=False,
                         print_change_log=False)

def official_stage(k:int, M, R, views:torch.Tensor) -> float:
    "img/s of one epoch of the official stage `k` (1: `epoch_ED`, 2: `epoch_LA`, 3: `epoch_Decs`)."
    from torchvision import transforms
    trans = transforms.Compose([transforms.ToTensor()])
    torch.manual_seed(0)
    model = M.LAVAE(16, 2, 64, 28, list(PAIR), True)               # latent 16, two heads (stage 3 trains head 1)
    args = types.SimpleNamespace(IMG_DIM=28, LAMBDA_KLD=5, LAMBDA_RECON=1, LAMBDA_INVOL=1, AUGS=list(PAIR),
                                 AUGS_TANSFER=[list(PAIR)])
    arrays = {k_: v.reshape(-1, 28, 28).numpy() for k_, v in zip(('orig', *PAIR, 'compose'), views)}
    if k == 1:
        ds = M.torch_dataloader(views.reshape(-1, 28, 28).numpy(), transform=trans)
        dl = torch.utils.data.DataLoader(ds, batch_size=BS, shuffle=True)
        params = list(model.encoder.parameters()) + list(model.decoders[0].parameters())
        losses, fn = dict(KLD=[], Recon=[], Total=[]), R.epoch_ED
    else:
        ds = M.torch_latent_dataloader(arrays, transform=trans)
        dl = torch.utils.data.DataLoader(ds, batch_size=BS, shuffle=False)
        params = model.Laugs.parameters() if k == 2 else model.decoders[1].parameters()
        losses = dict(MSE=[], Invol=[], Total=[]) if k == 2 else dict(Train=[])
        fn = R.epoch_LA if k == 2 else (lambda *a: R.epoch_Decs(*a, decoder=1))
    opt = official_adabelief(params)
    model.train()
    t = time.perf_counter()
    fn(model, dl, opt, losses, 'cpu', args)
    return len(ds) / (time.perf_counter() - t)

def ours_stage(k:int, views:torch.Tensor, bf16:bool=False) -> float:
    "img/s of one epoch of our stage `k` (`train_stage1`, `train_stage2`, `train_transfer`), on a fresh model."
    from aavae_nb.lavae.model import LAVAE
    from aavae_nb.lavae.train import get_config, train_stage1, train_stage2, train_transfer
    torch.manual_seed(0)
    model, cfg, g = LAVAE(PAIR), get_config('smoke', epochs1=1, epochs2=1, epochs3=1, bs=BS, bf16=bf16), torch.Generator()
    run = {1: lambda: train_stage1(model, views, cfg, 'cpu', g.manual_seed(1)),
           2: lambda: train_stage2(model, views, cfg, 'cpu', g.manual_seed(2)),
           3: lambda: train_transfer(model, views, PAIR, cfg, 'cpu', g.manual_seed(3))}[k]
    t = time.perf_counter()
    run()
    return (views.shape[1] * (4 if k == 1 else 1)) / (time.perf_counter() - t)

def table1_bf16(seeds:int) -> list:
    "Our LAVAE row of Table I at preset `cpu`, float32 then bf16 from the same seed, for seeds 0..seeds-1."
    from aavae_nb.lavae.train import get_config, with_overrides, fit_lavae, evaluate_views, mnist_views
    cfg, out = get_config('cpu'), []
    for seed in range(seeds):
        _, v, vt = mnist_views(cfg, [PAIR], seed)
        for bf16 in (False, True):
            t = time.perf_counter()
            m, h = fit_lavae(v[PAIR], with_overrides(cfg, bf16=bf16), PAIR, 'cpu', seed)
            out.append(dict(seed=seed, bf16=bf16, seconds=round(time.perf_counter() - t, 1),
                            stage1_loss=[round(x, 3) for x in h['stage1']], **evaluate_views(m, vt[PAIR], 0, cfg.eval_bs, 'cpu')))
            print(out[-1], flush=True)
    return out

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--official', required=True, type=Path, help=f'folder of the official code ({REPO} @ {COMMIT})')
    p.add_argument('--out', default='runs/official_lavae', type=Path, help='output folder')
    p.add_argument('--rounds', default=5, type=int, help='interleaved rounds (official, ours, ours bf16) per stage')
    p.add_argument('--threads', default=1, type=int, help='torch threads for both')
    p.add_argument('--n', default=3200, type=int, help='originals (stage 1 trains on their 4 views)')
    p.add_argument('--stages', default='1,2,3', help='which stages, comma separated')
    p.add_argument('--no-bf16', dest='bf16', action='store_false', help='skip timing ours under bf16 autocast')
    p.add_argument('--table1-seeds', default=0, type=int, help='seeds of the float32-vs-bf16 Table I check (0: none)')
    a = p.parse_args(argv)
    M, R = import_official(a.official)
    from aavae_nb.core import provenance, save_json, atomic_path
    torch.set_num_threads(a.threads)
    views = torch.randint(0, 256, (4, a.n, 1, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    stages = [int(s) for s in a.stages.split(',')]
    modes = lambda k: ('official', 'ours') + (('ours_bf16',) if a.bf16 and k != 2 else ())
    rounds = {k: {m: [] for m in modes(k)} for k in stages}
    t0 = time.perf_counter()
    for r in range(a.rounds):
        for k in stages:
            for m in modes(k):
                rounds[k][m].append(official_stage(k, M, R, views) if m == 'official' else ours_stage(k, views, m == 'ours_bf16'))
            print(f"round {r + 1} stage {k}: " + ', '.join(f'{m} {v[-1]:.1f}' for m, v in rounds[k].items()) + ' img/s', flush=True)
    rows = []
    for k in stages:
        row, o = dict(stage=k), summary(rounds[k]['official'], 1)['median']
        for m in ('official', 'ours', 'ours_bf16'):
            u = summary(rounds[k][m], 1) if m in rounds[k] else dict(min=None, median=None)
            row.update({f'{m}_min': u['min'], f'{m}_median': u['median']})
            if m != 'official': row['ratio' + m[4:]] = u['median'] and round(u['median'] / o, 2)
        rows.append(row)
    t1 = table1_bf16(a.table1_seeds) if a.table1_seeds else None
    a.out.mkdir(parents=True, exist_ok=True)
    with atomic_path(a.out/'official_lavae_cpu.csv') as tmp, open(tmp, 'w', newline='') as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    prov = provenance(seed=0, device='cpu', wall_time_s=time.perf_counter() - t0, official=f'{REPO} @ {COMMIT}',
                      shim='empty `utils` module for run_LAVAE', threads=a.threads, bs=BS, n_originals=a.n,
                      ours='float32 (the official numerics); ours_bf16: LAVAEConfig(bf16=True), stages 1 and 3',
                      stage1_images=4 * a.n, unit='img/s (stage 1: images; stages 2, 3: items of 4 views)')
    save_json(dict(rows=rows, rounds={str(k): v for k, v in rounds.items()}, table1_bf16=t1, provenance=prov),
              a.out/'official_lavae_cpu.json')
    for row in rows: print(row)

if __name__ == '__main__': main()
