#!/usr/bin/env bash
# Fetch, HERE (a machine with pip and the internet), the wheels the lent GPU box lacks, into .whl/ (git-ignored
# through .git/info/exclude), so `bench/gpu_check.sh` can install them there with --no-index.
#   bash bench/fetch_wheels.sh          # then pass carry=[".whl"] to every device run
# The GPU image (Python 3.12, torch 2.11, torchvision 0.26) already has numpy, pandas, matplotlib, seaborn, tqdm,
# scikit-image, scikit-learn, scipy, colorama and tabulate; it lacks adabelief-pytorch (LAVAE's optimiser), a
# pure-Python wheel whose own needs (torch, colorama, tabulate) are all there, and fastcore (pure Python; needs
# packaging, there), only so that bench/run_nb.py can run the notebooks' test cells (`#| gpu` ones included) on the
# box. nbdev/papermill are not needed there: bench/run_nb.py runs the notebooks' cells and no exported module imports them.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
mkdir -p .git/info && touch .git/info/exclude
grep -qxF '/.whl/' .git/info/exclude || echo '/.whl/' >> .git/info/exclude
python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  -d .whl adabelief-pytorch==0.2.1 "fastcore>=1.12.3,<2"
ls -la .whl
for w in .whl/*.whl; do echo "$w needs:"; unzip -p "$w" '*/METADATA' | grep ^Requires-Dist || true; done
