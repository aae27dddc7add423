#!/bin/sh
# Api and Silo are published to two folders (each has its own appsettings.json, so one folder cannot hold both); the
# secondary's files that are byte-for-byte the primary's (ASP.NET Core's packages, Orleans, the contracts, ...) become
# relative links to them, so the image carries one copy of each.
# usage: share-files.sh PRIMARY-DIR SECONDARY-DIR   (sibling folders)
set -eu
primary=$1
secondary=$2
name=$(basename "$primary")
cd "$secondary"
find . -type f | while read -r file; do
    rel=${file#./}
    if cmp -s "$rel" "../$name/$rel"; then
        up=$(echo "$rel" | sed -e 's|[^/]*/|../|g' -e 's|[^/]*$||')
        ln -sf "${up}../$name/$rel" "$rel"
    fi
done
echo "$(find . -type l | wc -l) files of $secondary shared with $primary, $(find . -type f | wc -l) its own"
