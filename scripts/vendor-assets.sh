#!/usr/bin/env bash
# Re-vendor the front-end assets from the npm registry at pinned versions and recompile
# GOV.UK Frontend's Sass with the council's font stack. The output is committed, so
# `make run` and `make test` need no npm.
set -euo pipefail

GOVUK_FRONTEND=6.3.0
HTMX=2.0.11
AXE_CORE=4.14.1
SASS=1.108.2

root=$(cd "$(dirname "$0")/.." && pwd)
vendor="$root/static/vendor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cd "$work"
npm init -y >/dev/null
npm install --no-audit --no-fund --ignore-scripts --save-exact \
  "govuk-frontend@$GOVUK_FRONTEND" "htmx.org@$HTMX" "axe-core@$AXE_CORE" "sass@$SASS" >/dev/null

rm -rf "$vendor"/govuk-frontend-* "$vendor"/htmx-* "$vendor"/axe-core-*
gf="$vendor/govuk-frontend-$GOVUK_FRONTEND"
mkdir -p "$gf" "$vendor/htmx-$HTMX" "$vendor/axe-core-$AXE_CORE"

cp "$root/static/scss/govuk-frontend.scss" "$work/govuk-frontend.scss"
npx sass --pkg-importer=node --style=compressed --no-source-map govuk-frontend.scss "$gf/govuk-frontend.min.css"
if grep -q "GDS Transport" "$gf/govuk-frontend.min.css"; then
  echo "the compiled CSS still names GDS Transport" >&2
  exit 1
fi
cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js "$gf/"
# Images the CSS refers to (not the GOV.UK crown, favicons or fonts: this is not GOV.UK).
for ref in $(grep -o 'url([^)]*)' "$gf/govuk-frontend.min.css" | sed 's/url(//; s/)//; s/"//g' | sort -u \
             | grep -v -e crest -e crown); do
  rel=${ref#/static/vendor/govuk-frontend-$GOVUK_FRONTEND/assets/}
  mkdir -p "$gf/assets/$(dirname "$rel")"
  cp "node_modules/govuk-frontend/dist/govuk/assets/$rel" "$gf/assets/$rel"
done
# govuk-frontend ships its MIT licence in the package's README.md
cp node_modules/govuk-frontend/README.md "$gf/README.md"
cp node_modules/htmx.org/dist/htmx.min.js "$vendor/htmx-$HTMX/"
cp node_modules/htmx.org/LICENSE "$vendor/htmx-$HTMX/LICENSE"
cp node_modules/axe-core/axe.min.js "$vendor/axe-core-$AXE_CORE/"
cp node_modules/axe-core/LICENSE "$vendor/axe-core-$AXE_CORE/LICENSE"

cd "$vendor"
python3 - "$GOVUK_FRONTEND" "$HTMX" "$AXE_CORE" "$SASS" <<'PY'
import hashlib, json, pathlib, sys
gf, htmx, axe, sass = sys.argv[1:]
files = {str(p): hashlib.sha256(p.read_bytes()).hexdigest()
         for p in sorted(pathlib.Path(".").rglob("*")) if p.is_file() and p.name not in ("VERSIONS.json", "README.md")}
json.dump({"govuk-frontend": gf, "htmx.org": htmx, "axe-core": axe, "sass": sass, "files": files},
          open("VERSIONS.json", "w"), indent=2)
PY
echo "vendored: govuk-frontend $GOVUK_FRONTEND (CSS compiled with sass $SASS), htmx.org $HTMX, axe-core $AXE_CORE"
