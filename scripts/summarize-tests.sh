#!/usr/bin/env bash
# Passes go test output through and ends with one "N passed, M failed, K skipped" line; exits
# non-zero when a test or a package failed.
set -uo pipefail
pass=0 fail=0 skip=0 pkgfail=0
while IFS= read -r line; do
	printf '%s\n' "$line"
	case "$line" in
	*"--- PASS:"*) pass=$((pass + 1)) ;;
	*"--- FAIL:"*) fail=$((fail + 1)) ;;
	*"--- SKIP:"*) skip=$((skip + 1)) ;;
	FAIL*) pkgfail=$((pkgfail + 1)) ;;
	esac
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] && [ "$pkgfail" -eq 0 ]
