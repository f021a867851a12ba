"""Pick the largest LAVAE Table I preset that fits the seconds left, from whole runs of the notebook on the GPU.

    python bench/lavae_plan.py 480      # prints the preset (paper, gpu, cpu_long, cpu_full or cpu) and the self head
    python bench/lavae_plan.py 480 0    # the same for a run with self_head=False
    bash bench/gpu_check.sh --parts lavae --budget 585 --lavae-preset paper   # on the box: `paper` fits only so (no self head)

Calibrated on `reproduce_lavae_table1` itself as `bench/gpu_check.py` runs it (CUDA graphs on, LAVAE and the two
CVAEs side by side on CUDA streams, the two stage-2 variants, the self head), not on a per-step benchmark: the first
check planned from one model's graphed step while the notebook then trained eagerly, and its `gpu` run timed out.
The committed runs (`CALIBRATION`, lent H200s) give the notebook's wall seconds at three stage-1 epoch counts on all
60,000 MNIST images: the slope is the steepest between neighbouring runs (seconds per stage-1 epoch: three models side
by side, then the self head's epoch), the line goes through the largest run, and its intercept is the rest (stage 2
three times, evaluation, figures). The steepest slope, not a fit, because the plan extrapolates up to 100 epochs. A preset's estimate is intercept +
slope × epochs1 × its share of the 60,000 images (the intercept is not scaled: an overestimate for `cpu`), times
`SAFETY`, plus `START_S` for the process start (imports, CUDA, data) that the notebook's clock does not see."""
import json, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CALIBRATION = [ROOT/'figures'/'gpu'/f'lavae_table1_cuda_{p}.json' for p in ('cpu_full', 'cpu_long', 'gpu')]
SELF_HEAD = 'LAVAE (stage-3 head on Flips)'
MNIST_TRAIN, SAFETY, START_S = 60_000, 1.25, 20

def calibration(files=CALIBRATION) -> dict:
    "Seconds per stage-1 epoch on 60k images (and of the self head's alone) and the rest, fitted to committed runs."
    runs = [json.loads(Path(f).read_text()) for f in files]
    pts = sorted((r['config']['epochs1'] * r['provenance']['n_train'] / MNIST_TRAIN, r['provenance']['wall_time_s']) for r in runs)
    if len({e for e, _ in pts}) < len(pts) or len(pts) < 2:
        raise ValueError(f"the calibration runs need different stage-1 budgets, two at least, got {pts}")
    slope = max((t1 - t0) / (e1 - e0) for (e0, t0), (e1, t1) in zip(pts, pts[1:]))
    e1, t1 = pts[-1]
    head = [r['train_seconds'][SELF_HEAD] / r['config']['epochs3'] for r in runs if SELF_HEAD in r.get('train_seconds', {})]
    return dict(s_per_epoch=slope, fixed_s=t1 - slope * e1, self_head_s_per_epoch=max(head) if head else 0.0,
                device=runs[0]['provenance']['device'], files=[Path(f).name for f in files])

def estimate(preset:str, cal:dict, self_head:bool=True) -> float:
    "Wall seconds of `reproduce_lavae_table1` at `preset` on the calibration's GPU (CUDA graphs on, start-up included)."
    from aavae_nb.presets import preset as lookup
    p = lookup(preset, 'lavae')
    epochs = p['epochs1'] * (p['n_train'] or MNIST_TRAIN) / MNIST_TRAIN
    per_epoch = cal['s_per_epoch'] - (0 if self_head else cal['self_head_s_per_epoch'])
    return START_S + SAFETY * (cal['fixed_s'] + per_epoch * epochs)

def plan(seconds_left:float, heads=(True, False), files=CALIBRATION) -> tuple:
    """(preset, self_head): the largest preset (most stage-1 work) whose estimate fits `seconds_left`, trying the
    self head in the order of `heads` (default: with it if it fits so, else without); `cpu` if none fits."""
    from aavae_nb.presets import BUDGETS, preset as lookup
    try: cal = calibration(files)
    except Exception as e:
        print(f"no usable calibration ({type(e).__name__}: {e}); choosing cpu", file=sys.stderr); return 'cpu', heads[0]
    print(f"calibration ({', '.join(cal['files'])}, {cal['device']}): {cal['s_per_epoch']:.2f} s per stage-1 epoch "
          f"of 60k images ({cal['self_head_s_per_epoch']:.2f} s of it the self head), {cal['fixed_s']:.1f} s besides",
          file=sys.stderr)
    work = lambda b: (lambda p: p['epochs1'] * (p['n_train'] or MNIST_TRAIN))(lookup(b, 'lavae'))
    for b in sorted((b for b in BUDGETS if b not in ('smoke', 'cpu')), key=work, reverse=True):
        for head in heads:
            est = estimate(b, cal, head)
            print(f"{b}{'' if head else ' without the self head'}: ~{est:.0f} s ({seconds_left:.0f} s left)", file=sys.stderr)
            if est < seconds_left: return b, head
    return 'cpu', heads[0]

if __name__ == '__main__': print(*plan(float(sys.argv[1]), (len(sys.argv) < 3 or sys.argv[2] not in ('0', 'False'),)))
