"""Import every exported module of aavae_nb, and the speed harness bench/speed.py, with the packages the lent GPU box
lacks made unimportable.

    PYTHONPATH=. python bench/check_imports.py      # prints one line per module; exit status 1 if any import fails

The GPU box has Python 3.12, torch, torchvision, numpy, matplotlib, pandas, tqdm, scikit-image, scikit-learn,
seaborn (and fastcore from the carried wheels), but no nbdev / papermill / execnb / IPython / adabelief_pytorch. A module that imports one of
those at top level cannot run there with plain `python -c`.

It then resolves every dotted `torch.*` / `nn.*` / `F.*` name their source uses on the installed torch, so an
API newer than the box's torch (2.11 there, 2.14 here) shows up before device time is spent (`bench/emulate_box.sh`
runs this under torch 2.11)."""
import ast, importlib, importlib.abc, pkgutil, sys
from pathlib import Path

MISSING = ('nbdev', 'papermill', 'execnb', 'IPython', 'adabelief_pytorch')

class _Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in MISSING: raise ModuleNotFoundError(f"{name} (blocked: not on the GPU box)")
        return None

def main() -> int:
    sys.meta_path.insert(0, _Block())
    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root))
    import aavae_nb
    bad = 0
    mods = sorted(i.name for i in pkgutil.walk_packages(aavae_nb.__path__, 'aavae_nb.'))   # aavae_nb.aavae.vae too
    for m in mods + ['bench.speed']:   # the speed harness the GPU check runs (repository tooling, outside the package)
        try: importlib.import_module(m); print(f'ok      {m}')
        except Exception as e: bad += 1; print(f'FAILED  {m}: {type(e).__name__}: {e}')
    missing = missing_torch_names(root/'aavae_nb', root/'bench'/'speed.py')
    every = 'every' if not missing else 'NOT every'
    print(f"torch {__import__('torch').__version__}: {every} torch name the package and bench/speed.py use resolves"
          + (f"; missing: {missing}" if missing else ''))
    return 1 if bad or missing else 0

def _dotted(node):
    "`torch.cuda.graphs` for the Attribute chain of that name, else None."
    parts = []
    while isinstance(node, ast.Attribute): parts.append(node.attr); node = node.value
    return '.'.join([node.id] + parts[::-1]) if isinstance(node, ast.Name) and node.id in ('torch', 'nn', 'F') else None

def missing_torch_names(*paths) -> list:
    "The dotted torch names used in the modules under `paths` (folders or files) that the installed torch lacks."
    import torch, torch.nn as nn, torch.nn.functional as F
    files = [f for p in map(Path, paths) for f in ([p] if p.is_file() else p.rglob('*.py'))]
    names = {d for f in files for n in ast.walk(ast.parse(f.read_text())) if (d := _dotted(n))}
    # a name that is a prefix of a longer one is checked by the longer one
    names = {n for n in names if not any(m.startswith(n + '.') for m in names)}
    roots, out = {'torch': torch, 'nn': nn, 'F': F}, []
    for name in sorted(names):
        head, *rest = name.split('.'); obj = roots[head]
        for a in rest:
            if not hasattr(obj, a):
                try: importlib.import_module(f'{obj.__name__}.{a}')
                except Exception: out.append(name); break
            obj = getattr(obj, a)
    return out

if __name__ == '__main__': sys.exit(main())
