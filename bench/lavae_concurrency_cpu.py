"""LAVAE: k small models one after another vs stacked (`04_levers`), timed on the CPU with 2 and 1 torch threads.

    PYTHONPATH=. python bench/lavae_concurrency_cpu.py [steps] [out_dir]     # default: 30 runs/lavae_concurrency_cpu (the committed figure)

`lavae_concurrent.concurrency_bench` (batch 64, synthetic data, AdaBelief) for stage 1 (4 models) and the transfer
stage (12 heads), `steps` timed steps after 2 of warm-up, once per thread count, on an otherwise idle machine.
Writes `lavae_concurrency_cpu.csv` and `.json` (with provenance) to `out_dir`; `figures/lavae_concurrency_cpu.*`
come from it. (On a GPU, `bench/gpu_check.sh` times the same function with CUDA graphs.)"""
import sys
from pathlib import Path
import pandas as pd, torch
from aavae_nb.core import save_json, atomic_path, provenance, Stopwatch
from aavae_nb.levers import concurrency_bench

def main(steps='30', out_dir='runs/lavae_concurrency_cpu'):
    steps = int(steps)
    sw, out, n0, tabs = Stopwatch(), Path(out_dir), torch.get_num_threads(), []
    out.mkdir(parents=True, exist_ok=True)
    try:
        for nt in (2, 1):
            torch.set_num_threads(nt)
            tabs.append(concurrency_bench('cpu', steps=steps, warmup=2).assign(torch_threads=nt))
            print(tabs[-1].round(3).to_string(), flush=True)
    finally: torch.set_num_threads(n0)
    df = pd.concat(tabs, ignore_index=True)
    with atomic_path(out/'lavae_concurrency_cpu.csv') as tmp: df.to_csv(tmp, index=False, float_format='%.4g')
    save_json(dict(what=f'lavae_concurrent.concurrency_bench on the CPU (batch 64, {steps} timed steps after 2), 2 and 1 '
                        'torch threads; synthetic data', table=df.to_dict(orient='records'),
                   provenance=provenance(None, None, 'cpu', sw.elapsed, steps=steps, threads=[2, 1])),
              out/'lavae_concurrency_cpu.json')
    print(f'wrote {out} in {sw.elapsed:.0f} s')

if __name__ == '__main__': main(*sys.argv[1:])
