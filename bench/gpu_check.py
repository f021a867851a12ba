"""The one prepared GPU check of aavae-nb: one device call of at most nine minutes on one GPU.

    run(command="bash bench/gpu_check.sh", carry=[".whl"], timeout_s=600)    # on the lent box (the wrapper installs .whl/)
    PYTHONPATH=. python bench/gpu_check.py --dry-run                          # here, on the CPU: tiny sizes, same plumbing
    bash bench/gpu_check.sh --budget 200 --parts t1,lavae                     # a shorter rerun of some parts

The parts run one after another, in order of information per minute, each in its own process (its own process
group) with a timeout derived from the time left under one global deadline: a part that overruns is killed and the
next one still runs; every part writes its files as it goes, and the packing at the end always runs.

Time plan on the GPU (--budget 540 s; the device tool's 600 s limit leaves 60 s for start-up and the transfer):

| part  | what                                                                            | planned s | timeout s             |
|-------|---------------------------------------------------------------------------------|-----------|-----------------------|
| env   | torch, CUDA, cuDNN, GPU, driver, nproc; every aavae_nb module imported with the |        15 | 30                    |
|       | box's missing packages blocked (bench/check_imports.py)                         |           |                       |
| gen   | CUDA-generator capture under two threads: default generator vs one              |        15 | 25                    |
|       | torch.Generator('cuda') each, captures serialised vs concurrent (4 processes)   |           |                       |
| mem   | ResNet-50 AAVAE peak memory of the fast step (bf16, channels_last, fused Adam;  |        40 | 60                    |
|       | eager: 4 cold compiles do not fit) at CIFAR bs 256, STL-10 96² bs 512, CIFAR bs |           |                       |
|       | 1024, STL-10 bs 256 (1 warm-up + 2 measured steps each)                         |           |                       |
| r18   | the ResNet-18 benchmark row (bench/speed.py's run_benchmark, preset gpu):       |       120 | 150                   |
|       | fp32 eager, official-style, fast (compiled); TORCH_LOGS=perf_hints,recompiles   |           |                       |
| t1    | AAVAE Table 1 at `gpu`, AAVAE and AE side by side, epochs planned from r18   |      ~200 | the rest less LAVAE's |
| lavae | LAVAE Table I: bench/lavae_plan.py picks the largest preset that fits (from     |      ~130 | the rest              |
|       | committed graphed runs), reproduce_lavae_table1 at it, cuda_graphs=True         |           |                       |
| pack  | at most 8 files into $OUT                                                       |        10 |                       |
|       | total                                                                           |       540 |                       |

A fixed part's timeout is min(its cap, time left - the minimum of the parts after it); LAVAE's share is 40% of what
is left after r18 (60..150 s) and Table 1 gets the rest; LAVAE then gets whatever Table 1 left. `--budget` scales all
of it. --dry-run: the same parts, processes and files on the CPU with tiny sizes (smoke presets, a width-8
ResNet-18, the tiny model, 1-3 steps; default budget 150 s; a minute or two on 2 cores). Comes back in $OUT:
gpu_check.json (every part's status, timings and results, provenance), gpu_check.log, gen_probe.csv, memory_r50.csv,
benchmark_r18.csv, table1.csv, lavae_table1.csv and gpu_check.tar.gz (the parts' JSONs with provenance, logs,
figures; no checkpoints)."""
import argparse, contextlib, gc, io, json, math, os, shutil, signal, subprocess, sys, tarfile, time, traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GPU_BUDGET, DRY_BUDGET, PACK_S = 540, 150, 10
# name: (planned s, timeout cap s or None for the elastic parts, minimum s), at the GPU budget / at the dry-run budget
PLAN = {'env': (15, 30, 10), 'gen': (15, 25, 10), 'mem': (40, 60, 20), 'r18': (120, 150, 60), 't1': (200, None, 90),
        'lavae': (130, None, 60)}
DRY_PLAN = {'env': (8, 30, 5), 'gen': (1, 10, 1), 'mem': (8, 30, 5), 'r18': (8, 30, 5), 't1': (20, None, 15),
            'lavae': (12, None, 10)}
LAVAE_SHARE = (0.4, 60, 150)   # of the time left after r18: fraction, minimum, maximum seconds (scaled by --budget)
OUT_FILES = {'gen': 'gen_probe.csv', 'mem': 'memory_r50.csv', 'r18': 'benchmark_r18.csv', 't1': 'table1.csv',
             'lavae': 'lavae_table1.csv'}
R18_VARIANTS = ('fp32_eager', 'official', 'fast')   # cheapest first: a killed compile still leaves two rows
MEM_CASES = (('cifar10', 256), ('stl10', 512), ('cifar10', 1024), ('stl10', 256))   # the papers' two settings first
SAFE_EPOCHS = 10               # Table 1 epochs when no ResNet-18 speed was measured (never the preset's 300)

