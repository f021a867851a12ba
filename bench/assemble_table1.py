"""Assemble Table 1 from per-model runs of nbs/reproduce_table1.ipynb (run in parallel, one model each).

    PYTHONPATH=. python bench/assemble_table1.py OUT_DIR RUN_DIR [RUN_DIR ...]

Each RUN_DIR is the `out_dir` of one run; its `runs/<model>/results.json` (written by `train.train_and_evaluate`)
is read. Writes OUT_DIR/table1.csv, table1.json (with provenance) and table1.png, as the notebook's last cells do."""
import json, sys
from pathlib import Path

def main(out, run_dirs):
    import matplotlib; matplotlib.use('Agg')
    from aavae_nb.core import atomic_path, save_json, provenance
    from aavae_nb.train import table1_frame, plot_table1
    results = {}
    for d in map(Path, run_dirs):
        for f in sorted(d.glob('runs/*/results.json')):
            r = json.loads(f.read_text()); results[r['variant']] = r
    if not results: raise SystemExit(f"no runs/*/results.json under {run_dirs}")
    out = Path(out); out.mkdir(parents=True, exist_ok=True)
    r0 = next(iter(results.values())); ds, cfg = r0['dataset'], r0['config']
    df = table1_frame(results, ds)
    with atomic_path(out/'table1.csv') as t: df.to_csv(t, index=False)
    fig = plot_table1(df, ds, title=f"AAVAE Table 1 ({ds}): paper vs ours, preset '{cfg['preset']}', {cfg['epochs']} epochs")
    with atomic_path(out/'table1.png') as t: fig.savefig(t, format='png', dpi=120)
    summary = {m: {k: r.get(k) for k in ('top1', 'top1_probe_val', 'knn_top1', 'kl_coeff', 'final_loss', 'pretrain_s')}
               for m, r in results.items()}
    save_json(dict(table=df.to_dict(orient='records'), results=summary, epochs=cfg['epochs'], preset=cfg['preset'],
                   note=('the four models were trained side by side on one GPU (their wall times are not solo timings); '
                         f"preset {cfg['preset']!r} with {cfg['epochs']} epochs"),
                   provenance=provenance(cfg['seed'], cfg['preset'], 'auto', None, models=list(results))),
              out/'table1.json')
    print(df[['method', 'paper', 'ours', 'knn', 'delta']].to_string())

if __name__ == '__main__':
    if len(sys.argv) < 3: raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2:])
