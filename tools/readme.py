"""Repository tooling (not part of the package): write README.md from nbs/index.ipynb (its `{{table:...}}` lines
filled from the committed results), figures/README.md from the results JSONs in figures/<folder>/ (a folder per
paper, one for findings) and the findings notebooks in nbs/findings/, figures/report_<budget>.{md,html}, and the
committed outputs of the `# committed results` cells of the notebooks. Run `python tools/readme.py` after editing
index.ipynb or adding a figure; the hidden test cells at the end of nbs/index.ipynb and nbs/05_report.ipynb fail
while any of them is stale."""
import ast, contextlib, csv, io, json, posixpath, re, statistics, sys
from pathlib import Path
from aavae_nb.core import ROOT, FIGURES_DIR, atomic_path
from aavae_nb.presets import AAVAE_TABLE1, LAVAE_TABLE1, PRESETS
sys.path.insert(0, str(ROOT))   # bench/ is tooling beside tools/, not part of the package
from bench.speed import EPOCH_IMAGES
from aavae_nb.report import provenance_stamps, short_sha, load_result, recorded_budget, preset_budget, epochs_text
from aavae_nb.report import peak_text, _main_stamp

def rebase(text:str, folder:str='nbs') -> str:
    "Markdown links and images relative to `folder` (as written in a notebook there) made relative to the root."
    def fix(m):
        u = m[2]
        return m[0] if re.match(r'[a-z]+:|#|/', u) else m[1] + posixpath.normpath(posixpath.join(folder, u)) + ')'
    return re.sub(r'(\]\()([^)\s]+)\)', fix, text)

def readme_text(nb_path=None, figures_dir=None) -> str:
    """The README: markdown cells with a line `{{table:NAME}}` replaced by `TABLES[NAME](figures_dir)` and their links
    made relative to the repository root (`rebase`), code cells as fenced Python, `#| hide` cells left out."""
    nb = json.loads(Path(nb_path or ROOT/'nbs'/'index.ipynb').read_text(encoding='utf-8'))
    fill = lambda m: TABLES[m[1]](figures_dir)
    parts = []
    for c in nb['cells']:
        src = ''.join(c['source']).strip()
        if not src or '#| hide' in src.split('\n')[0]: continue
        if c['cell_type'] == 'markdown': parts.append(rebase(re.sub(r'^\{\{table:(\w+)\}\}$', fill, src, flags=re.M)))
        else: parts.append('```python\n' + '\n'.join(l for l in src.split('\n') if not l.startswith('#|')) + '\n```')
    head = '<!-- generated from nbs/index.ipynb by tools/readme.py: edit the notebook, not this file -->\n\n'
    return head + '\n\n'.join(parts) + '\n'

def _csv(p) -> list: return list(csv.DictReader(open(p, encoding='utf-8')))


def _machine(st) -> str: return f"{st['device']}, commit {st['git_sha'][:7]}"

def _machines(sts) -> str:
    "The devices and commits of provenance stamps `sts`, each once."
    devs, shas = sorted({s['device'] for s in sts}), sorted({s['git_sha'][:7] for s in sts})
    return f"{'; '.join(devs)}, commit{'s' if len(shas) > 1 else ''} {', '.join(shas)}"

