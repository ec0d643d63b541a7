#!/usr/bin/env bash
# clean-netns.sh: delete network namespaces left behind by an e2e run or a
# demo that was killed before its cleanup ran (nnt-e-*, nnt-demo-*). Other
# suites' namespaces (nnt-c-*, nnt-n-*, nnt-b-*) are left alone: they may be
# in use. Do not run it while an e2e run or a demo is in progress.
set -euo pipefail
for ns in $(ip netns list | awk '{print $1}' | grep -E '^nnt-(e|demo)-' || true); do
	echo "deleting netns $ns"
	ip netns del "$ns"
done
