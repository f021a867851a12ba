"""Where LAVAE's error on the augmented views of Table I comes from (a diagnostic, not a paper result).

    PYTHONPATH=. python bench/lavae_map_diagnostic.py [preset] [out_dir]     # default: cpu_full runs/lavae_map_diagnostic

Trains LAVAE on "Flips" exactly as `reproduce_lavae_table1` does (same preset, seed 0, same views), then reports
`latent_map_gap` for the learned maps (stage 2 as the code: sampled latents, involution penalty λ = 1), for stage 2
refitted from the same stage-1 model with λ = 0 and with the means instead of samples, and for `least_squares_maps`
(ordinary least squares on the means, no penalty), with each map's involution penalty. Writes
`lavae_map_diagnostic.json` (with provenance) to `out_dir`."""
import sys, json, copy
from dataclasses import replace
from pathlib import Path
import torch
from lavae_common import flips_setup
from aavae_nb.core import save_json, provenance, Stopwatch
from aavae_nb.lavae.model import involution_penalty
from aavae_nb.lavae.train import (evaluate_views, latent_map_gap, least_squares_maps,
                                  train_stage1, train_stage2)
from aavae_nb.lavae.model import LAVAE

def main(preset='cpu_full', out_dir='runs/lavae_map_diagnostic', seed=0):
    sw = Stopwatch()
    cfg, dev, out, ds, pair, views, views_test = flips_setup(preset, seed, out_dir, 'lavae_map_diagnostic')
    # fit_lavae(views, cfg, pair, dev, seed) step by step (same generator, same global seed), keeping the stage-1 model
    g = torch.Generator().manual_seed(seed); torch.manual_seed(seed)
    model = LAVAE(pair)
    hist = dict(stage1=train_stage1(model, views, cfg, dev, g))
    base = copy.deepcopy(model)
    hist['stage2'] = train_stage2(model, views, cfg, dev, g)
    ls = least_squares_maps(model, views, cfg.eval_bs, dev)
    pen = lambda Ls: [float(involution_penalty(L.detach().to(dev))) for L in Ls]
    rec = dict(what="Table I 'Flips' LAVAE: BCE of each augmented view from its own latent (direct) vs from the "
                    "mapped original latent (mapped), for stage-2 variants and least-squares maps on the means",
               table1=evaluate_views(model, views_test, 0, cfg.eval_bs, dev),
               learned_maps=latent_map_gap(model, views_test, 0, cfg.eval_bs, dev),
               least_squares_maps=latent_map_gap(model, views_test, 0, cfg.eval_bs, dev, maps=ls),
               involution_penalty=dict(learned=pen(model.maps), least_squares=pen(ls)), stage2_variants={})
    for name, over in (('sampled, lam_inv=1 (the code, refit)', {}), ('sampled, lam_inv=0', dict(lam_inv=0.0)),
                       ('means, lam_inv=1', dict(stage2_sample=False)),
                       ('means, lam_inv=0', dict(stage2_sample=False, lam_inv=0.0))):
        m = copy.deepcopy(base); torch.manual_seed(seed + 1)
        h2 = train_stage2(m, views, replace(cfg, **over), dev, torch.Generator().manual_seed(seed + 1))
        gap = latent_map_gap(m, views_test, 0, cfg.eval_bs, dev)
        rec['stage2_variants'][name] = dict(table1=evaluate_views(m, views_test, 0, cfg.eval_bs, dev), latent_map_gap=gap,
                                            involution_penalty=pen(m.maps), final_stage2_loss=h2[-1])
        print(name, rec['stage2_variants'][name]['table1'], flush=True)
    rec.update(histories=hist, config=cfg.__dict__,
               provenance=provenance(seed, preset, dev, sw.elapsed, n_train=len(ds.pretrain), n_test=len(ds.test),
                                     note='diagnostic; ' + ('paper setting' if preset == 'paper' else
                                                            'reduced-budget preset, not the paper setting')))
    save_json(rec, Path(out)/'lavae_map_diagnostic.json')
    print(json.dumps({k: rec[k] for k in ('table1', 'learned_maps', 'least_squares_maps', 'involution_penalty', 'stage2_variants')}, indent=1))

if __name__ == '__main__': main(*sys.argv[1:])
