"""Why the involution penalty costs accuracy: the signature of the maps it converges to (a diagnostic, not a paper result).

    PYTHONPATH=. python bench/lavae_involution_init.py [checkpoint] [preset] [out_dir]
    # default: runs/t1_cpu_full/checkpoints/lavae.pt cpu_full figures
    # (the checkpoint of `papermill nbs/reproduce_lavae_table1.ipynb ... -p preset cpu_full -p out_dir runs/t1_cpu_full`)

An exact involution (L² = I) has eigenvalues ±1 only; the number of −1 eigenvalues (its signature) cannot change
without leaving the set of involutions, i.e. without paying the penalty λ‖I − L²‖²_F. Stage 2 as in the code starts
from Xavier-uniform maps; with λ = 1 against a mean squared error the penalty pulls each map into a nearby
involution within the first steps, and its signature is set by the random start. This takes a trained LAVAE
(`reproduce_lavae_table1`'s checkpoint, views rebuilt with the same preset and seed, which the checkpoint must record) and refits only stage 2:
λ = 1 from four Xavier starts, λ = 1 and λ = 0 from the least-squares maps on the means (`stage2_init='lstsq'`),
and reports, per fit, Table I's LAVAE row, the involution penalties and the number of eigenvalues with negative
real part of each map (and of the least-squares maps). Writes `lavae_involution_init.json` and `.csv` to `out_dir`."""
import sys
from dataclasses import replace
from pathlib import Path
import torch
from lavae_common import flips_setup
from aavae_nb.core import save_json, provenance, Stopwatch, atomic_path
from aavae_nb.engine import load_checkpoint_file
from aavae_nb.lavae.model import load_lavae, involution_penalty
from aavae_nb.lavae.train import evaluate_views, least_squares_maps, refit_stage2, get_config

def signature(L:torch.Tensor) -> dict:
    "Eigenvalues of a 16×16 map: how many have negative real part, and the range of their moduli."
    ev = torch.linalg.eigvals(L.detach().double().cpu())
    return dict(n_negative=int((ev.real < 0).sum()), min_abs=float(ev.abs().min()), max_abs=float(ev.abs().max()))

STAGE1_KEYS = ('n_train', 'epochs1', 'bs', 'lr', 'kl_weight', 'recon_weight')   # what the stage-1 model depends on

def checked_model(ckpt, preset, seed):
    "The LAVAE of `ckpt` (on the CPU), refused unless it records the preset, seed and stage-1 settings the views are rebuilt with."
    cfg = get_config(preset)
    hint = f"run `papermill nbs/reproduce_lavae_table1.ipynb runs/t1.ipynb -p preset {preset} -p out_dir runs/t1_{preset}"
    hint += f" -p seed {seed}` first" if seed else "` first"
    try: meta = load_checkpoint_file(ckpt); model = load_lavae(meta)   # the file read once
    except Exception as e:                                    # missing, corrupt or not a LAVAE checkpoint
        raise SystemExit(f"cannot load the LAVAE checkpoint {ckpt!r} ({type(e).__name__}: {str(e)[:200]}): {hint}")
    saved = dict(preset=meta.get('preset'), seed=meta.get('seed'), **{k: meta.get('config', {}).get(k) for k in STAGE1_KEYS})
    want = dict(preset=preset, seed=int(seed), **{k: getattr(cfg, k) for k in STAGE1_KEYS})
    if 'config' not in meta or saved != want:
        diff = {k: (saved[k], want[k]) for k in want if saved[k] != want[k]} if 'config' in meta else 'no settings recorded'
        raise SystemExit(f"{ckpt} was not trained with preset {preset!r}, seed {seed} and that preset's stage-1 settings "
                         f"({diff}; checkpoint vs here): the rebuilt views would not be its training views; {hint}")
    return model

def main(ckpt='runs/t1_cpu_full/checkpoints/lavae.pt', preset='cpu_full', out_dir='figures', seed=0):
    sw, seed = Stopwatch(), int(seed)
    model = checked_model(ckpt, preset, seed)                                  # before any data is loaded
    cfg, dev, out, ds, pair, views, views_test = flips_setup(preset, seed, out_dir, 'lavae_involution_init')
    model = model.to(dev)
    ls = least_squares_maps(model, views, cfg.eval_bs, dev)
    fits = [(f'lam_inv=1, xavier start (seed {s})', dict(), s) for s in (1, 2, 3, 4)]
    fits += [('lam_inv=1, least-squares start', dict(stage2_init='lstsq'), 1),
             ('lam_inv=0, least-squares start', dict(stage2_init='lstsq', lam_inv=0.0), 1)]
    rec = dict(what="LAVAE 'Flips': stage 2 refitted from one stage-1 model; signature = eigenvalues with negative real part",
               checkpoint=str(ckpt), least_squares_maps=dict(signature=[signature(L) for L in ls],
                                                             involution_penalty=[float(involution_penalty(L)) for L in ls]),
               checkpoint_maps=dict(table1=evaluate_views(model, views_test, 0, cfg.eval_bs, dev),
                                    signature=[signature(L) for L in model.maps]), fits={})
    rows = []
    for name, over, s in fits:
        m, h = refit_stage2(model, views, replace(cfg, **over), dev, seed=s)
        r = dict(table1=evaluate_views(m, views_test, 0, cfg.eval_bs, dev), signature=[signature(L) for L in m.maps],
                 involution_penalty=[float(involution_penalty(L.detach())) for L in m.maps], final_stage2_loss=h[-1])
        rec['fits'][name] = r
        rows.append(dict(fit=name, **{k: r['table1'][k] for k in r['table1']},
                         neg_eig_flip_lr=r['signature'][0]['n_negative'], neg_eig_flip_ud=r['signature'][1]['n_negative'],
                         penalty_flip_lr=r['involution_penalty'][0], penalty_flip_ud=r['involution_penalty'][1]))
        print(name, round(r['table1']['total'], 1), [x['n_negative'] for x in r['signature']], flush=True)
    rec.update(config=cfg.__dict__, provenance=provenance(seed, preset, dev, sw.elapsed, n_train=len(ds.pretrain),
                                                         n_test=len(ds.test), note='diagnostic; reduced-budget, not the paper setting'))
    save_json(rec, Path(out)/'lavae_involution_init.json')
    import pandas as pd
    with atomic_path(Path(out)/'lavae_involution_init.csv') as tmp: pd.DataFrame(rows).to_csv(tmp, index=False, float_format='%.3f')
    print('least squares:', rec['least_squares_maps'])

if __name__ == '__main__': main(*sys.argv[1:])
