#!/bin/sh
# Prints the fenced code block that follows `<!-- snippet: NAME -->` in a
# Markdown file, so the tests build exactly what the README shows.
# Usage: snippet.sh README.md NAME
set -eu
awk -v name="$2" '
    $0 == "<!-- snippet: " name " -->" { want = 1; next }
    want && /^```/ { if (inside) { found = 1; exit } inside = 1; next }
    inside { print }
    END { if (!found) { print "snippet " name " not found" > "/dev/stderr"; exit 1 } }
' "$1"
