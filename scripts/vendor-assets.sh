#!/usr/bin/env bash
# Vendor the front-end assets into static/vendor/.
#
# Installs pinned npm packages into a throwaway directory, compiles GOV.UK
# Frontend's Sass with the council's font stack (Arial, no GDS Transport font
# face), copies the built files and their licences into static/vendor/, and
# records the versions and a sha256 of every vendored file in
# static/vendor/VERSIONS.json. Re-runnable: static/vendor/ is rebuilt from
# scratch on every run, so an old version's folder never lingers.
#
# Usage: bash scripts/vendor-assets.sh   (or: make vendor)
# Needs: node and npm, and access to the npm registry (npm's own config).
set -euo pipefail

GOVUK_FRONTEND_VERSION="6.3.0"
HTMX_VERSION="2.0.11"
AXE_CORE_VERSION="4.14.1"
SASS_VERSION="1.108.2"
MOJ_FRONTEND_VERSION="11.1.0"

# Images the compiled CSS may reference that are deliberately NOT vendored:
# this is a council service, not GOV.UK, so no Crown / GOV.UK branding.
# govuk-crest.svg is the Royal Coat of Arms used only by
# .govuk-footer__copyright-logo ("© Crown copyright"), which our templates
# never use.
EXCLUDED_IMAGES=("govuk-crest.svg")

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENDOR_DIR="$REPO_ROOT/static/vendor"
SCSS_SRC="$REPO_ROOT/static/scss/govuk-frontend.scss"
MOJ_SCSS_SRC="$REPO_ROOT/static/scss/moj-frontend.scss"

GOVUK_DIR_NAME="govuk-frontend-$GOVUK_FRONTEND_VERSION"
HTMX_DIR_NAME="htmx-$HTMX_VERSION"
AXE_DIR_NAME="axe-core-$AXE_CORE_VERSION"
MOJ_DIR_NAME="moj-frontend-$MOJ_FRONTEND_VERSION"
ASSETS_URL_PREFIX="/static/vendor/$GOVUK_DIR_NAME/assets/"
MOJ_ASSETS_URL_PREFIX="/static/vendor/$MOJ_DIR_NAME/assets/"

log() { printf '[vendor-assets] %s\n' "$*" >&2; }
die() { printf '[vendor-assets] ERROR: %s\n' "$*" >&2; exit 1; }

command -v node >/dev/null 2>&1 || die "node is not installed"
command -v npm >/dev/null 2>&1 || die "npm is not installed"
[[ -f "$SCSS_SRC" ]] || die "missing $SCSS_SRC"
grep -qF "\"$ASSETS_URL_PREFIX\"" "$SCSS_SRC" \
  || die "static/scss/govuk-frontend.scss must set \$govuk-assets-path: \"$ASSETS_URL_PREFIX\" (update it when bumping govuk-frontend)"
[[ -f "$MOJ_SCSS_SRC" ]] || die "missing $MOJ_SCSS_SRC"
grep -qF "\"$MOJ_ASSETS_URL_PREFIX\"" "$MOJ_SCSS_SRC" \
  || die "static/scss/moj-frontend.scss must set \$moj-assets-path: \"$MOJ_ASSETS_URL_PREFIX\" (update it when bumping MOJ Frontend)"

WORK_DIR="$(mktemp -d)"
cleanup() { rm -rf "$WORK_DIR"; }
trap cleanup EXIT

# --- 1. Install the pinned packages into the temp dir -----------------------
log "installing pinned packages in $WORK_DIR"
(
  cd "$WORK_DIR"
  npm init -y >/dev/null
  npm install --no-audit --no-fund --ignore-scripts --save-exact \
    "govuk-frontend@$GOVUK_FRONTEND_VERSION" \
    "htmx.org@$HTMX_VERSION" \
    "axe-core@$AXE_CORE_VERSION" \
    "sass@$SASS_VERSION" \
    "@ministryofjustice/frontend@$MOJ_FRONTEND_VERSION"
)
NM="$WORK_DIR/node_modules"

check_version() {
  local pkg="$1" want="$2" got
  got="$(node -p "require(process.argv[1]).version" "$NM/$pkg/package.json")"
  [[ "$got" == "$want" ]] || die "$pkg: installed $got, expected $want"
}
check_version govuk-frontend "$GOVUK_FRONTEND_VERSION"
check_version htmx.org "$HTMX_VERSION"
check_version axe-core "$AXE_CORE_VERSION"
check_version sass "$SASS_VERSION"
check_version @ministryofjustice/frontend "$MOJ_FRONTEND_VERSION"

