"""Import every exported module of aavae_nb with the packages the lent GPU box lacks made unimportable.

    PYTHONPATH=. python bench/check_imports.py      # prints one line per module; exit status 1 if any import fails

The GPU box has Python 3.12, torch, torchvision, numpy, matplotlib, pandas, tqdm, scikit-image, scikit-learn,
seaborn, but no fastcore / nbdev / papermill / execnb / IPython / adabelief_pytorch. A module that imports one of
those at top level cannot run there with plain `python -c`."""
import importlib, importlib.abc, pkgutil, sys
from pathlib import Path

MISSING = ('fastcore', 'nbdev', 'papermill', 'execnb', 'IPython', 'adabelief_pytorch')

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
    for m in sorted(i.name for i in pkgutil.iter_modules(aavae_nb.__path__)):
        try: importlib.import_module(f'aavae_nb.{m}'); print(f'ok      aavae_nb.{m}')
        except Exception as e: bad += 1; print(f'FAILED  aavae_nb.{m}: {type(e).__name__}: {e}')
    return 1 if bad else 0

if __name__ == '__main__': sys.exit(main())
