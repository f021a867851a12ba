"""Throughput of the SimCLR augmentation: batched `BatchSimCLR` vs the per-sample PIL reference (official-style).

Not a test: prints img/s for CIFAR-sized (32×32, s=0.5, no blur) and STL-sized (96×96, s=1, blur) batches of
SYNTHETIC uint8 images (uniform noise; augmentation cost does not depend on content). The measurements are the
speed harness's (`bench/speed.py`: `augment_bench`, `reference_augment_rate`); this script only prints them side by side.
The reference runs one image at a time on one CPU thread (the rate of one DataLoader worker); read the ratio,
absolute numbers depend on the machine and its load.

    python bench/augment_bench.py [--threads N] [--batch 256] [--steps 20] [--device cuda] [--compile]
"""
import argparse
import torch
from speed import augment_bench, reference_augment_rate   # bench/speed.py: this script's folder is on sys.path
from aavae_nb.core import device_name, def_device

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--threads', type=int, default=1, help='torch CPU threads for BatchSimCLR on the CPU (0 = torch default)')
    ap.add_argument('--batch', type=int, default=256)
    ap.add_argument('--steps', type=int, default=20, help='timed batches per measurement')
    ap.add_argument('--device', default='cpu', help="device of BatchSimCLR: 'cpu' or 'cuda'")
    ap.add_argument('--compile', action='store_true', help='also time BatchSimCLR with its apply compiled')
    a = ap.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    dev = def_device(a.device)
    print(f"reference: {device_name('cpu')}, 1 thread; BatchSimCLR: {device_name(dev)}; batch {a.batch}; "
          "SYNTHETIC uint8 noise images")
    print(f"{'config':<40}{'img/s':>10}{'vs PIL':>9}")
    for ds, side in [('cifar10', 32), ('stl10', 96)]:
        x = torch.randint(0, 256, (a.batch, 3, side, side), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
        rates = {'PIL reference (per sample)': reference_augment_rate(ds, x, min(128, a.batch))}
        for compiled in ([False, True] if a.compile else [False]):
            r = augment_bench(ds, x, a.batch, a.steps, 2, dev, compiled=compiled)
            rates['BatchSimCLR' + (' compiled' if compiled else '')] = r['img_s']
        for k, r in rates.items():
            print(f"{ds} {side}px {k:<28}{r:>10.0f}{r / rates['PIL reference (per sample)']:>8.1f}x")

if __name__ == '__main__': main()
