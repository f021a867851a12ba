"""Assemble Table 1 from per-model runs of nbs/reproduce_table1.ipynb (e.g. run in parallel, one model each).

    PYTHONPATH=. python bench/assemble_table1.py OUT_DIR "NOTE" RUN_DIR [RUN_DIR ...]

Each RUN_DIR is the `out_dir` of one run; its `runs/<model>/results.json` (written by `train.train_and_evaluate`,
with the run's config and provenance) is read. Writes OUT_DIR/table1.csv, .json and .png with `train.save_table1`,
as the notebook's last cell does; the JSON's wall time is the sum of the models' pretraining times, and NOTE says
how they were run (e.g. side by side on one GPU, so their wall times are not solo timings)."""
import json, sys
from pathlib import Path

def main(out, note, run_dirs):
    import matplotlib; matplotlib.use('Agg')
    from aavae_nb.aavae.train import save_table1
    results = {}
    for d in map(Path, run_dirs):
        for f in sorted(d.glob('runs/*/results.json')):
            r = json.loads(f.read_text()); results[r['variant']] = r
    if not results: raise SystemExit(f"no runs/*/results.json under {run_dirs}")
    out = Path(out); out.mkdir(parents=True, exist_ok=True)
    r0 = next(iter(results.values()))
    dev = 'cpu' if r0['provenance']['device'].startswith('cpu') else 'cuda'   # each model's exact device is in `runs`
    o = save_table1(results, out, r0['config']['seed'], dev,
                    sum(r.get('pretrain_s') or 0 for r in results.values()), note=note,
                    runs={m: r['provenance'] for m, r in results.items()})
    print(o['df'][['method', 'paper', 'ours', 'knn', 'delta']].to_string())

if __name__ == '__main__':
    if len(sys.argv) < 4: raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
