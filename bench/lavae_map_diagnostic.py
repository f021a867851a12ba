"""Where LAVAE's error on the augmented views of Table I comes from (a diagnostic, not a paper result).

    PYTHONPATH=. python bench/lavae_map_diagnostic.py [preset] [out_dir]     # default: cpu_full runs/lavae_map_diagnostic

Trains LAVAE on "Flips" exactly as `reproduce_lavae_table1` does (same preset, seed 0, same views), then reports
`latent_map_gap` for the learned maps (stage 2: sampled latents, involution penalty) and for `least_squares_maps`
(ordinary least squares on the noise-free means, no penalty), with each map's involution penalty. Writes
`lavae_map_diagnostic.json` (with provenance) to `out_dir`."""
import sys, json
from pathlib import Path
import torch
from aavae_nb.core import set_seed, save_json, provenance, Stopwatch
from aavae_nb.data import load_dataset
from aavae_nb.lavae_augment import cached_views, PAIRS
from aavae_nb.lavae_model import involution_penalty
from aavae_nb.lavae_train import resolve_run, fit_lavae, evaluate_views, latent_map_gap, least_squares_maps

def main(preset='cpu_full', out_dir='runs/lavae_map_diagnostic', seed=0):
    sw = Stopwatch()
    cfg, dev, out = resolve_run(preset, 'auto', seed, out_dir, 'lavae_map_diagnostic')
    set_seed(seed)
    ds = load_dataset('mnist', n_pretrain=cfg.n_train, n_test=cfg.n_test)
    pair = PAIRS['flips']
    views, views_test = cached_views(ds.pretrain.x, pair, seed), cached_views(ds.test.x, pair, seed + 1)
    model, hist = fit_lavae(views, cfg, pair, dev, seed)
    ls = least_squares_maps(model, views, cfg.eval_bs, dev)
    learned = [model.maps[i].detach() for i in range(2)]
    rec = dict(what="Table I 'Flips' LAVAE: BCE of each augmented view from its own latent (direct) vs from the "
                    "mapped original latent (mapped); learned maps vs least-squares maps on the means",
               table1=evaluate_views(model, views_test, 0, cfg.eval_bs, dev),
               learned_maps=latent_map_gap(model, views_test, 0, cfg.eval_bs, dev),
               least_squares_maps=latent_map_gap(model, views_test, 0, cfg.eval_bs, dev, maps=ls),
               involution_penalty=dict(learned=[float(involution_penalty(L)) for L in learned],
                                       least_squares=[float(involution_penalty(L.to(dev))) for L in ls]),
               histories=hist, config=cfg.__dict__,
               provenance=provenance(seed, preset, dev, sw.elapsed, n_train=len(ds.pretrain), n_test=len(ds.test),
                                     note='diagnostic; ' + ('paper setting' if preset == 'paper' else
                                                            'reduced-budget preset, not the paper setting')))
    save_json(rec, Path(out)/'lavae_map_diagnostic.json')
    print(json.dumps({k: rec[k] for k in ('table1', 'learned_maps', 'least_squares_maps', 'involution_penalty')}, indent=1))

if __name__ == '__main__': main(*sys.argv[1:])
