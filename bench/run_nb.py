"""Run a papermill notebook's code cells in plain Python, with parameters overridden: for machines without papermill.

    PYTHONPATH=. python bench/run_nb.py nbs/reproduce_table1.ipynb preset=subset models=aavae out_dir=runs/t1

Each `name=value` replaces that name in the cell tagged `parameters` (the value is read as a Python literal when it
parses as one, else kept as a string). Cells tagged or flagged to skip (`#| eval: false`, `#| hide` cells that only
call nbdev) are skipped, as are IPython magics and, on a machine without CUDA, cells flagged `#| gpu`. The cells share one namespace, as in a kernel; the last expression
of a cell is evaluated and, if not None, its repr is printed (shortened). Exit status 1 on the first failing cell."""
import ast, json, sys, time, traceback
from pathlib import Path

def _skip(src:str, flags:set=frozenset()) -> bool:
    "Whether a cell is not to run: `#| eval: false`, an nbdev export call, or one of `flags` (e.g. `#| gpu`) on its first lines."
    lines = [l.strip().replace(' ', '') for l in src.splitlines()]
    tagged = {l[2:] for l in lines[:3] if l.startswith('#|')}
    return any(l in ('#|eval:false', '#|eval:False') for l in lines) or 'nbdev_export()' in src or bool(tagged & set(flags))

def run(nb_path, **params) -> dict:
    "Execute the code cells of `nb_path` with `params` injected after the parameters cell; return the namespace."
    nb = json.loads(Path(nb_path).read_text())
    import matplotlib; matplotlib.use('Agg')
    import torch
    flags = set() if torch.cuda.is_available() else {'gpu'}
    ns = {'__name__': '__main__'}
    seen_params = False
    for i, c in enumerate(nb['cells']):
        if c['cell_type'] != 'code': continue
        src = ''.join(c['source'])
        if _skip(src, flags): continue
        src = '\n'.join(l for l in src.splitlines() if not l.lstrip().startswith(('%', '!')))
        t = time.perf_counter()
        tree = ast.parse(src)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, f'{nb_path}#cell{i}', 'exec'), ns)
        if 'parameters' in c.get('metadata', {}).get('tags', []):
            seen_params = True
            unknown = set(params) - set(ns)
            if unknown: raise SystemExit(f"unknown parameter(s) {sorted(unknown)} for {nb_path}")
            ns.update(params)
            print(f"[run_nb] parameters: {params}", flush=True)
        if last is not None:
            v = eval(compile(ast.Expression(last.value), f'{nb_path}#cell{i}', 'eval'), ns)
            if v is not None: print(repr(v)[:2000])
        print(f"[run_nb] cell {i} done in {time.perf_counter() - t:.1f} s", flush=True)
    if params and not seen_params: raise SystemExit(f"{nb_path} has no cell tagged 'parameters'")
    return ns

if __name__ == '__main__':
    if len(sys.argv) < 2: raise SystemExit(__doc__)
    from aavae_nb.core import name_values   # `name=value` read as `aavae_nb.sweep` and `aavae.train.main` read it
    try: run(sys.argv[1], **name_values(sys.argv[2:]))
    except SystemExit: raise
    except Exception: traceback.print_exc(); sys.exit(1)