# ---------------------------------------------------------------------------------------------- planning (pure)
def part_timeouts(left:float, names:list, plan:dict, scale:float=1.0) -> dict:
    "Timeout of each fixed part in `names` if it started now with `left` seconds: min(cap, left - minimum of the later parts)."
    out = {}
    for i, n in enumerate(names):
        cap = plan[n][1]
        if cap is None: continue
        reserve = sum(plan[m][2] for m in names[i + 1:]) * scale + PACK_S * scale
        out[n] = max(0.0, min(cap * scale, left - reserve))
    return out

def lavae_share(left:float, scale:float=1.0) -> float:
    "Seconds kept for LAVAE out of `left` (after r18): 40% of it, within 60..150 s at the GPU budget."
    f, lo, hi = LAVAE_SHARE
    return min(hi * scale, max(lo * scale, f * left))

def _num(v):
    try: v = float(v)
    except (TypeError, ValueError): return None
    return v if math.isfinite(v) and v > 0 else None

def plan_table1(seconds:float,          # wall seconds Table 1 may take, start to table
                fast_img_s=None,        # solo img/s of the fast (compiled) ResNet-18 step, None if not measured
                fp32_img_s=None,        # solo img/s of the fp32 eager step (the probe's precision), None if not measured
                compile_s=None,         # seconds to the first fast step (the benchmark's warm-up_s), None if unknown
                runs:int=2,             # models trained side by side
                images:int=9000,        # pretraining images per epoch (`gpu`: the shipped 9,000)
                probe_images:int=9000,  # linear-probe training images
                probe_epochs:int=90,    # linear-probe epochs
                max_epochs:int=300,     # the preset's epochs: never more
                safe_epochs:int=SAFE_EPOCHS, # when nothing was measured: never the preset's epochs
               ) -> dict:
    """Epochs of `runs` Table 1 models trained side by side that fit in `seconds`, from the measured solo speed. The
    runs are assumed to share the GPU with no gain (each at half the solo img/s, times 0.8 for monitors, checkpoints
    and metric reads), so any overlap is slack. Without the fast step (a failed or killed compile) the runs go eager
    (`compile=False`) at the fp32 eager speed, a lower bound of bf16 eager; without any speed, `safe_epochs`, eager."""
    fast, fp32 = _num(fast_img_s), _num(fp32_img_s)
    if fast is None and fp32 is None:
        return dict(epochs=min(safe_epochs, max_epochs), compile=False, img_s=None, expected_s=None, seconds=seconds,
                    basis=f'no ResNet-18 speed measured: a small safe number ({safe_epochs}, eager), not the preset\'s {max_epochs}')
    compile = fast is not None
    img_s = fast if compile else fp32
    eval_img_s = 3 * (fp32 or img_s / 2)            # probe: forward only, fp32 (a training step costs ~5x the FLOPs)
    fixed = (20 + ((_num(compile_s) or 90) * 1.3 if compile else 0)   # start-up + data; compile (AE's is cold)
             + runs * probe_epochs * probe_images / eval_img_s + 15)  # both probes on one GPU; kNN/density monitors
    share = 0.8 * img_s / runs                      # img/s of each run
    epochs = int(max(0.0, seconds - fixed - 15) * share / images)
    epochs = max(1, min(max_epochs, epochs))
    return dict(epochs=epochs, compile=compile, img_s=img_s, fixed_s=round(fixed, 1),
                expected_s=round(fixed + epochs * images / share, 1), seconds=round(seconds, 1),
                basis=f"{'fast' if compile else 'fp32 eager (fast step missing: compile off)'} ResNet-18 step at "
                      f"{img_s:.0f} img/s solo, {runs} runs side by side at {share:.0f} img/s each")

def r18_speeds(csv) -> dict:
    "The fast and fp32 eager img/s and the fast warm-up seconds of the ResNet-18 (or, dry, tiny) row of `benchmark.csv`."
    try:
        import pandas as pd
        d = pd.read_csv(csv)
        d = d[d['error'].fillna('').astype(str) == '']
        get = lambda v, k: _num(d[d.variant == v][k].iloc[0]) if (d.variant == v).any() else None
        return dict(fast_img_s=get('fast', 'img_s'), fp32_img_s=get('fp32_eager', 'img_s'), compile_s=get('fast', 'warmup_s'))
    except Exception: return dict(fast_img_s=None, fp32_img_s=None, compile_s=None)

# ---------------------------------------------------------------------------------------------- the parts (children)
def _bench_module(name):
    import importlib
    if str(ROOT/'bench') not in sys.path: sys.path.insert(0, str(ROOT/'bench'))
    return importlib.import_module(name)

def _write_csv(rows, path):
    import pandas as pd
    from aavae_nb.core import atomic_path
    with atomic_path(path) as tmp: pd.DataFrame(rows).to_csv(tmp, index=False)

def _device(a): return 'cpu' if a.dry_run else 'cuda'

