#!/usr/bin/env bash
# Refresh static/vendor/swagger-ui/ from the swagger-ui-dist npm package.
#
# The API docs page must work on a LAN with no internet, so the Swagger UI files are
# served from our own static folder. They are taken from the published package (npm
# checks its integrity hash) rather than copied by hand, with the package's licence and
# a VERSION file so the provenance of every byte is clear. Run it from anywhere:
#     tools/vendor_swagger_ui.sh            # fetch the pinned version
#     tools/vendor_swagger_ui.sh --check    # fail if the committed files differ
set -euo pipefail

PACKAGE="swagger-ui-dist"
VERSION="5.35.0"
FILES=(swagger-ui-bundle.js swagger-ui.css LICENSE NOTICE)

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="$root/static/vendor/swagger-ui"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "$PACKAGE@$VERSION" >/dev/null)
tar -xzf "$work/$PACKAGE-$VERSION.tgz" -C "$work"

fresh="$work/fresh"
mkdir -p "$fresh"
for name in "${FILES[@]}"; do
    cp "$work/package/$name" "$fresh/$name"
done
echo "$PACKAGE $VERSION" >"$fresh/VERSION"

if [[ "${1:-}" == "--check" ]]; then
    diff -r "$fresh" "$target" && echo "static/vendor/swagger-ui matches $PACKAGE $VERSION"
    exit
fi
rm -rf "$target"
mkdir -p "$target"
cp "$fresh"/* "$target/"
echo "static/vendor/swagger-ui now holds $PACKAGE $VERSION"
