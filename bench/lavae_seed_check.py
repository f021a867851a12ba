"""LAVAE Table I, another seed of the two closest rows: LAVAE (as the code and with `stage2_init='lstsq'`) and
CVAE (ii). A check of how much the order of those two moves with the seed (a diagnostic, not a paper result).

    PYTHONPATH=. python bench/lavae_seed_check.py [preset] [seed] [out_dir]   # default: cpu_long 1 runs/lavae_seed_check

Trains as `reproduce_lavae_table1` does (same preset, views and seeding; stage 2 refitted with seed + 1), without
CVAE (i), which is far behind at every budget. Writes `lavae_seed_check.json` to `out_dir`."""
import sys
from dataclasses import replace
from pathlib import Path
from lavae_common import flips_setup
from aavae_nb.core import save_json, provenance, Stopwatch
from aavae_nb.lavae.train import fit_lavae, evaluate_views, refit_stage2
from aavae_nb.lavae.cvae import fit_cvae, evaluate_cvae

def main(preset='cpu_long', seed=1, out_dir='runs/lavae_seed_check'):
    sw, seed = Stopwatch(), int(seed)
    cfg, dev, out, ds, pair, views, views_test = flips_setup(preset, seed, out_dir, 'lavae_seed_check')
    res, secs = {}, {}
    t = Stopwatch(); lavae, _ = fit_lavae(views, cfg, pair, dev, seed); secs['LAVAE'] = t.elapsed
    res['LAVAE'] = evaluate_views(lavae, views_test, 0, cfg.eval_bs, dev)
    t = Stopwatch(); m, _ = refit_stage2(lavae, views, replace(cfg, stage2_init='lstsq'), dev, seed + 1)
    secs['LAVAE (stage2_init=lstsq)'] = t.elapsed
    res['LAVAE (stage2_init=lstsq)'] = evaluate_views(m, views_test, 0, cfg.eval_bs, dev)
    t = Stopwatch(); cv, _ = fit_cvae(views, cfg, 'lavae', dev, seed); secs['CVAE (ii)'] = t.elapsed
    res['CVAE (ii)'] = evaluate_cvae(cv, views_test, cfg.eval_bs, dev)
    for k, r in res.items(): print(f"{k}: total {r['total']:.1f}", flush=True)
    save_json(dict(results=res, train_seconds=secs, config=cfg.__dict__, pair=pair,
                   provenance=provenance(seed, preset, dev, sw.elapsed, n_train=len(ds.pretrain), n_test=len(ds.test),
                                         note='diagnostic; reduced budget unless preset paper')),
              Path(out)/'lavae_seed_check.json')

if __name__ == '__main__': main(*sys.argv[1:])