def part_env(a, res, d):
    "Versions, GPU, driver, cores, and every aavae_nb module imported with the box's missing packages blocked."
    res.update(python=sys.version.split()[0], nproc=os.cpu_count(), cpus_usable=len(os.sched_getaffinity(0)))
    try:
        q = subprocess.run(['nvidia-smi', '--query-gpu=name,driver_version,memory.total,clocks.max.sm,compute_cap',
                            '--format=csv,noheader'], capture_output=True, text=True, timeout=20)
        res['nvidia_smi'] = (q.stdout or q.stderr).strip()
    except (OSError, subprocess.SubprocessError) as e: res['nvidia_smi'] = f'unavailable ({type(e).__name__})'
    ci, buf = _bench_module('check_imports'), io.StringIO()   # first, before anything imports aavae_nb
    with contextlib.redirect_stdout(buf): rc = ci.main()
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, ci._Block)]
    lines = buf.getvalue().splitlines()
    print(buf.getvalue())
    res['imports'] = dict(exit=rc, ok=sum(l.startswith('ok') for l in lines), failed=[l for l in lines if l.startswith('FAILED')],
                          torch_names=lines[-1] if lines else '')
    import torch
    from importlib.metadata import version, PackageNotFoundError
    def ver(p):
        try: return version(p)
        except PackageNotFoundError: return None
    res.update(torch=torch.__version__, torch_cuda=torch.version.cuda, cudnn=torch.backends.cudnn.version(),
               cuda_available=torch.cuda.is_available(),
               packages={p: ver(p) for p in ('torchvision', 'numpy', 'pandas', 'matplotlib', 'adabelief-pytorch', 'fastcore')})
    if torch.cuda.is_available():
        p = torch.cuda.get_device_properties(0)
        res.update(gpu=p.name, capability=f'{p.major}.{p.minor}', gpu_mem_gib=round(p.total_memory / 2**30, 1),
                   sm_count=p.multi_processor_count, n_gpus=torch.cuda.device_count())
    res['headline'] = [f"torch {res['torch']} (CUDA {res['torch_cuda']}, cuDNN {res['cudnn']}), python {res['python']}, "
                       f"{res['nproc']} cores; GPU: {res.get('gpu', 'none')} {res.get('gpu_mem_gib', '')} GiB; "
                       f"nvidia-smi: {res['nvidia_smi'][:120]}",
                       f"imports: {res['imports']['ok']} modules ok, {len(res['imports']['failed'])} failed; "
                       f"{res['imports']['torch_names']}"]
    if rc: raise RuntimeError(f"bench/check_imports.py failed: {res['imports']['failed'] or res['imports']['torch_names']}")

GEN_CASES = [(g, c) for g in ('own', 'default') for c in ('serialised', 'concurrent')]

def gen_case(mode:str, capture:str, trials:int=8, n:int=1 << 16, replays:int=3) -> dict:
    """Two threads, each on its own stream, capture a CUDA graph of `torch.rand` from the default CUDA generator
    (`mode='default'`) or from its own registered `torch.Generator('cuda')` (`'own'`), one capture at a time
    (`'serialised'`, as `levers.capture_step` does under RNG_LOCK) or both at once (`'concurrent'`), then replay
    it `replays` times. Every replay's numbers are looked up among eager draws from a fresh generator of the same seed:
    an error, two identical outputs (a shared offset) or an output that is no eager draw (a lost offset) is a failure."""
    import threading, torch
    dev = torch.device('cuda')
    errors, identical, unmatched, matched = [], 0, 0, []
    key = lambda t: tuple(t[:32].tolist())
    for t in range(trials):
        seeds = [1000 + 10 * t, 1001 + 10 * t]
        gens = [None, None] if mode == 'default' else [torch.Generator(device=dev).manual_seed(s) for s in seeds]
        if mode == 'default': torch.cuda.manual_seed(seeds[0])
        lock, bar, res = threading.Lock(), threading.Barrier(2, timeout=30), [{}, {}]
        def work(i):
            g = gens[i]
            try:
                s = torch.cuda.Stream(dev); s.wait_stream(torch.cuda.current_stream(dev))
                with torch.cuda.stream(s):
                    for _ in range(3): torch.rand(n, device=dev, generator=g)   # eager warm-up on the side stream
                    graph = torch.cuda.CUDAGraph()
                    if g is not None: graph.register_generator_state(g)
                    bar.wait()
                    with (lock if capture == 'serialised' else contextlib.nullcontext()):
                        with torch.cuda.graph(graph, stream=s, capture_error_mode='thread_local'):
                            out = torch.rand(n, device=dev, generator=g)
                    bar.wait()
                    outs = []
                    for _ in range(replays): graph.replay(); outs.append(out.clone())
                s.synchronize()
                res[i]['outs'] = [o.cpu() for o in outs]
            except threading.BrokenBarrierError: res[i]['error'] = 'the other thread failed'
            except Exception as e:
                res[i]['error'] = f'{type(e).__name__}: {e}'[:300]; bar.abort()
        th = [threading.Thread(target=work, args=(i,)) for i in range(2)]
        for x in th: x.start()
        for x in th: x.join()
        errs = [r['error'] for r in res if 'error' in r]
        if errs:
            errors += errs
            try: torch.cuda.synchronize()
            except Exception as e: errors.append(f'context lost: {type(e).__name__}: {e}'[:200]); break
            continue
        ref = {}                                     # eager draws of a fresh generator per seed: value -> (seed, index)
        for s in (seeds if mode == 'own' else seeds[:1]):
            r = torch.Generator(device=dev).manual_seed(s)
            for j in range(2 * (4 + replays) + 4): ref.setdefault(key(torch.rand(n, device=dev, generator=r).cpu()), (s, j))
        outs = [o for r in res for o in r['outs']]
        keys = [key(o) for o in outs]
        identical += len(set(keys)) < len(keys)
        unmatched += any(k not in ref for k in keys)
        matched.append([ref.get(k, (None, None))[1] for k in keys])
    ok = not errors and not identical and not unmatched
    return dict(generator=mode, capture=capture, trials=trials, ok=ok, n_errors=len(errors), first_error=errors[0] if errors else '',
                trials_identical_outputs=identical, trials_unmatched_outputs=unmatched,
                eager_draw_index_of_replays=json.dumps(matched[:2]), status='ok' if ok else 'FAILED')

