"""Pick the largest LAVAE Table I preset that fits the seconds left, from `concurrency_bench`'s measured step time.

    python bench/lavae_plan.py runs/gpu_check/lavae_concurrency.csv 480     # prints paper, subset or cpu_full
    python bench/lavae_plan.py runs/gpu_check/lavae_concurrency.csv 480 0   # the same for a run with self_head=False

The estimate counts every optimiser step of Table I at the preset (LAVAE stage 1, CVAE (i), and CVAE (ii) at twice
the cost of a stage-1 step, since it decodes four views per image) at the measured stage-1 time of one model,
CUDA-graphed if that capture worked, as if the three ran one after another: training them side by side can only
be faster. Stage 2 (16×16 maps) and the evaluation fit in the margin. Falls back to `cpu_full` (3 epochs) when the
benchmark is missing, and to `cpu` (4k images, 2 epochs) when nothing larger fits."""
import sys
from aavae_nb.levers import PAPER_STEPS

# LAVAE stage 1 and CVAE (i): 375,000 steps each; CVAE (ii) and the self head: 93,800 steps (938 per epoch) of 4 views
# each, counted twice
def steps_paper(self_head:bool=True) -> int:
    return 2 * PAPER_STEPS['stage1'] + 2 * (1 + self_head) * PAPER_STEPS['transfer']
SHARE = dict(paper=1.0, subset=20 / 100, cpu_full=3 / 100,     # stage-1 epochs of the preset / 100 ...
             cpu=2 / 100 * 4_000 / 60_000)                    # ... × the share of the training images
MARGIN_S = 45                                            # start-up, stage 2, evaluation, figures

def ms_per_model_step(csv:str) -> float:
    import pandas as pd
    d = pd.read_csv(csv)
    d = d[(d.stage == 'stage1') & d.ms_per_step_all_k.notna()]
    g = d[d['mode'] == 'one after another + CUDA graph']
    r = g if len(g) else d[d['mode'] == 'one after another']
    return float(r.ms_per_step_all_k.iloc[0] / r.k.iloc[0])

def plan(csv:str, seconds_left:float, self_head:bool=True) -> str:
    try: ms = ms_per_model_step(csv)
    except Exception as e:
        print(f"no usable benchmark ({type(e).__name__}: {e}); choosing cpu_full", file=sys.stderr); return 'cpu_full'
    for preset, share in SHARE.items():
        est = steps_paper(self_head) * share * ms / 1e3
        print(f"{preset}: ~{est:.0f} s of training at {ms:.3f} ms per step ({seconds_left - MARGIN_S:.0f} s available)",
              file=sys.stderr)
        if est < seconds_left - MARGIN_S: return preset
    return 'cpu'

if __name__ == '__main__': print(plan(sys.argv[1], float(sys.argv[2]), len(sys.argv) < 4 or sys.argv[3] not in ('0', 'False')))
