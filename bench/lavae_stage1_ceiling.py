"""How fast can LAVAE's stage 1 go in float32 on one CPU core? (issue 35, part 2: 1.5x the authors' code)

    PYTHONPATH=. python bench/lavae_stage1_ceiling.py                  # ~1 min; writes figures/findings/lavae_stage1_ceiling_cpu.*
    PYTHONPATH=. python bench/lavae_stage1_ceiling.py --out runs/x     # elsewhere

At one thread and batch 64 (the setting of `bench/official_lavae.py`): the FLOPs of one stage-1 step (forward and
backward of `lavae.train.stage1_loss`, counted by `torch.utils.flop_counter`), and the two layers that hold almost all
of them (the encoder's 64->128 convolution and the decoder's 128->64 transposed one, both 4x4 stride 2) timed forward
and backward through four implementations: oneDNN channels_last (what `LAVAE` uses), oneDNN NCHW, PyTorch's native
kernels (oneDNN off) and unfold + matmul. Against the measured step rates of `figures/findings/official_lavae_cpu.csv`
it gives the GFLOP/s each code reaches and what 1.5x the official's median would need: a step of `step_ms_for_1_5x`,
of which the two layers at their best kernels take `best_layers_ms`, while the rest of the step (everything but those
two layers: the step's time less theirs in the code's own layout) takes `rest_ms` in each code."""
import argparse, json, sys
from pathlib import Path
import torch, torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
OURS, NCHW = 'oneDNN channels_last (ours)', 'oneDNN NCHW'   # the two codes' kernels (ours, the authors')
sys.path.insert(0, str(ROOT))
from bench.speed import timed_steps

def timed(f, n:int=30, warmup:int=3) -> float:
    "Mean milliseconds of `f()` over `n` calls after `warmup` untimed ones (`bench.speed.timed_steps` on the CPU)."
    return timed_steps(f, n, warmup, 'cpu')['time_s'] / n * 1e3

def layer_rows(B:int=64) -> list:
    "The two big layers of a stage-1 step, forward + backward (input and weight gradients), four ways each."
    rows = []
    for layer, (cin, cout, side, transposed) in {'encoder conv 64->128': (64, 128, 14, False),
                                                 'decoder deconv 128->64': (128, 64, 7, True)}.items():
        x = torch.randn(B, cin, side, side)
        w = torch.randn(*((cin, cout) if transposed else (cout, cin)), 4, 4)
        op = F.conv_transpose2d if transposed else F.conv2d
        out_side = side * 2 if transposed else side // 2
        flop = 3 * 2 * B * cin * cout * 16 * (side * side if transposed else out_side * out_side)   # fwd + 2 bwd GEMMs
        def run(x, w, mkldnn=True):
            x, w = x.detach().requires_grad_(), w.detach().requires_grad_()
            with torch.backends.mkldnn.flags(enabled=mkldnn): op(x, w, None, 2, 1).sum().backward()
        def unfold_mm():   # the same layer as explicit im2col + GEMM (conv) or GEMM + col2im (transposed conv)
            xx, ww = x.detach().requires_grad_(), w.detach().requires_grad_()
            if transposed:
                cols = ww.view(cin, -1).t() @ xx.flatten(2)                                    # B, cout*16, side²
                F.fold(cols, (out_side, out_side), 4, padding=1, stride=2).sum().backward()
            else: (ww.view(cout, -1) @ F.unfold(xx, 4, padding=1, stride=2)).sum().backward()
        cl = lambda t: t.contiguous(memory_format=torch.channels_last)
        for kernel, f in {OURS: lambda: run(cl(x), cl(w)), NCHW: lambda: run(x, w),
                          'native (oneDNN off)': lambda: run(x, w, False), 'unfold + matmul': unfold_mm}.items():
            ms = timed(f)
            rows.append(dict(layer=layer, kernel=kernel, batch=B, ms=round(ms, 3), gflop=round(flop / 1e9, 4),
                             gflop_s=round(flop / ms / 1e6, 1)))
    return rows

def step_gflop(B:int=64) -> float:
    "GFLOP of one stage-1 step (forward + backward of `stage1_loss`) on a batch of `B` images."
    from torch.utils.flop_counter import FlopCounterMode
    from aavae_nb.lavae.model import LAVAE
    from aavae_nb.lavae.train import LAVAEConfig, stage1_loss
    model, x = LAVAE(), torch.rand(B, 1, 28, 28)
    with FlopCounterMode(display=False) as fc: stage1_loss(model, x, LAVAEConfig()).backward()
    return fc.get_total_flops() / 1e9

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--out', default=str(ROOT/'figures'/'findings'), help='folder for lavae_stage1_ceiling_cpu.{csv,json}')
    a = p.parse_args(argv)
    import pandas as pd
    from aavae_nb.core import provenance, save_json, atomic_path, Stopwatch
    torch.set_num_threads(1); torch.manual_seed(0)
    off_json = ROOT/'figures'/'findings'/'official_lavae_cpu.json'
    sw, B = Stopwatch(), json.loads(off_json.read_text())['provenance']['bs']   # the batch those step rates were measured at
    rows, gf = layer_rows(B), step_gflop(B)
    off = pd.read_csv(off_json.with_suffix('.csv')).set_index('stage').loc[1]
    best = {r['layer']: max(q['gflop_s'] for q in rows if q['layer'] == r['layer']) for r in rows}
    need, ms = 1.5 * off.official_median, lambda img_s: 1e3 * B / img_s       # ms of a batch-64 step
    layer_ms = lambda kernel: sum(q['ms'] for q in rows if q['kernel'] == kernel)   # the two big layers, one kernel
    best_ms = sum(min(q['ms'] for q in rows if q['layer'] == l) for l in best)
    summary = dict(step_gflop=round(gf, 4), mflop_per_image=round(gf / B * 1e3, 2),
                   official_img_s=off.official_median, ours_img_s=off.ours_median,
                   official_gflop_s=round(off.official_median / B * gf, 1), ours_gflop_s=round(off.ours_median / B * gf, 1),
                   img_s_for_1_5x=round(need, 1), gflop_s_for_1_5x=round(need / B * gf, 1),
                   best_layer_gflop_s=best,
                   # the time budget of a step at 1.5x, what the two big layers take of it at their best kernels, and
                   # what the rest of the step (everything but those layers) takes in each code: step minus its layers
                   step_ms_for_1_5x=round(ms(need), 1), best_layers_ms=round(best_ms, 1),
                   rest_ms=dict(official=round(ms(off.official_median) - layer_ms(NCHW), 1),
                                ours=round(ms(off.ours_median) - layer_ms(OURS), 1)))
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    with atomic_path(out/'lavae_stage1_ceiling_cpu.csv') as tmp: pd.DataFrame(rows).to_csv(tmp, index=False)
    save_json(dict(summary=summary, rows=rows, outputs=['lavae_stage1_ceiling_cpu.csv'],
                   note=f'1 torch thread, batch {B}, float32; step rates (img/s, medians) from official_lavae_cpu.csv',
                   provenance=provenance(0, None, 'cpu', sw.elapsed, threads=1, batch=B)), out/'lavae_stage1_ceiling_cpu.json')
    print(pd.DataFrame(rows).to_string(index=False)); print(json.dumps(summary, indent=1))

if __name__ == '__main__': sys.exit(main())
