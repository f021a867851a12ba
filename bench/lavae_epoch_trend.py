"""Does the cost of the involution penalty shrink with longer stage-1 training? (a diagnostic, not a paper result)

    PYTHONPATH=. python bench/lavae_epoch_trend.py [n_train] [checkpoints] [out_dir]
    # default: 15000 2,4,8,16,32 runs/lavae_epoch_trend
    PYTHONPATH=. python bench/lavae_epoch_trend.py plot [out_dir]     # CSV + PNG from the JSON (also done at the end)

At the CPU preset `cpu_full` (3 stage-1 epochs) the code's stage 2 (λ = 1) gives a Table I total of 411 against 304
with λ = 0 (`lavae_map_diagnostic.py`); the paper, after 100 epochs, reports 297.1 with the code's λ = 1. This trains
one LAVAE on "Flips" (stage 1 uninterrupted, one optimiser, seed 0) and, after the chosen stage-1 epochs, refits
stage 2 from a copy of the model with λ = 1 and with λ = 0 (same seed, same initial maps each time), then reports
Table I's LAVAE row and `latent_map_gap` on the 10k test images. Writes `lavae_epoch_trend.json` (with provenance)
after every checkpoint, so a cut-off run keeps what it measured."""
import sys, json, copy
from dataclasses import replace
from pathlib import Path
import torch
from lavae_common import flips_setup
from aavae_nb.core import save_json, provenance, Stopwatch
from aavae_nb.lavae.model import LAVAE, involution_penalty
from aavae_nb.lavae.train import evaluate_views, latent_map_gap, train_stage1, train_stage2

def main(n_train='15000', checkpoints='2,4,8,16,32', out_dir='runs/lavae_epoch_trend', seed=0):
    sw, n_train, cps = Stopwatch(), int(n_train), sorted(int(c) for c in checkpoints.split(','))
    cfg, dev, out, ds, pair, views, views_test = flips_setup('cpu_full', seed, out_dir, 'lavae_epoch_trend',
                                                             n_train=n_train, epochs1=cps[-1])
    g = torch.Generator().manual_seed(seed); torch.manual_seed(seed)
    model = LAVAE(pair)
    maps0 = copy.deepcopy(model.maps.state_dict())                      # every refit starts from the same maps
    rec = dict(what="LAVAE 'Flips', one stage-1 run; at each checkpoint stage 2 refitted with lam_inv = 1 (the code) "
                    "and 0; Table I row and latent_map_gap on the test images", pair=list(pair), checkpoints={})
    def at_epoch(ep, hist):
        if ep not in cps: return
        row = dict(stage1_loss=hist[-1], stage1_s=sw.elapsed)
        for lam in (1.0, 0.0):
            m = copy.deepcopy(model); m.maps.load_state_dict(maps0); torch.manual_seed(seed + 1)
            h2 = train_stage2(m, views, replace(cfg, lam_inv=lam), dev, torch.Generator().manual_seed(seed + 1))
            row[f'lam_inv={lam:g}'] = dict(table1=evaluate_views(m, views_test, 0, cfg.eval_bs, dev),
                                           latent_map_gap=latent_map_gap(m, views_test, 0, cfg.eval_bs, dev),
                                           involution_penalty=[float(involution_penalty(L.detach())) for L in m.maps],
                                           final_stage2_loss=h2[-1])
        rec['checkpoints'][ep] = row
        rec.update(config=cfg.__dict__, provenance=provenance(
            seed, 'cpu_full', dev, sw.elapsed, n_train=len(ds.pretrain), n_test=len(ds.test), stage1_epochs_done=ep,
            note='diagnostic on a subset; reduced-budget, not the paper setting'))
        save_json(rec, Path(out)/'lavae_epoch_trend.json')
        print(ep, {k: round(v['table1']['total'], 1) for k, v in row.items() if k.startswith('lam')},
              f'{sw.elapsed:.0f} s', flush=True)
    train_stage1(model, views, cfg, dev, g, on_epoch=at_epoch)
    plot(out)

def plot(out_dir='runs/lavae_epoch_trend'):
    "`lavae_epoch_trend.csv` (one row per checkpoint and λ) and `.png` (Table I total against stage-1 epochs) from the JSON."
    import pandas as pd, matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
    from aavae_nb.core import atomic_path
    from aavae_nb.presets import LAVAE_TABLE1 as PAPER_TABLE1
    rec = json.loads((Path(out_dir)/'lavae_epoch_trend.json').read_text())
    rows = [dict(stage1_epochs=int(ep), lam_inv=float(k.split('=')[1]), **{v: r['table1'][v] for v in r['table1']},
                 involution_penalty=sum(r['involution_penalty']), stage1_loss=row['stage1_loss'])
            for ep, row in rec['checkpoints'].items() for k, r in row.items() if k.startswith('lam_inv=')]
    df = pd.DataFrame(rows).sort_values(['lam_inv', 'stage1_epochs'], ascending=[False, True])
    with atomic_path(Path(out_dir)/'lavae_epoch_trend.csv') as tmp: df.to_csv(tmp, index=False, float_format='%.3f')
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    for lam, d in df.groupby('lam_inv', sort=False):
        ax.plot(d.stage1_epochs, d.total, 'o-', label=f'λ = {lam:g}' + (' (the code)' if lam == 1 else ' (variant)'))
    ax.axhline(PAPER_TABLE1['LAVAE'][4], c='k', ls='--', lw=1, label='paper, 100 epochs of 60k')
    ax.axhline(1.15 * PAPER_TABLE1['LAVAE'][4], c='gray', ls=':', lw=1, label='paper + 15%')
    ax.set_xscale('log', base=2); ax.set_xlabel('stage-1 epochs'); ax.set_ylabel('Table I LAVAE total (test BCE)')
    pv = rec['provenance']
    ax.set_title(f"LAVAE 'Flips', {pv.get('n_train')} training images: REDUCED BUDGET diagnostic", fontsize=8)
    ax.legend(fontsize=7, loc='upper right'); fig.tight_layout()
    with atomic_path(Path(out_dir)/'lavae_epoch_trend.png') as tmp: fig.savefig(tmp, format='png', dpi=120)
    print(df.round(2).to_string(index=False))

if __name__ == '__main__':
    if sys.argv[1:2] == ['plot']: plot(*sys.argv[2:])
    else: main(*sys.argv[1:])