def part_gen(a, res, d):
    "The four generator cases in four processes at once (a broken CUDA context or a hang stays in its own process)."
    import torch
    if not torch.cuda.is_available():
        rows = [dict(generator=g, capture=c, status='skipped: no CUDA') for g, c in GEN_CASES]
        res.update(rows=rows, headline=['generator capture probe: skipped (no CUDA)'])
        _write_csv(rows, d/'gen_probe.csv'); return
    ps = {(g, c): subprocess.Popen([sys.executable, __file__, '--gen-case', f'{g}:{c}'], stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True) for g, c in GEN_CASES}
    rows = []
    for (g, c), p in ps.items():
        try:
            out, _ = p.communicate(timeout=max(1.0, a.deadline - time.time() - 3))
            last = [l for l in out.splitlines() if l.startswith('{')]
            rows.append(json.loads(last[-1]) if last else dict(generator=g, capture=c, status=f'FAILED (exit {p.returncode})',
                                                                 first_error=out[-500:]))
            print(f'--- {g}:{c}\n{out[-3000:]}')
        except subprocess.TimeoutExpired:
            p.kill(); p.communicate()
            rows.append(dict(generator=g, capture=c, status='TIMEOUT (a hang: deadlock in capture?)'))
        _write_csv(rows, d/'gen_probe.csv')
    res.update(rows=rows, headline=[f"generator capture probe: {r['generator']} generator, {r['capture']} captures: {r['status']}"
                                    + (f" ({r.get('first_error', '')[:120]})" if r.get('first_error') else '')
                                    + (f"; identical outputs in {r['trials_identical_outputs']}/{r['trials']} trials"
                                       if r.get('trials_identical_outputs') else '') for r in rows])

def part_mem(a, res, d):
    "Peak memory of the ResNet-50 AAVAE fast step (eager) at the four batch shapes; an OOM is a row, not a failure."
    import torch
    from bench.speed import fast_step_bench, bench_images, synthetic_images
    dev, rows = _device(a), []
    arch, cases = ('tiny', (('cifar10', 8), ('cifar10', 16), ('stl10', 8), ('stl10', 16))) if a.dry_run else ('resnet50', MEM_CASES)
    for dataset, bs in cases:
        side = 32 if dataset == 'cifar10' else 96
        row = dict(dataset=dataset, side=side, arch=arch, bs=bs, compile=False)
        try:
            x = bench_images('r50_32', 2 * bs)[0] if dataset == 'cifar10' else synthetic_images(2 * bs, side)
            r = fast_step_bench(dataset, arch, x, bs, steps=1 if a.dry_run else 2, warmup=1, device=dev,
                                variant='fast', compile=False)
            row.update(peak_mem_gib=r['peak_mem_gib'], img_s=bs * r['steps'] / r['time_s'], step_ms=1e3 * r['time_s'] / r['steps'],
                       warmup_s=r['warmup_s'], bf16=r['flags']['bf16'], flags=str(r['flags']), error='')
        except torch.OutOfMemoryError as e: row.update(error=f'OOM: {e}'[:300])
        except Exception as e: row.update(error=f'{type(e).__name__}: {e}'[:300])
        gc.collect()                                   # an OOM's frames hold the failed step's tensors
        if torch.cuda.is_available():
            row['gpu_mem_gib'] = torch.cuda.get_device_properties(0).total_memory / 2**30; torch.cuda.empty_cache()
        rows.append(row); _write_csv(rows, d/'memory_r50.csv')
        print(row, flush=True)
    res.update(rows=rows, headline=[f"{arch} {r['dataset']} bs {r['bs']}: " + (f"peak {r['peak_mem_gib']:.1f} GiB, {r['img_s']:.0f} img/s "
                                    f"eager, {'bf16' if r['bf16'] else 'fp32'}" if not r['error'] else r['error'][:150]) for r in rows])