def aavae_table(figures_dir=None) -> str:
    """AAVAE Table 1 (linear-eval top-1 %, CIFAR-10): the paper (`presets.AAVAE_TABLE1`) beside our committed `cpu`
    run (`aavae/table1_cpu.*`), the mean ± sd over the seeds committed as `table1_cpu_s<N>.csv`, and the budget."""
    d = Path(figures_dir or FIGURES_DIR)/'aavae'
    runs = seed_runs(d)
    ours = [{r['method']: float(r['ours']) for r in _csv(f) if r['label'] == 'ours'} for f in runs]
    gpu = {r['method']: float(r['ours']) for r in _csv(d/'table1_gpu.csv') if r['label'] == 'ours'} \
        if (d/'table1_gpu.csv').exists() else None                 # the GPU run (bench/gpu_check.py), one seed
    rows = [f'| model | paper | ours (`cpu`, seed 0) | ours, mean ± sd over {len(runs)} seeds |'
            + (' ours (`gpu`, seed 0) |' if gpu else ''), '|---|---|---|---|' + ('---|' if gpu else '')]
    for m in ours[0]:
        v = [o[m] for o in ours]
        rows.append(f'| {m} | {AAVAE_TABLE1[m][0]:.2f} | {v[0]:.2f} | '
                    + (f'{statistics.mean(v):.2f} ± {statistics.stdev(v):.2f} |' if len(v) > 1 else '— |')
                    + ((f' {gpu[m]:.2f} |' if m in gpu else ' — |') if gpu else ''))
    pp = PRESETS['paper']['aavae']
    return '\n'.join(rows) + (f"\n\nBudgets (**reduced**, not the paper's {pp['arch']}, {pp['epochs']:,} epochs, "
                              f"{EPOCH_IMAGES:,} images): " + '; '.join(
                                  _aavae_budget(d/f'table1_{p}.json') for p in ('cpu', 'gpu')[:1 + bool(gpu)]) + '.')

def seed_runs(d) -> list:
    """The CSVs of the committed `cpu` Table 1 seeds in folder `d`: `table1_cpu.csv` (seed 0), then each
    `table1_cpu_s<N>.csv`; a clear error unless each one's JSON says seed N and the same `budget` as seed 0's."""
    d = Path(d)
    named = {f: re.fullmatch(r'table1_cpu_s(\d+)\.csv', f.name) for f in d.glob('table1_cpu_s*.csv')}
    if bad := sorted(f.name for f, m in named.items() if not m): raise ValueError(f"{d}: {bad} not table1_cpu_s<N>.csv")
    runs = [(0, d/'table1_cpu.csv')] + sorted((int(m[1]), f) for f, m in named.items())
    base = read_results(d/'table1_cpu.json')['provenance'].get('budget')
    if not base: raise ValueError(f"{d/'table1_cpu.json'}: no `budget` in its provenance: the seeds cannot be checked")
    for n, f in runs:
        st = read_results(f.with_suffix('.json'))['provenance']
        if st.get('seed') != n:
            raise ValueError(f"{f.with_suffix('.json')}: its provenance says seed {st.get('seed')!r}, not {n}: "
                             "the mean ± sd over seeds would average the wrong runs")
        if st.get('budget') != base:
            raise ValueError(f"{f.with_suffix('.json')}: budget {st.get('budget')} is not seed 0's {base}: "
                             "the mean ± sd would average runs of different budgets")
    return [f for _, f in runs]

def _aavae_budget(path) -> str:
    "One AAVAE Table 1 run's budget and machine, from its results JSON."
    rec = read_results(path); st = rec['provenance']; b = st['budget']; got = recorded_budget(rec)
    runs = provenance_stamps(rec.get('runs', {})) or [st]     # the machine of each model's run
    ep = epochs_text(got, preset_budget('aavae/table1', b['preset']), ' epochs')   # an override marked
    return (f"preset `{b['preset']}`, {b['arch']} at width {b['width']}, {ep}, batch "
            f"{b['bs']}, {got.get('n_train', '?'):,} {b['data_source']} CIFAR-10 images, "
            f"{_duration(st['wall_time_s'])} in all on {_machines(runs)}")

LAVAE_ROWS = {'LAVAE': "LAVAE, as the authors' code (λ = 1, Xavier start of stage 2)",
              'LAVAE (lam_inv=0)': 'LAVAE, λ = 0 (ours: stage 2 refitted without the involution penalty)',
              'LAVAE (stage2_init=lstsq)': 'LAVAE, λ = 1, least-squares start of stage 2 (ours)'}