GOVUK_DIST="$NM/govuk-frontend/dist/govuk"
STAGE="$WORK_DIR/stage"
mkdir -p "$STAGE/$GOVUK_DIR_NAME" "$STAGE/$HTMX_DIR_NAME" "$STAGE/$AXE_DIR_NAME" "$STAGE/$MOJ_DIR_NAME"

# --- 2. Compile GOV.UK Frontend's Sass ---------------------------------------
# --pkg-importer=node resolves "pkg:" URLs from the input file's directory
# upwards, so compile a copy that sits inside the temp dir.
log "compiling static/scss/govuk-frontend.scss with sass $SASS_VERSION"
mkdir -p "$WORK_DIR/scss"
cp "$SCSS_SRC" "$WORK_DIR/scss/govuk-frontend.scss"
CSS_OUT="$STAGE/$GOVUK_DIR_NAME/govuk-frontend.min.css"
(
  cd "$WORK_DIR"
  ./node_modules/.bin/sass --pkg-importer=node --style=compressed --no-source-map \
    scss/govuk-frontend.scss "$CSS_OUT"
)
[[ -s "$CSS_OUT" ]] || die "compiled CSS is empty"
if grep -q "GDS Transport" "$CSS_OUT"; then die "compiled CSS still mentions GDS Transport"; fi
if grep -q "@font-face" "$CSS_OUT"; then die "compiled CSS still contains @font-face"; fi

# --- 3. GOV.UK Frontend JS and the images the CSS references ----------------
# The .map is copied too: the minified JS ends with a sourceMappingURL comment,
# and keeping the JS byte-identical to the published package is worth more
# than the few hundred KB.
cp "$GOVUK_DIST/govuk-frontend.min.js" "$GOVUK_DIST/govuk-frontend.min.js.map" "$STAGE/$GOVUK_DIR_NAME/"

is_excluded() {
  local name="$1" x
  for x in "${EXCLUDED_IMAGES[@]}"; do [[ "$name" == "$x" ]] && return 0; done
  return 1
}

