#!/usr/bin/env bash
# CI step (issue 21): are pyproject.toml's dependency floors true? Installs the lowest version of
# every dependency it allows (.ci/floors.py: `name==floor` as pip constraints) into a fresh virtual
# environment, then checks (CSV and Parquet), trains, predicts, reports and tunes on a sample: a
# floor that does not install or does not work fails here. About 5 minutes on 2 cores: the install
# 2-3 (TensorFlow is most of the download), the smoke test about 2.
#   bash .ci/lowest.sh            # venv in .ci/venv-lowest (LOWEST_VENV=/other/path to move it)
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${LOWEST_VENV:-.ci/venv-lowest}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
start=$SECONDS

rm -rf "$venv"
python3 -m venv "$venv"
. "$venv/bin/activate"
python -m pip install --quiet --upgrade pip
python .ci/floors.py pyproject.toml > "$work/floors.txt"
echo "Lowest versions pyproject.toml allows:"; sed 's/^/  /' "$work/floors.txt"
pip install --quiet -e . --constraint "$work/floors.txt"
python .ci/floors.py --check pyproject.toml > /dev/null  # every dependency at its floor, none above
echo "installed in $((SECONDS - start)) s; smoke test on data/energy_demand.csv:"

forecast doctor data/energy_demand.csv --target demand > "$work/doctor.txt"
python -c "import pandas, sys; pandas.read_csv(sys.argv[1]).to_parquet(sys.argv[2])" \
  data/energy_demand.csv "$work/energy_demand.parquet"  # pyarrow's floor writes and reads it
forecast doctor "$work/energy_demand.parquet" --target demand > "$work/doctor-parquet.txt"
forecast train data/energy_demand.csv --target demand --epochs 1 --time-budget 20 \
  --out "$work/model" > "$work/train.txt"
forecast predict "$work/model" --out "$work/forecast.csv" --plot "$work/forecast.png" > /dev/null
forecast report "$work/model" --out "$work/report.html" > /dev/null
forecast tune data/energy_demand.csv --target demand --time-budget 30 --trials 2 --no-report \
  --out "$work/tuned" > "$work/tune.txt"  # keras-tuner's floor
python - "$work" <<'PY'
import json, math, sys
from pathlib import Path

import pandas as pd

work = Path(sys.argv[1])
meta = json.loads((work / "model" / "bundle.json").read_text())
horizon = meta["preprocessor"]["horizon"]
forecast = pd.read_csv(work / "forecast.csv")
assert len(forecast) > 0 and forecast["forecast"].map(math.isfinite).all(), forecast.head()
assert len(forecast) == horizon, (len(forecast), horizon)
assert "val_loss" in meta["history"], f"trained without validation: {list(meta['history'])}"
assert (work / "forecast.png").stat().st_size > 0
assert "<html" in (work / "report.html").read_text(encoding="utf-8")[:2000].lower()
assert (work / "tuned" / "bundle.json").exists()
print(f"  doctor, train, predict ({len(forecast)} steps), report, tune: ok")
PY
echo "lowest versions: passed in $((SECONDS - start)) s"