def lavae_table(figures_dir=None) -> str:
    """LAVAE Table I ("Flips", total test BCE, lower is better): the paper (`presets.LAVAE_TABLE1`) beside our committed
    `cpu_full` run (`lavae/table1_cpu_full.*`) and, where committed, `cpu_long`; the budgets."""
    root = Path(figures_dir or FIGURES_DIR)
    files = {f'`{p}`': root/'lavae'/f'table1_{p}' for p in ('cpu_full', 'cpu_long')}
    files['`gpu` on CUDA'] = root/'gpu'/'lavae_table1_cuda_gpu'    # the GPU run (bench/gpu_check.py), CUDA graphs
    runs = [k for k, f in files.items() if f.with_suffix('.csv').exists()]
    tot = {k: {r['model']: float(r['total']) for r in _csv(files[k].with_suffix('.csv'))
               if r['source'].startswith('ours')} for k in runs}
    rows = ['| model | paper | ' + ' | '.join(f'ours ({k})' for k in runs) + ' |', '|---|---|' + '---|' * len(runs)]
    for m in tot[runs[0]]:
        paper = f'{LAVAE_TABLE1[m][4]:.2f}' if m in LAVAE_TABLE1 else '—'
        cells = [f"{tot[k][m]:.1f}" if m in tot[k] else '—' for k in runs]
        rows.append(f'| {LAVAE_ROWS.get(m, m)} | {paper} | ' + ' | '.join(cells) + ' |')
    def budget(k):
        j = read_results(files[k].with_suffix('.json')); st, c = j['provenance'], j['config']
        return (f"{k}: {st['n_train']:,} MNIST images, {c['epochs1']} epochs of stage 1 and the CVAEs, "
                f"{c['epochs2']} of stage 2, {_duration(st['wall_time_s'])} on {_machine(st)}")
    e1 = PRESETS['paper']['lavae']['epochs1']
    return '\n'.join(rows) + (f"\n\nBudgets (**reduced**; the paper trains {e1} epochs of stage 1): "
                              + '; '.join(budget(p) for p in runs) + '.')

def speed_table(figures_dir=None) -> str:
    """Ours against the authors' own code (`bench/official_*.py`, the CSVs of `report.COMMITTED['official']`), then a
    line each for LAVAE's opt-in bf16 and for the H200 (`figures/aavae/benchmark_gpu.csv`: our imitation of the
    official step, not the authors' code)."""
    from aavae_nb.report import COMMITTED, official_table, stamp, _md_table
    root = Path(figures_dir or FIGURES_DIR)
    tab, runs = official_table([root/f for f in COMMITTED['official']['cpu']])
    where = '; '.join(f"{x['path'].stem.split('_')[1].upper()}: {s['device']}, commit {s['commit']}"
                      for x in runs for s in [stamp([x])])
    bf = {int(r['stage']): float(r['ratio_bf16']) for r in _csv(root/'findings'/'official_lavae_cpu.csv') if r['ratio_bf16']}
    g = {r['variant']: float(r['img_s']) for r in _csv(root/'aavae'/'benchmark_gpu.csv') if r['img_s']}
    return (_md_table(tab) + f"\n\nOne CPU, interleaved rounds ({where}). LAVAE's stages 1 and 3 under the opt-in bf16: "
            f"{bf[1]:.2f}× and {bf[3]:.2f}× the authors' code (float32 is the default: the authors' numerics). On a lent "
            f"H200 our AAVAE ResNet-18 step with CUDA graphs (`fast_cg`, off by default) ran {g['fast_cg']:,.0f} img/s, "
            f"{g['fast_cg'] / g['official']:.2f}× our imitation of the official step ({g['official']:,.0f}); the authors' "
            "code has not run on a GPU here.")

TABLES = dict(aavae=aavae_table, lavae=lavae_table, speed=speed_table)


RESULTS_MARK = '# committed results'

def result_cells(nb:dict) -> list:
    "Indices of the code cells of notebook `nb` whose output is committed: their source starts with `RESULTS_MARK`."
    return [i for i, c in enumerate(nb['cells']) if c['cell_type'] == 'code'
            and ''.join(c['source']).startswith(RESULTS_MARK)]

def _lines(s:str) -> list: return s.splitlines(keepends=True)