def part_r18(a, res, d):
    "The ResNet-18 benchmark row through `bench.speed.run_benchmark`, with torch.compile's counters."
    from bench.speed import run_benchmark
    variants = R18_VARIANTS + (('fast_cg',) if a.cg else ())
    df = run_benchmark('smoke' if a.dry_run else 'gpu', _device(a), out_dir=d, configs=('tiny_32' if a.dry_run else 'r18_32',),
                       variants=variants, augment=False)
    try:
        from torch._dynamo.utils import counters
        res['compile_counters'] = {k: dict(v) for k, v in counters.items() if v}
    except Exception as e: res['compile_counters'] = f'unavailable: {e}'
    cols = ['variant', 'img_s', 'step_ms', 'warmup_s', 'peak_mem_gib', 'sync_per_step', 'speedup_vs_official', 'error']
    res['rows'] = df[[c for c in cols if c in df]].to_dict(orient='records')
    res['headline'] = [f"r18 {r['variant']}: " + (f"{r['img_s']:.0f} img/s, {r['step_ms']:.1f} ms/step, warm-up {r['warmup_s']:.1f} s, "
                       f"syncs/step {r.get('sync_per_step')}, x{r['speedup_vs_official']:.2f} vs official" if not r['error'] else r['error'][:150])
                       for r in res['rows']]

def part_t1(a, res, d):
    """AAVAE Table 1 for AAVAE and AE, side by side (two processes): a ResNet-18 at batch 256 on 32² images leaves an
    H200 mostly idle and its compile is CPU-bound (16 cores), so two runs at once take less wall time than two in a
    row, and a deadline that cuts them cuts both at the same epochs instead of leaving AE untrained. The plan assumes
    no gain from sharing, so it is safe; the runs' wall times are then not solo timings (r18's row is the solo speed)."""
    sp = r18_speeds(Path(a.work)/'r18'/'benchmark.csv')
    left = a.deadline - time.time() - (5 if a.dry_run else 10)          # the assembly of the table at the end
    kw = dict(images=32, probe_images=32, probe_epochs=5, max_epochs=1) if a.dry_run else {}
    plan = plan_table1(left, runs=2, **sp, **kw)
    r18 = Path(a.work)/'r18'/'benchmark.csv'   # this call's, or an earlier call's on a warm box: say which
    plan['r18_csv'] = dict(path=str(r18), mtime=time.ctime(r18.stat().st_mtime)) if r18.exists() else None
    res['plan'] = plan
    (d/'t1_plan.json').write_text(json.dumps(plan, indent=1))
    print(f"PLAN Table 1: {plan['epochs']} epochs (preset {'smoke' if a.dry_run else 'gpu'}), expected "
          f"{plan['expected_s']} s of {plan['seconds']} s; {plan['basis']}", flush=True)
    procs = {}
    for m in ('aavae', 'ae'):
        log = open(d/f't1_{m}.log', 'w')
        procs[m] = subprocess.Popen([sys.executable, __file__, '--t1-model', m, '--epochs', str(plan['epochs']),
                                     '--compile', str(int(plan['compile'])), '--work', a.work] + (['--dry-run'] if a.dry_run else []),
                                    stdout=log, stderr=subprocess.STDOUT)
    import aavae_nb.aavae.train                                                # imported while the children start
    asm = _bench_module('assemble_table1')
    status = {}
    for m, p in procs.items():
        try: p.wait(timeout=max(1.0, a.deadline - time.time() - (5 if a.dry_run else 10)))
        except subprocess.TimeoutExpired: p.kill(); p.wait()
        status[m] = 'ok' if p.returncode == 0 else 'killed at the deadline' if p.returncode == -signal.SIGKILL else f'exit {p.returncode}'
    res['models'] = status
    done = [d/f't1_{m}' for m in procs if status[m] == 'ok']
    if not done: raise RuntimeError(f"no Table 1 model finished: {status}")
    note = (f"{'smoke (CPU dry run): MEANINGLESS BY DESIGN; ' if a.dry_run else ''}AAVAE and AE trained side by side on one "
            f"{'CPU' if a.dry_run else 'GPU'} for {plan['epochs']} epochs (preset gpu: 300) by bench/gpu_check.py; "
            "their wall times are not solo timings")
    asm.main(d/'table1', note, done)
    tj = json.loads((d/'table1'/'table1.json').read_text())
    res['table1_json'] = tj
    rows = [json.loads(f.read_text()) for f in sorted(d.glob('t1_*/runs/*/results.json'))]
    res['runs'] = [dict(variant=r['variant'], top1=r['top1'], knn_top1=r['knn_top1'], final_loss=r['final_loss'],
                        pretrain_s=r['pretrain_s'], wall_s=r['provenance']['wall_time_s']) for r in rows]
    res['headline'] = [f"Table 1 ({plan['epochs']} epochs): " + ', '.join(f"{r['variant']} top-1 {r['top1']:.2f}% kNN {r['knn_top1']:.2f}% "
                       f"(pretrain {r['pretrain_s']:.0f} s)" for r in res['runs']) + f"; models: {status}"]
    if any(v != 'ok' for v in status.values()): raise RuntimeError(f"a Table 1 model did not finish: {status}")

def t1_model(a):
    "One Table 1 model (a child of part t1)."
    from aavae_nb.aavae.config import resolve_config
    from aavae_nb.aavae.train import train_and_evaluate
    over = dict(variant=a.t1_model, epochs=a.epochs, seed=0, progress=False)
    if a.dry_run: over['width'] = 8
    if not a.compile: over['compile'] = False
    cfg = resolve_config('smoke' if a.dry_run else 'gpu', **over)
    print(cfg, flush=True)
    r = train_and_evaluate(cfg, None, _device(a), Path(a.work)/'t1'/f't1_{a.t1_model}'/'runs'/a.t1_model)
    print(f"{a.t1_model}: top-1 {r['top1']:.2f}%, kNN {r['knn_top1']:.2f}%, pretrain {r['pretrain_s']:.1f} s", flush=True)

