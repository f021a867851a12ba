"""Is the Fig. 7 headline a property of the method or of one seed? The whole heat-map over several seeds, with the
involution penalty as the code has it (λ = 1) and switched off (λ = 0). A diagnostic at a reduced budget, not a paper
result.

    PYTHONPATH=. python bench/lavae_heatmap_seeds.py [preset] [seeds] [lams] [out_dir]
    # default: cpu 0,1,2 1,0 runs/lavae_heatmap_seeds

The paper's headline (Fig. 7, §V-B): the transfer head of the mini_image+edge_detect latent space reconstructs
shearX+canny better than shearX+canny's own head 0 (336.65 against 516.54 Total BCE). Each (seed, λ) here trains the
whole 4×4 matrix as `reproduce_lavae_heatmap` does (same preset, views and calls, stage 2 from the code's Xavier
start) and records, per matrix: the headline's two cells, whether it holds, how many columns have their own pair as
the best row, and `heatmap_agreement` against the paper's matrix. Writes `lavae_heatmap_seeds.{csv,json,png}`:
the CSV has every cell, the JSON a summary per matrix and the provenance."""
import sys
from pathlib import Path
from aavae_nb.core import save_json, provenance, Stopwatch, atomic_path
from aavae_nb.lavae.train import transfer_matrix, PAPER_HEATMAP, HEATMAP_PAIRS
from aavae_nb.lavae.augment import check_pair
from aavae_nb.lavae.uses import heatmap_agreement, heatmap_findings
from lavae_common import views_setup

def summarise(totals, seed:int, lam:float, seconds:float) -> dict:
    "The headline's two cells, whether it holds, the columns whose best row is their own pair, agreement with the paper."
    found = {k: v for k, v in heatmap_findings(totals, HEATMAP_PAIRS).items() if k != 'best_row'}
    return dict(seed=seed, lam_inv=lam, **found, diagonal=[totals[k][k] for k in range(len(totals))],
                **heatmap_agreement(totals, PAPER_HEATMAP), train_seconds=seconds)

def figure(summaries:list, preset:str):
    "Per λ, each seed's native shearX+canny head beside the transfer head from mini_image+edge_detect (the paper's pair)."
    import matplotlib; matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    lams = sorted({s['lam_inv'] for s in summaries}, reverse=True)
    i, j = HEATMAP_PAIRS.index('mini_edge'), HEATMAP_PAIRS.index('shear_canny')
    fig, axes = plt.subplots(1, len(lams), figsize=(4.5 * len(lams), 3.6), squeeze=False, sharey=True)
    for ax, lam in zip(axes[0], lams):
        ss = [s for s in summaries if s['lam_inv'] == lam]
        xs = range(len(ss))
        ax.bar([x - 0.2 for x in xs], [s['native_shear_canny'] for s in ss], 0.4, label='native shearX,canny (head 0)')
        ax.bar([x + 0.2 for x in xs], [s['transfer_mini_edge_to_shear_canny'] for s in ss], 0.4,
               label='transfer from mini_image,edge_detect')
        for v, c, what in ((PAPER_HEATMAP[j][j], 'C0', 'native'), (PAPER_HEATMAP[i][j], 'C1', 'transfer')):
            ax.axhline(v, ls='--', c=c, lw=1, label=f'paper {what} {v}')
        ax.set_xticks(list(xs), [f"seed {s['seed']}" for s in ss])
        ax.set_title(f'λ = {lam:g}' + (' (the code)' if lam == 1 else ''))
        ax.set_ylabel('shearX,canny Total test BCE')
    fig.legend(*axes[0][0].get_legend_handles_labels(), loc='lower center', ncol=2, fontsize=7)
    fig.suptitle(f'Fig. 7 headline over seeds, preset {preset!r} (REDUCED BUDGET, not the paper setting)', fontsize=9)
    fig.tight_layout(rect=(0, 0.13, 1, 1))
    return fig

def main(preset='cpu', seeds='0,1,2', lams='1,0', out_dir='runs/lavae_heatmap_seeds'):
    sw, rows, summaries = Stopwatch(), [], []
    labels = [','.join(check_pair(p)) for p in HEATMAP_PAIRS]
    seeds = [int(s) for s in seeds.split(',') if s.strip()]
    lams = [float(l) for l in lams.split(',') if l.strip()]
    if not seeds or not lams: raise SystemExit(f"give at least one seed and one λ, got seeds {seeds} and lams {lams}")
    for seed in seeds:
        for lam in lams:
            cfg, dev, out, ds, views, views_test = views_setup(preset, seed, out_dir, 'lavae_heatmap_seeds', HEATMAP_PAIRS,
                                                               lam_inv=lam)
            t = Stopwatch()
            totals, _, _ = transfer_matrix(views, views_test, cfg, dev, seed, verbose=False)
            s = summarise(totals, seed, lam, t.elapsed)
            summaries.append(s)
            rows += [dict(seed=seed, lam_inv=lam, trained=labels[r], evaluated=labels[c], total=totals[r][c],
                          paper_total=PAPER_HEATMAP[r][c]) for r in range(len(labels)) for c in range(len(labels))]
            print(f"seed {seed} λ={lam:g}: transfer {s['transfer_mini_edge_to_shear_canny']:.1f} vs native "
                  f"{s['native_shear_canny']:.1f} ({'holds' if s['headline_holds'] else 'does not hold'}); own pair best in "
                  f"{s['columns_best_own_pair']}/4 columns; median dist {s['median_rel_distance']:.0%}, rank "
                  f"{s['rank_correlation']:.2f} ({t.elapsed:.0f} s)", flush=True)
    out = Path(out)
    import pandas as pd
    with atomic_path(out/'lavae_heatmap_seeds.csv') as tmp: pd.DataFrame(rows).to_csv(tmp, index=False, float_format='%.2f')
    with atomic_path(out/'lavae_heatmap_seeds.png') as tmp: figure(summaries, preset).savefig(tmp, format='png', dpi=110)
    save_json(dict(what="Fig. 7 headline (mini_image,edge_detect -> shearX,canny against native shearX,canny) over seeds "
                        "and involution weights; the code's Xavier start of stage 2", labels=labels, summaries=summaries,
                   config={k: v for k, v in cfg.__dict__.items() if k != 'lam_inv'},
                   provenance=provenance(seeds[0], preset, dev, sw.elapsed, n_train=len(ds.pretrain), n_test=len(ds.test),
                                         seeds=seeds, lams=lams, note='diagnostic; reduced budget unless preset paper')),
              out/'lavae_heatmap_seeds.json')

if __name__ == '__main__': main(*sys.argv[1:])