def cell_outputs(src:str) -> list:
    "The outputs Jupyter shows for code cell `src` run alone: its printed text, then its last expression's display."
    from IPython.core.formatters import DisplayFormatter
    tree = ast.parse(src); last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    ns, buf = {}, io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(compile(tree, '<cell>', 'exec'), ns)
        val = eval(compile(ast.Expression(last.value), '<cell>', 'eval'), ns) if last else None
    outs = [dict(name='stdout', output_type='stream', text=_lines(buf.getvalue()))] if buf.getvalue() else []
    if val is not None:
        data = DisplayFormatter().format(val)[0]
        outs.append(dict(data={k: _lines(v) for k, v in data.items()}, execution_count=None, metadata={},
                         output_type='execute_result'))
    return outs

def refresh_results(nb_path) -> bool:
    "Rerun the `# committed results` cells of notebook `nb_path` and write their outputs in; whether it changed."
    p = Path(nb_path); nb = json.loads(p.read_text(encoding='utf-8'))
    changed = False
    for i in result_cells(nb):
        outs = cell_outputs(''.join(nb['cells'][i]['source']))
        if outs != nb['cells'][i].get('outputs'): nb['cells'][i]['outputs'] = outs; changed = True
    if changed: write(p, json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + '\n')   # as nbdev_clean
    return changed

def results_notebooks() -> list:
    "The notebooks under `nbs/` with a `# committed results` cell."
    return [p for p in sorted((ROOT/'nbs').rglob('*.ipynb'))
            if '.ipynb_checkpoints' not in p.parts and result_cells(json.loads(p.read_text(encoding='utf-8')))]

def read_results(p):
    "A results JSON, loaded; a clear error where it cannot be read or parsed."
    try: return json.loads(Path(p).read_text(encoding='utf-8'))
    except (OSError, ValueError) as e: raise ValueError(f"cannot read {p}: missing, or not valid JSON ({e})") from e

def figure_sources(figures_dir=None) -> dict:
    """Map every file in `figures_dir` (README.md aside) to the results JSON holding its provenance: a stamped JSON
    to itself, another file to the stamped JSON of the same name or to one whose `outputs` lists it; else `None`."""
    d = Path(figures_dir or FIGURES_DIR)
    files = sorted(f for f in d.iterdir() if f.is_file() and f.name != 'README.md')
    stamped = {}
    for f in files:
        rec = read_results(f) if f.suffix == '.json' else None
        if rec and provenance_stamps(rec): stamped[f.name] = rec.get('outputs', []) if isinstance(rec, dict) else []
    listed = {o: j for j, outs in stamped.items() for o in outs}
    def source(f):
        if f.name in stamped: return f.name
        return f.stem + '.json' if f.stem + '.json' in stamped else listed.get(f.name)
    return {f.name: source(f) for f in files}

def readme_figure_paths(text:str) -> list:
    "The `figures/...` paths a README text names, `{a,b}` alternatives expanded (globs kept as they are)."
    out = []
    for m in re.findall(r'figures/([\w/.*{},-]+)', text):
        m = m.rstrip('.,')
        alts = re.match(r'(.*)\{([^}]*)\}(.*)', m)
        out += [alts[1] + a + alts[3] for a in alts[2].split(',')] if alts else [m]
    return [p for p in out if p]

def _compact(names:list) -> str:
    "`a.csv, a.png, b.png` as `a.{csv,png}, b.png`."
    by = {}
    for n in names: stem, _, ext = n.partition('.'); by.setdefault(stem, []).append(ext)
    return ', '.join(f'`{s}.{e[0]}`' if len(e) == 1 else f"`{s}.{{{','.join(e)}}}`" for s, e in by.items())

def _duration(s) -> str: return '—' if s is None else f'{s:.0f} s' if s < 120 else f'{s / 60:.0f} min'

def _result(path) -> str:
    "The result a results JSON holds, as `report.load_result` names it (`aavae/table1_e24`); '' where it cannot."
    try: return load_result(path)['result']
    except (KeyError, TypeError, ValueError): return ''

