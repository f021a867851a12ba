"""What the LAVAE diagnostic scripts of bench/ share: the settings and the views of Table I ("Flips") or of a heat-map pair."""
from aavae_nb.core import set_seed
from aavae_nb.lavae.augment import PAIRS
from aavae_nb.lavae.train import mnist_views, resolve_run

def views_setup(preset:str, seed:int, out_dir, name:str, pairs:list, **overrides) -> tuple:
    """As the LAVAE reproduce notebooks prepare a run: (config, device, output folder, dataset, training views, test
    views) for `pairs` at `preset` with `overrides`, seeded `seed`; the views are dicts keyed as `mnist_views` keys them."""
    cfg, dev, out = resolve_run(preset, 'auto', seed, out_dir, name, **overrides)
    set_seed(seed)
    return (cfg, dev, out, *mnist_views(cfg, pairs, seed))

def pair_setup(preset:str, seed:int, out_dir, name:str, key:str='flips', **overrides) -> tuple:
    """As `reproduce_lavae_table1` (Flips) and each heat-map row prepare a run: (config, device, output folder, dataset,
    pair, training views, test views) for the pair `key` of `PAIRS` at `preset` with `overrides`, seeded `seed`."""
    if key not in PAIRS: raise SystemExit(f"Unknown pair {key!r}: valid pairs are {', '.join(PAIRS)}.")
    pair = PAIRS[key]
    cfg, dev, out, ds, views, views_test = views_setup(preset, seed, out_dir, name, [pair], **overrides)
    return cfg, dev, out, ds, pair, views[pair], views_test[pair]

def flips_setup(preset:str, seed:int, out_dir, name:str, **overrides) -> tuple:
    "`pair_setup` for Table I's \"Flips\" pair."
    return pair_setup(preset, seed, out_dir, name, 'flips', **overrides)
