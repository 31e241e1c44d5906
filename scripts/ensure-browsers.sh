#!/usr/bin/env bash
# ensure-browsers.sh installs what the browser tests need, and nothing when it
# is all there: Debian's chromium and firefox-esr, node and npm, and the
# harness's node_modules (npm ci, re-run when package-lock.json changes).
# It prints nothing on success; on failure it prints the failing step's output
# and exits non-zero.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
harness=$root/browsertest/harness
log=$(mktemp)
trap 'rm -f "$log"' EXIT

fail() {
	echo "ensure-browsers: $*" >&2
	if [[ -s $log ]]; then
		echo "---- output ----" >&2
		tail -n 200 "$log" >&2
	fi
	exit 1
}

# step runs a command with its output kept for fail().
step() {
	: >"$log"
	"$@" >>"$log" 2>&1 || fail "failed: $*"
}

as_root() {
	if [[ $(id -u) -eq 0 ]]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo --non-interactive "$@"
	else
		fail "need root (or sudo) to run: $*"
	fi
}

packages=()
[[ -x /usr/bin/chromium ]] || packages+=(chromium)
[[ -x /usr/bin/firefox-esr ]] || packages+=(firefox-esr)
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)
if ((${#packages[@]})); then
	export DEBIAN_FRONTEND=noninteractive
	step as_root apt-get update
	step as_root apt-get install -y "${packages[@]}"
	for exe in /usr/bin/chromium /usr/bin/firefox-esr; do
		[[ -x $exe ]] || fail "$exe is still missing after apt-get install ${packages[*]}"
	done
fi

# npm ci when node_modules is missing or was installed from another lock file.
lock_sum=$(sha256sum "$harness/package-lock.json" | cut -d' ' -f1)
stamp=$harness/node_modules/.corsdoctor-lock.sha256
if [[ ! -f $stamp || $(cat "$stamp") != "$lock_sum" ]]; then
	# puppeteer-core downloads nothing; the variable guards against a future
	# dependency that would try to fetch a browser build.
	step env PUPPETEER_SKIP_DOWNLOAD=1 npm ci --prefix "$harness" --no-audit --no-fund --ignore-scripts
	echo "$lock_sum" >"$stamp"
fi

# Prove the harness can load puppeteer-core and find both browsers.
for browser in chromium firefox; do
	step node "$harness/harness.mjs" --check --browser "$browser"
done
