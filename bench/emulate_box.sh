#!/usr/bin/env bash
# Run the library's notebook tests HERE, on the CPU, under the lent GPU box's Python and torch (3.12, torch 2.11,
# torchvision 0.26; this machine's project venv has 3.11 and torch 2.14), so that a torch API or a behaviour the older
# torch lacks fails here instead of in a 15-minute device session. CUDA-only cells (`#| gpu`) cannot run on a CPU;
# `bench/check_imports.py` (run first) at least resolves every torch name the package uses on that torch.
#
#   bash bench/emulate_box.sh                   # all numbered notebooks, ~7 min on 2 cores (1 torch thread)
#   bash bench/emulate_box.sh lavae/03_train    # some of them
#   BOX_VENV=/tmp/box_venv BOX_PYTHON=python3.12 # where the venv goes (built once, a few GB: torch's CUDA build) and from what
#
# The venv holds torch 2.11 + torchvision 0.26 and the box's packages this code uses (numpy, pandas, matplotlib,
# seaborn, tqdm, scikit-image, scikit-learn, tabulate, colorama, packaging), plus papermill for 00_core's
# parameter-cell test; adabelief-pytorch and fastcore come from `.whl/` as on the box (bench/fetch_wheels.sh).
# Writes one log per notebook and a summary under runs/emulate_box/; exit status 1 if any notebook fails.
set -uo pipefail
cd "$(git rev-parse --show-toplevel)"
V=${BOX_VENV:-/tmp/box_venv}
PY=${BOX_PYTHON:-}   # else a working python3.12, else pyenv's 3.12
[ -n "$PY" ] || { python3.12 -c '' 2>/dev/null && PY=python3.12; }
[ -n "$PY" ] || PY=$(ls -d "$(pyenv root 2>/dev/null || echo ~/.pyenv)"/versions/3.12*/bin/python 2>/dev/null | tail -1)
PY=${PY:-python3.12}
if [ ! -x "$V/bin/python" ]; then
  "$PY" -m venv "$V" || { echo "cannot make a venv with $PY: set BOX_PYTHON to a Python 3.12"; exit 2; }
  "$V/bin/pip" install -q torch==2.11.0 torchvision==0.26.0 numpy pandas matplotlib seaborn tqdm scikit-image \
    scikit-learn tabulate colorama packaging papermill || { rm -rf "$V"; echo "venv install failed (removed $V)"; exit 2; }
fi
compgen -G ".whl/*.whl" >/dev/null || bash bench/fetch_wheels.sh >/dev/null
SITE=$(mktemp -d)
"$V/bin/python" -m pip install -q --no-index --no-deps --no-compile --target "$SITE" .whl/*.whl || exit 2
export PYTHONPATH=$PWD:$SITE MPLBACKEND=Agg PYTHONUNBUFFERED=1 OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
L=runs/emulate_box; mkdir -p "$L"; S=$L/summary.log
{ "$V/bin/python" -c "import sys, torch, torchvision; print('python', sys.version.split()[0], 'torch', torch.__version__, 'torchvision', torchvision.__version__)"
  git rev-parse --short HEAD; } | tee "$S"
"$V/bin/python" bench/check_imports.py > "$L/check_imports.log" 2>&1; rc=$?
echo "check_imports exit $rc: $(tail -1 "$L/check_imports.log")" | tee -a "$S"
nbs=("$@"); [ ${#nbs[@]} -gt 0 ] || nbs=($(cd nbs && ls {,aavae/,lavae/}[0-9][0-9]_*.ipynb | sed 's/\.ipynb$//'))
for nb in "${nbs[@]}"; do
  t=$(date +%s); timeout 900 "$V/bin/python" bench/run_nb.py "nbs/$nb.ipynb" > "$L/${nb//\//_}.log" 2>&1; e=$?
  [ $e -ne 0 ] && rc=1
  echo "$nb exit $e in $(( $(date +%s) - t )) s" | tee -a "$S"
done
rm -rf "$SITE"
echo "$([ $rc -eq 0 ] && echo PASSED || echo FAILED): logs in $L/" | tee -a "$S"
exit $rc