def _row(j:str, others:list, rec, result:str='') -> str:
    """The index row of results JSON `j` (holding `result`, for its preset's budget); a JSON with per-run stamps and
    none of its own shows their summed wall time."""
    sts = provenance_stamps(rec)
    main = _main_stamp(rec) if isinstance(rec, dict) else sts[0]
    top = main if isinstance(rec, dict) and any(main is c for c in (rec, rec.get('provenance'))) else None
    wall = top['wall_time_s'] if top else sum(s['wall_time_s'] or 0 for s in sts)
    got = recorded_budget(rec); n = got.get('n_train')
    epochs = epochs_text(got, preset_budget(result, main.get('preset'))) or '—'
    col = lambda k: ', '.join(sorted({str(s[k]) for s in sts if s[k] is not None}, key=lambda v: (len(v), v))) or '—'
    shas = ', '.join(sorted({short_sha(s['git_sha']) for s in sts}))
    devices = '; '.join(sorted({s['device'] for s in sts}))
    cells = [f'`{j}`', _compact(others) or '—', col('preset'), col('seed'), devices, '—' if n is None else f'{n:,}',
             epochs, _duration(wall) + ('' if top else f' ({len(sts)} runs)'), peak_text(sts),
             str(main.get('timestamp', ''))[:10] or '—', shas]
    return '| ' + ' | '.join(cells) + ' |'

def figures_index(figures_dir=None) -> str:
    "A markdown table of `figures_dir`: a row per results JSON, the files it covers and its run's provenance."
    d, groups = Path(figures_dir or FIGURES_DIR), {}
    for f, j in figure_sources(d).items(): groups.setdefault(j, []).append(f)
    cols = ['results JSON', 'other files', 'preset', 'seed', 'device', 'training images', 'epochs', 'wall time',
            'peak memory', 'date', 'commit']
    rows = ['| ' + ' | '.join(cols) + ' |', '|' + '---|' * len(cols)]
    for j in sorted(k for k in groups if k):
        rows.append(_row(j, [f for f in groups[j] if f != j], read_results(d/j), _result(d/j)))
    if None in groups: rows.append(f"| (none: no provenance) | {_compact(groups[None])} |" + '  |' * (len(cols) - 2))
    return '\n'.join(rows)

FOLDERS = {'aavae': 'AAVAE (Falcon et al. 2021): Table 1, Figs. 2-5, the speed benchmark and its A/B',
           'lavae': 'LAVAE (Table I, the Fig. 7 transfer heat-map, Figs. 3-5, 8-10)',
           'findings': 'the results of the findings notebooks (`nbs/findings/`), one question each',
           'gpu': 'GPU runs: `bench/gpu_check.sh` on one lent H200 (its record, the ResNet-50 memory and generator '
                  'probes, the LAVAE step timings) and LAVAE Table I on CUDA (`lavae_table1_cuda_<preset>`)'}

def result_folders(figures_dir=None) -> list:
    "The result folders of `figures_dir`: those of `FOLDERS` first, in its order, then any other, by name."
    d = Path(figures_dir or FIGURES_DIR)
    subs = [f.name for f in d.iterdir() if f.is_dir()]
    return [n for n in FOLDERS if n in subs] + sorted(n for n in subs if n not in FOLDERS)

def _one_line(s:str) -> str: return ' '.join(s.split()).replace('|', '\\|')

def finding_summary(nb_path) -> dict:
    """Title, question and answer of a findings notebook: its first markdown cell is `# <title>`, then paragraphs
    starting `**Question:**` and `**Answer:**`; a missing part is `None`."""
    nb = read_results(nb_path)
    md = next((''.join(c['source']) for c in nb['cells'] if c['cell_type'] == 'markdown'), '')
    title = re.search(r'^# (.+)$', md, re.M)
    def part(k):   # the text after `**k:**` up to a blank line, the next `**...:**` line or the end
        m = re.search(rf'\*\*{k}:\*\*(.*?)(?:\n\s*\n|\n(?=\*\*\w+:\*\*)|$)', md, re.S)
        return _one_line(m[1]) if m else None
    return dict(title=title[1].strip() if title else None, question=part('Question'), answer=part('Answer'))

def findings_index(findings_dir=None, link_root='..') -> str:
    "A markdown table of the findings notebooks in `findings_dir` (default `nbs/findings`): title, question, answer."
    d = Path(findings_dir or ROOT/'nbs'/'findings')
    nbs = sorted(d.glob('*.ipynb')) if d.is_dir() else []
    if not nbs: return '(no findings notebooks yet)'
    rows = ['| finding | question | answer |', '|---|---|---|']
    for f in nbs:
        s = finding_summary(f)
        rows.append(f"| [{s['title'] or f.stem}]({link_root}/nbs/findings/{f.name}) | {s['question'] or '—'} | "
                    f"{s['answer'] or '—'} |")
    return '\n'.join(rows)