# Every url() in the CSS must be a data: URI, an image we copy, or an image we
# have deliberately excluded. Fonts are never copied (there should be none).
mapfile -t CSS_URLS < <(grep -oE 'url\([^)]*\)' "$CSS_OUT" | sed -E 's/^url\(["'"'"']?//; s/["'"'"']?\)$//' | sort -u || true)
for url in "${CSS_URLS[@]}"; do
  [[ -n "$url" ]] || continue
  case "$url" in
    data:*) continue ;;
    "$ASSETS_URL_PREFIX"*) ;;
    *) die "compiled CSS references an unexpected url(): $url" ;;
  esac
  rel="${url#"$ASSETS_URL_PREFIX"}"
  case "$rel" in
    images/*) ;;
    *) die "compiled CSS references a non-image asset: $url" ;;
  esac
  if is_excluded "$(basename "$rel")"; then
    log "not vendoring $rel (GOV.UK/Crown branding; referenced only by unused CSS)"
    continue
  fi
  [[ -f "$GOVUK_DIST/assets/$rel" ]] || die "CSS references $rel but the package has no such asset"
  mkdir -p "$(dirname "$STAGE/$GOVUK_DIR_NAME/assets/$rel")"
  cp "$GOVUK_DIST/assets/$rel" "$STAGE/$GOVUK_DIR_NAME/assets/$rel"
  log "vendored asset $rel"
done

# Confirm the JS is the ES module app.mjs expects (exports initAll/createAll).
# It is a browser module: stub the DOM classes it touches at the top level.
cp "$GOVUK_DIST/govuk-frontend.min.js" "$WORK_DIR/govuk-frontend-check.mjs"
if ! node --input-type=module -e '
  for (const name of ["Element", "Document", "HTMLElement", "HTMLAnchorElement",
    "HTMLButtonElement", "HTMLInputElement", "HTMLTextAreaElement", "HTMLFormElement"]) {
    globalThis[name] ??= class {};
  }
  const m = await import(process.argv[1]);
  for (const name of ["initAll", "createAll"]) {
    if (typeof m[name] !== "function") throw new Error("missing export " + name);
  }
  if (m.version !== process.argv[2]) throw new Error("version export is " + m.version);
' "file://$WORK_DIR/govuk-frontend-check.mjs" "$GOVUK_FRONTEND_VERSION" 2>"$WORK_DIR/js-check.err"; then
  grep -E '^[A-Za-z]*Error' "$WORK_DIR/js-check.err" >&2 || true
  die "govuk-frontend.min.js is not the expected ES module"
fi

# --- 4. htmx -----------------------------------------------------------------
cp "$NM/htmx.org/dist/htmx.min.js" "$STAGE/$HTMX_DIR_NAME/htmx.min.js"

# --- 5. axe-core (browser tests only) ----------------------------------------
cp "$NM/axe-core/axe.min.js" "$STAGE/$AXE_DIR_NAME/axe.min.js"

# --- 5b. MOJ Frontend (the case-working patterns: filter layout, sub navigation, identity bar,
# timeline, page header actions) -----------------------------------------------------------
# Compiled from static/scss/moj-frontend.scss with the council's fonts. MOJ Frontend loads GOV.UK
# Frontend's settings from node_modules/, hence the load paths. It outputs only the MOJ components
# the scss file names, beside GOV.UK Frontend's CSS.
log "compiling static/scss/moj-frontend.scss"
cp "$MOJ_SCSS_SRC" "$WORK_DIR/scss/moj-frontend.scss"
MOJ_CSS_OUT="$STAGE/$MOJ_DIR_NAME/moj-frontend.min.css"
(
  cd "$WORK_DIR"
  ./node_modules/.bin/sass --load-path=. --load-path=node_modules --quiet-deps --silence-deprecation=import \
    --style=compressed --no-source-map scss/moj-frontend.scss "$MOJ_CSS_OUT" 2>/dev/null
)
[[ -s "$MOJ_CSS_OUT" ]] || die "compiled MOJ CSS is empty"
if grep -q "GDS Transport" "$MOJ_CSS_OUT"; then die "compiled MOJ CSS still mentions GDS Transport"; fi
if grep -q "@font-face" "$MOJ_CSS_OUT"; then die "compiled MOJ CSS still contains @font-face"; fi
MOJ_DIST="$NM/@ministryofjustice/frontend/moj"
mapfile -t MOJ_URLS < <(grep -oE 'url\([^)]*\)' "$MOJ_CSS_OUT" | sed -E 's/^url\(["'"'"']?//; s/["'"'"']?\)$//' | sort -u || true)
for url in "${MOJ_URLS[@]}"; do
  [[ -n "$url" ]] || continue
  case "$url" in
    data:*) continue ;;
    "$MOJ_ASSETS_URL_PREFIX"images/*) ;;
    *) die "compiled MOJ CSS references an unexpected url(): $url" ;;
  esac
  rel="${url#"$MOJ_ASSETS_URL_PREFIX"}"
  [[ -f "$MOJ_DIST/assets/$rel" ]] || die "MOJ CSS references $rel but the package has no such asset"
  mkdir -p "$(dirname "$STAGE/$MOJ_DIR_NAME/assets/$rel")"
  cp "$MOJ_DIST/assets/$rel" "$STAGE/$MOJ_DIR_NAME/assets/$rel"
done
# The ES module (no imports of its own): app.mjs starts its filter toggle and button menus.
cp "$MOJ_DIST/moj-frontend.min.js" "$MOJ_DIST/moj-frontend.min.js.map" "$STAGE/$MOJ_DIR_NAME/"
grep -q 'export{[^}]*FilterToggleButton' "$STAGE/$MOJ_DIR_NAME/moj-frontend.min.js" \
  || die "moj-frontend.min.js does not export FilterToggleButton"

# --- 6. Licences -------------------------------------------------------------
# The govuk-frontend npm package ships no licence file (package.json says
# "license": "MIT"), so write the upstream repository's LICENSE.txt text.
cat >"$STAGE/$GOVUK_DIR_NAME/LICENSE.txt" <<'EOF'
The MIT License (MIT)

Copyright (C) 2017 Crown Copyright (Government Digital Service)

Permission is hereby granted, free of charge, to any person obtaining a copy of
this software and associated documentation files (the "Software"), to deal in
the Software without restriction, including without limitation the rights to
use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies
of the Software, and to permit persons to whom the Software is furnished to do
so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
EOF
cp "$NM/htmx.org/LICENSE" "$STAGE/$HTMX_DIR_NAME/LICENSE.txt"
# MOJ Frontend's package ships no licence file either ("license": "MIT"); the upstream text:
sed 's/Copyright (C) 2017 Crown Copyright (Government Digital Service)/Copyright (c) 2019 Crown Copyright (Ministry of Justice)/' \
  "$STAGE/$GOVUK_DIR_NAME/LICENSE.txt" >"$STAGE/$MOJ_DIR_NAME/LICENSE.txt"
cp "$NM/axe-core/LICENSE" "$STAGE/$AXE_DIR_NAME/LICENSE.txt"
# axe.min.js bundles third-party code; its notices travel with it.
cp "$NM/axe-core/LICENSE-3RD-PARTY.txt" "$STAGE/$AXE_DIR_NAME/LICENSE-3RD-PARTY.txt"

# --- 7. VERSIONS.json and README.md ------------------------------------------
node - "$STAGE" "$GOVUK_FRONTEND_VERSION" "$HTMX_VERSION" "$AXE_CORE_VERSION" "$SASS_VERSION" "$MOJ_FRONTEND_VERSION" <<'EOF' >"$STAGE/VERSIONS.json"
const fs = require("fs");
const path = require("path");
const crypto = require("crypto");
const [stage, govuk, htmx, axe, sass, moj] = process.argv.slice(2);
const files = {};
function walk(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full);
    else files[path.relative(stage, full).split(path.sep).join("/")] =
      crypto.createHash("sha256").update(fs.readFileSync(full)).digest("hex");
  }
}
walk(stage);
const sorted = Object.fromEntries(Object.keys(files).sort().map((k) => [k, files[k]]));
const out = {
  "govuk-frontend": govuk,
  "htmx.org": htmx,
  "axe-core": axe,
  "sass": sass,
  "@ministryofjustice/frontend": moj,
  "files": sorted,
};
process.stdout.write(JSON.stringify(out, null, 2) + "\n");
EOF

cat >"$STAGE/README.md" <<EOF
# Vendored front-end assets

Generated by \`bash scripts/vendor-assets.sh\` (also \`make vendor\`). Do not edit
by hand: change the pinned versions in the script and re-run it. No CDN is used;
everything is served from here.

| package | version | files |
| --- | --- | --- |
| govuk-frontend | $GOVUK_FRONTEND_VERSION | \`$GOVUK_DIR_NAME/\`: \`govuk-frontend.min.css\` (compiled here), \`govuk-frontend.min.js\` (+ \`.map\`), \`LICENSE.txt\` |
| htmx.org | $HTMX_VERSION | \`$HTMX_DIR_NAME/htmx.min.js\`, \`LICENSE.txt\` |
| axe-core | $AXE_CORE_VERSION | \`$AXE_DIR_NAME/axe.min.js\`, licences (browser tests only, never served to users) |
| @ministryofjustice/frontend | $MOJ_FRONTEND_VERSION | \`$MOJ_DIR_NAME/\`: \`moj-frontend.min.css\` (compiled here from \`static/scss/moj-frontend.scss\`), \`moj-frontend.min.js\` (+ \`.map\`), the icons its CSS uses, \`LICENSE.txt\` |
| sass | $SASS_VERSION | not vendored: only used to compile the CSS |

\`VERSIONS.json\` records these versions and the sha256 of every file above
(paths relative to this folder), so a test can check nothing drifted.

## The CSS

\`govuk-frontend.min.css\` is compiled from \`static/scss/govuk-frontend.scss\`
rather than copied from the package. This is a council service, not GOV.UK, so
it uses Arial (\`\$govuk-font-family: (arial, sans-serif)\`) and leaves out the
GDS Transport font face (\`\$govuk-include-default-font-face: false\`). No fonts,
crown, crest, GOV.UK favicons, app icons or manifest are vendored. The only
image the CSS refers to is the Royal Coat of Arms (\`govuk-crest.svg\`, used by
\`.govuk-footer__copyright-logo\` for "© Crown copyright"); it is deliberately
not vendored, so do not use that class.

## Re-vendoring

    bash scripts/vendor-assets.sh

It installs the pinned packages with npm in a temporary directory, rebuilds this
folder from scratch (old version folders are removed) and checks the CSS has no
GDS Transport or @font-face. When bumping govuk-frontend, also update the
\`\$govuk-assets-path\` in \`static/scss/govuk-frontend.scss\` and the paths in
\`templates/base.html\` and \`static/js/app.mjs\`.
EOF

# --- 8. Replace static/vendor/ with the staged tree --------------------------
# Everything was built and checked in the temp dir first, so a failed run
# leaves the existing static/vendor/ untouched.
mkdir -p "$VENDOR_DIR"
find "$VENDOR_DIR" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
cp -R "$STAGE/." "$VENDOR_DIR/"
find "$VENDOR_DIR" -type d -exec chmod 0755 {} +
find "$VENDOR_DIR" -type f -exec chmod 0644 {} +

log "done; static/vendor now holds:"
(
  cd "$VENDOR_DIR"
  find . -type f | sort | while read -r f; do
    f="${f#./}"
    case "$f" in
      *.css|*.js) printf '  %-48s %9d bytes  (%d gzip)\n' "$f" "$(wc -c <"$f")" "$(gzip -9c "$f" | wc -c)" ;;
      *) printf '  %-48s %9d bytes\n' "$f" "$(wc -c <"$f")" ;;
    esac
  done
) >&2