def part_lavae(a, res, d):
    """LAVAE Table I at the largest preset that fits (`bench/lavae_plan.py`, calibrated on whole graphed runs of the
    notebook), with CUDA graphs on (`cuda_graphs=True`: the plan assumes them; 3.7x the eager notebook on the H200)."""
    dev = _device(a)
    left, buf = a.deadline - time.time(), io.StringIO()
    lp = _bench_module('lavae_plan')
    with contextlib.redirect_stderr(buf):
        if a.lavae_preset is None: preset, head = lp.plan(left)
        else:   # the caller's preset, no plan; its self head only if the calibration says it fits so
            try: est = lp.estimate(a.lavae_preset, lp.calibration(), True)
            except Exception as e: est = float('inf'); print(f"no usable calibration ({type(e).__name__}: {e})", file=sys.stderr)
            print(f"{a.lavae_preset} with the self head: ~{est:.0f} s ({left:.0f} s left)", file=sys.stderr)
            preset, head = a.lavae_preset, est < left
    res.update(planned_preset=preset, self_head=head, plan_log=buf.getvalue(), seconds_left=round(left, 1))
    print(buf.getvalue())
    extra = {} if head else dict(self_head=False)   # `paper` fits ~570 s only without the stage-3 head on Flips
    if a.dry_run: preset, extra = 'smoke', dict(variants='', self_head=False, n_train=64, n_test=64, n_show=2)  # tiny, whatever the plan
    res['preset'] = preset
    print(f"PLAN LAVAE Table I: preset {preset} ({left:.0f} s left; {'asked' if a.lavae_preset else 'lavae_plan chose'} "
          f"{res['planned_preset']}{'' if head else ', without the self head'})", flush=True)
    out = d/f'lavae_t1_{preset}'   # resume=True: a run killed at the deadline continues in the next call on a warm box
    _bench_module('run_nb').run(str(ROOT/'nbs'/'reproduce_lavae_table1.ipynb'), preset=preset, device=dev,
                                cuda_graphs=not a.dry_run, out_dir=str(out), resume=True, **extra)   # CUDA only
    j = json.loads((out/'lavae_table1.json').read_text())
    shutil.copy(out/'lavae_table1.csv', d/'lavae_table1.csv')
    res.update(verdict=j.get('verdict'), train_seconds=j.get('train_seconds'),
               totals={m: r.get('total') for m, r in j.get('results', {}).items()},
               headline=[f"LAVAE Table I at {preset}: " + ', '.join(f"{m} {v:.1f}" for m, v in
                         {m: r.get('total') for m, r in j.get('results', {}).items()}.items() if v is not None)])

PARTS = dict(env=part_env, gen=part_gen, mem=part_mem, r18=part_r18, t1=part_t1, lavae=part_lavae)

def run_part(a) -> int:
    "Run one part in this process; write `<work>/<part>/<part>.json` (result, status, provenance) whatever happens."
    d = Path(a.work)/a.part; d.mkdir(parents=True, exist_ok=True)
    t0, res, status = time.time(), {}, 'ok'
    try: PARTS[a.part](a, res, d)
    except Exception:
        traceback.print_exc(); status = 'error'; res['error'] = traceback.format_exc()[-2000:]
    rec = dict(part=a.part, status=status, seconds=round(time.time() - t0, 1), dry_run=a.dry_run, result=res)
    try:
        from aavae_nb.core import provenance
        rec['provenance'] = provenance(0, 'gpu_check_dry' if a.dry_run else 'gpu_check', _device(a), time.time() - t0)
    except Exception as e: rec['provenance'] = f'unavailable: {type(e).__name__}: {e}'
    (d/f'{a.part}.json').write_text(json.dumps(rec, indent=1, default=str))
    return 0 if status == 'ok' else 1

# ---------------------------------------------------------------------------------------------- the orchestrator
def _clear(folder:Path):
    "Delete an earlier call's files of a part, but not its checkpoints (the LAVAE part resumes from them)."
    if not folder.exists(): return
    for f in sorted(folder.rglob('*'), key=lambda f: len(f.parts), reverse=True):   # files and folders, deepest first
        if 'checkpoints' in f.relative_to(folder).parts: continue
        if f.is_dir():
            if not any(f.iterdir()): f.rmdir()
        else: f.unlink()

