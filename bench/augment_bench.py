"""CPU throughput of the SimCLR augmentation: batched `BatchSimCLR` vs the per-sample torchvision reference.

Not a test: prints img/s for CIFAR-sized (32×32, s=0.5, no blur) and STL-sized (96×96, s=1, blur) batches of
SYNTHETIC uint8 images (uniform noise; augmentation cost does not depend on content). The reference is the
official-style per-sample path (`simclr_reference(..., backend='pil')`) and the same transforms on float
tensors (`backend='tensor'`), run one image at a time in this process (no DataLoader workers: a per-core
figure). Both are measured in the same run, so their ratio is what to read; absolute numbers depend on the
machine and its load.

    python bench/augment_bench.py [--threads N] [--batch 256] [--seconds 3] [--device cuda] [--compile]

`--device cuda` runs BatchSimCLR on the GPU (the per-sample references stay on the CPU, as in a DataLoader);
`--compile` adds a `torch.compile(fullgraph=True)` row.
"""
import argparse, time
import torch
from aavae_nb.augment import BatchSimCLR, simclr_reference
from aavae_nb.core import device_name, def_device

def _rate(fn, n_per_call, seconds, sync=lambda: None):
    fn(); fn(); sync()                              # warm-up (and compilation)
    t0, n = time.perf_counter(), 0
    while time.perf_counter() - t0 < seconds: fn(); n += n_per_call
    sync()
    return n / (time.perf_counter() - t0)

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--threads', type=int, default=1, help='torch CPU threads (default 1: a per-core figure, like one DataLoader worker; 0 = torch default)')
    ap.add_argument('--batch', type=int, default=256)
    ap.add_argument('--seconds', type=float, default=3.0, help='time per measurement')
    ap.add_argument('--device', default='cpu', help="device of BatchSimCLR: 'cpu' or 'cuda'")
    ap.add_argument('--compile', action='store_true', help='also time torch.compile(aug.apply, fullgraph=True)')
    a = ap.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    dev = def_device(a.device)
    sync = torch.cuda.synchronize if dev.type == 'cuda' else (lambda: None)
    print(f"references: {device_name('cpu')}; BatchSimCLR: {device_name(dev)}; batch {a.batch}; "
          "SYNTHETIC uint8 noise images")
    print(f"{'config':<46}{'img/s':>10}{'vs PIL':>9}")
    for ds, side in [('cifar10', 32), ('stl10', 96)]:
        g = torch.Generator().manual_seed(0)
        x = torch.randint(0, 256, (a.batch, 3, side, side), dtype=torch.uint8, generator=g)
        aug = BatchSimCLR(ds).to(dev)
        xd = x.to(dev)
        rates = {}
        for backend in ('pil', 'tensor'):
            tf = simclr_reference(ds, backend=backend)
            n = min(64, a.batch)
            rates[f'reference {backend} (per sample)'] = _rate(lambda: [tf(x[i]) for i in range(n)], n, a.seconds)
        with torch.inference_mode():
            rates['BatchSimCLR (batched)'] = _rate(lambda: aug(xd), a.batch, a.seconds, sync)
        if a.compile:
            f = torch.compile(aug.apply, fullgraph=True, dynamic=False)
            rates['BatchSimCLR compiled'] = _rate(
                lambda: f(xd, aug.sample_params(a.batch, side, side, device=dev)), a.batch, a.seconds, sync)
        for k, r in rates.items():
            print(f"{ds + ' ' + str(side) + 'px ' + k:<46}{r:>10.0f}{r / rates['reference pil (per sample)']:>8.1f}x")

if __name__ == '__main__': main()
