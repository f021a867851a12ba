#!/usr/bin/env bash
# The one prepared GPU check of aavae-nb (bench/gpu_check.py: its header has the time plan; bench/README.md what comes
# back). On the lent box, through the device tool, carrying the wheels bench/fetch_wheels.sh fetched:
#
#   run(command="bash bench/gpu_check.sh", carry=[".whl"], timeout_s=600)          # ~9 min, <= 8 files in $OUT
#   run(command="bash bench/gpu_check.sh --budget 200 --parts t1,lavae", ...)      # a shorter rerun of some parts
#   bash bench/gpu_check.sh --dry-run                                              # here, on the CPU (~1 min)
#
# The box has no nbdev/fastcore/papermill/adabelief: the carried wheels go to /tmp/site (the package needs fastcore,
# a declared dependency, for `@patch`; nothing else; LAVAE's loops use the library's own AdaBelief). Arguments pass through to bench/gpu_check.py.
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1 MPLBACKEND=Agg
export TORCHINDUCTOR_CACHE_DIR=${TORCHINDUCTOR_CACHE_DIR:-/tmp/inductor_cache} TORCHINDUCTOR_FX_GRAPH_CACHE=1
if compgen -G ".whl/*.whl" >/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    && export PYTHONPATH=$PYTHONPATH:/tmp/site || echo "WARNING: installing .whl/ failed; the check runs without it"
fi
python3 -c 'import fastcore' 2>/dev/null || {   # every module imports it: fail now, not after minutes of device time
  echo "FATAL: fastcore is not importable: run bash bench/fetch_wheels.sh here, then call with carry=[\".whl\"]"; exit 2; }
exec python3 bench/gpu_check.py "$@"