class Check:
    def __init__(self, a):
        self.a, self.t0 = a, time.time()
        self.budget = a.budget or float(os.environ.get('GPU_CHECK_BUDGET') or (DRY_BUDGET if a.dry_run else GPU_BUDGET))
        self.scale = self.budget / (DRY_BUDGET if a.dry_run else GPU_BUDGET)
        self.plan = DRY_PLAN if a.dry_run else PLAN
        self.deadline = self.t0 + self.budget
        self.work, self.out = Path(a.work), Path(a.out)
        self.names = [n for n in PLAN if n in a.parts]
        self.records, self.child = {}, None
        for n in self.names:   # a lent box may keep runs/ from an earlier call: nothing stale is packed as new
            _clear(self.work/n); (self.work/f'{n}.log').unlink(missing_ok=True)
        self.work.mkdir(parents=True, exist_ok=True); self.out.mkdir(parents=True, exist_ok=True)
        self.logf = open(self.work/'gpu_check.log', 'w')

    def left(self): return self.deadline - time.time()

    def log(self, msg):
        line = f"[{time.time() - self.t0:5.0f} s] {msg}"
        print(line, flush=True); self.logf.write(line + '\n'); self.logf.flush()

    def timeout(self, i:int) -> float:
        n, rest = self.names[i], self.names[i:]
        if self.plan[n][1] is not None: return part_timeouts(self.left(), rest, self.plan, self.scale)[n]
        left = self.left() - PACK_S * self.scale
        if n == 't1' and 'lavae' in rest: return left - lavae_share(left, self.scale)
        return left

    def run_part(self, i:int):
        n = self.names[i]
        if n == 'gen' and (self.a.dry_run or ((self.records.get('env') or {}).get('result') or {}).get('cuda_available') is False):
            rows = [dict(generator=g, capture=c, status='skipped: no CUDA') for g, c in GEN_CASES]   # no process for that
            (self.work/'gen').mkdir(exist_ok=True)
            with open(self.work/'gen'/'gen_probe.csv', 'w') as f: f.write('generator,capture,status\n' + ''.join(
                f"{r['generator']},{r['capture']},{r['status']}\n" for r in rows))
            self.records[n] = dict(status='skipped: no CUDA', seconds=0, result=dict(rows=rows)); self.log('gen: skipped (no CUDA)')
            return
        t = self.timeout(i)
        if t < 0.5 * self.plan[n][2] * self.scale:
            self.records[n] = dict(status='skipped: no time left', seconds=0, timeout_s=round(t, 1))
            self.log(f"{n}: skipped, {t:.0f} s left for it")
            return
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT)] + [p for p in [os.environ.get('PYTHONPATH')] if p]),
                   PYTHONUNBUFFERED='1', MPLBACKEND='Agg')
        if n == 'r18': env['TORCH_LOGS'] = env.get('TORCH_LOGS') or 'perf_hints,recompiles'
        cmd = [sys.executable, __file__, '--part', n, '--work', str(self.work), '--deadline', f'{time.time() + t:.1f}'] + \
              (['--dry-run'] if self.a.dry_run else []) + (['--cg'] if self.a.cg else []) + \
              (['--lavae-preset', self.a.lavae_preset] if self.a.lavae_preset else [])
        self.log(f"{n}: start, timeout {t:.0f} s ({self.left():.0f} s left of {self.budget:.0f})")
        t1 = time.time()
        with open(self.work/f'{n}.log', 'w') as lf:
            self.child = subprocess.Popen(cmd, stdout=lf, stderr=subprocess.STDOUT, env=env, cwd=ROOT, start_new_session=True)
            try: rc = self.child.wait(timeout=t); status = 'ok' if rc == 0 else f'error (exit {rc})'
            except subprocess.TimeoutExpired:
                self._kill(); status = f'timeout (killed after {t:.0f} s)'
            self.child = None
        rec = dict(status=status, seconds=round(time.time() - t1, 1), timeout_s=round(t, 1))
        pj = self.work/n/f'{n}.json'
        if pj.exists():
            pr = json.loads(pj.read_text())
            rec.update(result=pr.get('result'), provenance=pr.get('provenance'))
        text = (self.work/f'{n}.log').read_text(errors='replace')
        if n == 'r18':
            rec['skipping_cudagraphs_lines'] = [l for l in text.splitlines() if 'skipping cudagraphs' in l.lower()][:20]
            rec['recompile_lines'] = sum('recompil' in l.lower() for l in text.splitlines())
        rec['plan_lines'] = [l for l in text.splitlines() if l.startswith('PLAN ')]
        self.records[n] = rec
        for l in rec['plan_lines']: self.log(f"    {l}")
        self.log(f"{n}: {status} in {rec['seconds']:.0f} s")
        for h in (rec.get('result') or {}).get('headline', []): self.log(f"    {h}")
        if status != 'ok': self.log('    log tail: ' + text[-1500:].replace('\n', '\n    '))

    def _kill(self):
        if self.child is None: return
        with contextlib.suppress(ProcessLookupError, PermissionError): os.killpg(self.child.pid, signal.SIGKILL)
        with contextlib.suppress(Exception): self.child.wait(timeout=10)

    def pack(self):
        "At most 8 files into $OUT: the summary JSON, the log, one CSV per part, and a tarball of the rest."
        self.log(f"pack: {self.left():.0f} s left")
        srcs = dict(gen=self.work/'gen'/'gen_probe.csv', mem=self.work/'mem'/'memory_r50.csv', r18=self.work/'r18'/'benchmark.csv',
                    t1=self.work/'t1'/'table1'/'table1.csv', lavae=self.work/'lavae'/'lavae_table1.csv')
        files = []
        for k, src in srcs.items():
            if k in self.names and src.exists(): shutil.copy(src, self.out/OUT_FILES[k]); files.append(OUT_FILES[k])
        mine = lambda f: f.relative_to(self.work).parts[0] in {*self.names, *(f'{n}.log' for n in self.names), 'gpu_check.log'}
        with tarfile.open(self.out/'gpu_check.tar.gz', 'w:gz') as tf:
            for f in sorted(self.work.rglob('*')):
                if f.is_file() and mine(f) and f.suffix not in ('.ckpt', '.pt', '.npz', '.tmp') and f.stat().st_size < 8 * 2**20:
                    tf.add(f, arcname=str(f.relative_to(self.work)))
        files.append('gpu_check.tar.gz')
        summary = dict(budget_s=self.budget, dry_run=self.a.dry_run, parts_asked=self.names, wall_s=round(time.time() - self.t0, 1),
                       plan={n: dict(zip(('planned_s', 'cap_s', 'min_s'), v)) for n, v in self.plan.items()},
                       parts=self.records, outputs=files + ['gpu_check.json', 'gpu_check.log'])   # 'outputs': as every results JSON
        try:
            if str(ROOT) not in sys.path: sys.path.insert(0, str(ROOT))
            from aavae_nb.core import provenance
            summary['provenance'] = provenance(0, 'gpu_check_dry' if self.a.dry_run else 'gpu_check', 'cpu', time.time() - self.t0,
                                               note='host provenance; each part carries its own (its device) in parts.<name>')
        except Exception as e: summary['provenance'] = f'unavailable: {type(e).__name__}: {e}'
        (self.out/'gpu_check.json').write_text(json.dumps(summary, indent=1, default=str))
        self.log(f"done in {time.time() - self.t0:.0f} s; $OUT: {', '.join(summary['outputs'])}")
        self.logf.close()
        shutil.copy(self.work/'gpu_check.log', self.out/'gpu_check.log')

    def main(self) -> int:
        def on_term(sig, frame):
            self.log(f"signal {sig}: killing the running part and packing"); self._kill(); self.pack(); os._exit(1)
        signal.signal(signal.SIGTERM, on_term)
        self.log(f"gpu_check: budget {self.budget:.0f} s, parts {self.names}, {'DRY RUN on the CPU' if self.a.dry_run else 'GPU'}, "
                 f"work {self.work}, out {self.out}")
        self.log('plan (s): ' + ', '.join(f"{n} {self.plan[n][0] * self.scale:.0f}" for n in self.names)
                 + f", pack {PACK_S * self.scale:.0f}")
        for i in range(len(self.names)): self.run_part(i)
        self.pack()
        return 0 if all(r['status'] == 'ok' or r['status'].startswith('skipped') for r in self.records.values()) else 1

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--dry-run', action='store_true', help='CPU, tiny sizes (smoke presets, few steps)')
    p.add_argument('--budget', type=float, default=None,
                   help=f'seconds for everything (default $GPU_CHECK_BUDGET, else {GPU_BUDGET}; dry {DRY_BUDGET})')
    p.add_argument('--parts', default=','.join(PLAN), help=f'comma-separated subset of {",".join(PLAN)}')
    p.add_argument('--out', default=os.environ.get('OUT') or str(ROOT/'runs'/'gpu_check'/'out'), help='where the <= 8 files go ($OUT)')
    p.add_argument('--work', default=None, help='working folder (default runs/gpu_check/work, dry: runs/gpu_check/dry)')
    p.add_argument('--cg', action='store_true', help="also time r18's fast_cg variant (reduce-overhead CUDA graphs; +1 cold compile)")
    p.add_argument('--lavae-preset', help="LAVAE Table I at this preset, not the planner's choice (its self head if it fits)")
    p.add_argument('--part', help=argparse.SUPPRESS); p.add_argument('--deadline', type=float, help=argparse.SUPPRESS)
    p.add_argument('--gen-case', help=argparse.SUPPRESS); p.add_argument('--t1-model', help=argparse.SUPPRESS)
    p.add_argument('--epochs', type=int, help=argparse.SUPPRESS); p.add_argument('--compile', type=int, default=1, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    a.work = a.work or str(ROOT/'runs'/'gpu_check'/('dry' if a.dry_run else 'work'))
    if a.gen_case: print(json.dumps(gen_case(*a.gen_case.split(':')))); return 0
    if str(ROOT) not in sys.path: sys.path.insert(0, str(ROOT))
    from aavae_nb.presets import BUDGETS
    if a.lavae_preset not in (None, *BUDGETS): p.error(f"--lavae-preset {a.lavae_preset!r}: choose from {list(BUDGETS)}")
    if a.t1_model: t1_model(a); return 0
    if a.part: return run_part(a)
    a.parts = [s.strip() for s in a.parts.split(',') if s.strip()]
    bad = [s for s in a.parts if s not in PLAN]
    if bad: p.error(f"unknown part(s) {bad}: choose from {list(PLAN)}")
    return Check(a).main()

if __name__ == '__main__': sys.exit(main())
