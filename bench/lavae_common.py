"""What the LAVAE diagnostic scripts of bench/ share: the settings and the "Flips" views of Table I."""
from aavae_nb.core import set_seed
from aavae_nb.lavae_augment import PAIRS
from aavae_nb.lavae_train import mnist_views, resolve_run

def flips_setup(preset:str, seed:int, out_dir, name:str, **overrides) -> tuple:
    """As `reproduce_lavae_table1` prepares a run: (config, device, output folder, dataset, pair, training views,
    test views) for the "Flips" pair at `preset` with `overrides`, seeded `seed`."""
    cfg, dev, out = resolve_run(preset, 'auto', seed, out_dir, name, **overrides)
    set_seed(seed)
    pair = PAIRS['flips']
    ds, views, views_test = mnist_views(cfg, [pair], seed)
    return cfg, dev, out, ds, pair, views[pair], views_test[pair]
