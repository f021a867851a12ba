"""Does the involution penalty hurt the heat-map pairs whose augmentations are not involutions? (a diagnostic, not a
paper result)

    PYTHONPATH=. python bench/lavae_pair_lambda.py [preset] [pairs] [out_dir]
    # default: cpu_full rot_flip,shear_canny runs/lavae_pair_lambda

Stage 2's penalty λ‖I − L²‖²_F (paper eq. 6) asks each latent map to be an involution. A flip is one (twice is the
identity). rotate_cw is not: twice is a half-turn, so at best L⁴ = I. Neither is shearX (twice is a double shear),
nor canny, edge_detect or mini_image (they cannot be undone). In the Fig. 7 heat-map at `cpu_full` the diagonal cells
of rotate_cw+flip_lr and shearX+canny are the ones far above the paper's.

For each pair this trains stages 1-2 as a heat-map row does: same preset, seed and views, stage 2 as the code
(Xavier start, λ = 1). It then refits stage 2 three ways with seed + 1: least-squares start with λ = 1, with λ = 0,
and Xavier start with λ = 0. For every fit it reports head 0's per-view test BCE, ‖I − L²‖²_F and ‖I − L⁴‖²_F of
each map. It reports the same two distances for the least-squares maps on the means, which have no penalty.
Writes `lavae_pair_lambda.json` and `.csv` to `out_dir`."""
import sys
from dataclasses import replace
from pathlib import Path
import torch
from lavae_common import pair_setup
from aavae_nb.core import save_json, provenance, Stopwatch, atomic_path
from aavae_nb.lavae.model import involution_penalty
from aavae_nb.lavae.train import fit_lavae, evaluate_views, least_squares_maps, refit_stage2

FITS = (('lam_inv=1, least-squares start', dict(stage2_init='lstsq')),
        ('lam_inv=0, least-squares start', dict(stage2_init='lstsq', lam_inv=0.0)),
        ('lam_inv=0, xavier start', dict(lam_inv=0.0)))

def distances(L:torch.Tensor) -> dict:
    "How far a map is from an involution (‖I − L²‖²_F) and from an order-4 map such as a quarter turn (‖I − L⁴‖²_F)."
    L = L.detach().double().cpu()
    return dict(inv2=float(involution_penalty(L)), inv4=float(involution_penalty(L @ L)))

def main(preset='cpu_full', pairs='rot_flip,shear_canny', out_dir='runs/lavae_pair_lambda', seed=0):
    sw, seed, rows = Stopwatch(), int(seed), []
    rec = dict(what='LAVAE heat-map pairs: head 0 per-view test BCE after stage 2 with and without the involution '
                    'penalty, from one stage-1 model per pair', pairs={})
    for key in [k.strip() for k in pairs.split(',') if k.strip()]:
        cfg, dev, out, ds, pair, views, views_test = pair_setup(preset, seed, out_dir, 'lavae_pair_lambda', key)
        t = Stopwatch(); model, _ = fit_lavae(views, cfg, pair, dev, seed)
        r = rec['pairs'][key] = dict(augmentations=list(pair), stage1_2_seconds=t.elapsed,
                                     least_squares_maps=[distances(L) for L in least_squares_maps(model, views, cfg.eval_bs, dev)],
                                     fits={})
        for name, m in [('lam_inv=1, xavier start (the code)', model)] + [
                (n, refit_stage2(model, views, replace(cfg, **over), dev, seed + 1)[0]) for n, over in FITS]:
            res = dict(table=evaluate_views(m, views_test, 0, cfg.eval_bs, dev), maps=[distances(L) for L in m.maps])
            r['fits'][name] = res
            rows.append(dict(pair=','.join(pair), fit=name, **res['table'],
                             **{f'{k}_{a}': d[k] for a, d in zip(('a1', 'a2'), res['maps']) for k in ('inv2', 'inv4')}))
            print(key, name, {k: round(v, 1) for k, v in res['table'].items()}, flush=True)
    rec.update(config=cfg.__dict__, provenance=provenance(seed, preset, dev, sw.elapsed, n_train=len(ds.pretrain),
                                                         n_test=len(ds.test), note='diagnostic; reduced budget unless preset paper'))
    save_json(rec, Path(out)/'lavae_pair_lambda.json')
    import pandas as pd
    with atomic_path(Path(out)/'lavae_pair_lambda.csv') as tmp: pd.DataFrame(rows).to_csv(tmp, index=False, float_format='%.3f')

if __name__ == '__main__': main(*sys.argv[1:])