def figures_readme_text(figures_dir=None, findings_dir=None) -> str:
    "The text of `figures/README.md`: a line on what is there, `figures_index` per result folder, `findings_index`."
    d = Path(figures_dir or FIGURES_DIR)
    files = sorted(f.name for f in d.iterdir() if f.is_file() and f.name != 'README.md')
    reports = [f for f in files if f.startswith('report_')]       # nbs/reproduce_all.ipynb's, one per budget
    loose = [f for f in files if f not in reports]
    parts = ['<!-- generated by tools/readme.py from the results JSONs below it and nbs/findings/: do not edit -->',
             '# figures/',
             'Every committed result, a folder per paper and one for findings, named `<result>_<preset>[_s<seed>]`. '
             'In each folder a row per results JSON: the files it covers and its run\'s provenance stamp (preset, '
             'seed, device, data size, epochs (LAVAE: of stages 1/2/3; marked where not the preset\'s), wall time, '
             'peak memory, date, commit; the JSON has it in full). Only the `paper` preset is '
             'the papers\' settings; every other preset (`gpu` included) is a **reduced-budget** run. Each reproduce '
             'notebook (`nbs/reproduce_*.ipynb`) says what its results show and the command that reruns them.']
    for n in result_folders(d):
        parts += [f'## [{n}/]({n}/)' + (f": {FOLDERS[n]}" if n in FOLDERS else ''), figures_index(d/n)]
    if reports: parts += ['## Reports', 'One per budget, written by `nbs/reproduce_all.ipynb`: '
                          + ', '.join(f'[{f}]({f})' for f in reports) + '.']
    if loose: parts += ['## (outside every folder)', _compact(loose)]
    parts += ['## Findings', 'One notebook per question in `nbs/findings/`, its results in `findings/`.',
              findings_index(findings_dir)]
    return '\n\n'.join(parts) + '\n'

def markdown_tables(text:str) -> list:
    "Every markdown table in `text`: a list of rows (lists of cell texts), header first, the `|---|` line dropped."
    tables, cur = [], []
    for line in text.splitlines() + ['']:
        if line.startswith('|'):
            cells = [c.strip() for c in line.strip().strip('|').split('|')]
            if not all(re.fullmatch(r':?-+:?', c) for c in cells): cur.append(cells)
        elif cur: tables.append(cur); cur = []
    return tables

def quotes(cell:str, value:float) -> bool:
    "Whether table cell `cell` (e.g. `**392.4**`) is `value` rounded to the cell's own number of decimals."
    s = cell.strip('* ')
    d = len(s.split('.')[1]) if '.' in s else 0
    return abs(float(s) - value) <= 0.5 * 10**-d + 1e-9

def write(path, text:str) -> Path:
    "Write `text` to `path` atomically."
    with atomic_path(path) as tmp: tmp.write_text(text, encoding='utf-8')
    return Path(path)

if __name__ == '__main__':
    if sys.argv[1:]:   # it takes no arguments: `--help` (or anything else) prints what it does and writes nothing
        print(__doc__)
        sys.exit(0 if sys.argv[1:] in (['-h'], ['--help']) else 2)
    for nb in results_notebooks():
        if refresh_results(nb): print(nb, file=sys.stderr)
    from aavae_nb.report import write_report, COMMITTED
    for b in COMMITTED['budgets']:   # the reports of the committed budgets (nbs/05_report.ipynb)
        write_report([FIGURES_DIR/n for n in COMMITTED['folders']], b, FIGURES_DIR/f'report_{b}.md',
                     [FIGURES_DIR/f for f in COMMITTED['official'].get(b, ())])
    figures, readme = figures_readme_text(), readme_text()   # read every JSON before writing
    print(write(ROOT/'README.md', readme), write(FIGURES_DIR/'README.md', figures), file=sys.stderr)
