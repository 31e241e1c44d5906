#!/usr/bin/env bash
# ensure-stacks.sh installs what the real-server suite (realstack) needs, and
# nothing when it is all there: Debian's nginx, Apache httpd (apache2-bin),
# Caddy, and the Python frameworks run by /usr/bin/python3 (Django with
# django-cors-headers, Flask with Flask-CORS, Starlette under uvicorn), plus
# the suite's npm packages (Express + cors, Fastify + @fastify/cors; npm ci,
# re-run when realstack/node/package-lock.json changes). The Go middleware
# come through go.mod. It prints nothing on success; on failure it prints the
# failing step's output and exits non-zero.
#
# It installs apache2-bin rather than apache2 so that no service scripts or
# default sites come along: the suite runs every server itself, unprivileged
# port, own config, no systemd.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
nodedir=$root/realstack/node
log=$(mktemp)
trap 'rm -f "$log"' EXIT

fail() {
	echo "ensure-stacks: $*" >&2
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

py=/usr/bin/python3
# pymod MODULE: is MODULE importable by Debian's python3 (not a pyenv shim)?
pymod() { [[ -x $py ]] && "$py" -c "import $1" >/dev/null 2>&1; }

packages=()
[[ -x /usr/sbin/nginx ]] || packages+=(nginx)
[[ -x /usr/sbin/apache2 ]] || packages+=(apache2-bin)
[[ -x /usr/bin/caddy ]] || packages+=(caddy)
pymod django || packages+=(python3-django)
pymod corsheaders || packages+=(python3-django-cors-headers)
pymod flask || packages+=(python3-flask)
pymod flask_cors || packages+=(python3-flask-cors)
pymod starlette || packages+=(python3-starlette)
pymod uvicorn || packages+=(python3-uvicorn)
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)
if ((${#packages[@]})); then
	export DEBIAN_FRONTEND=noninteractive
	step as_root apt-get update
	step as_root apt-get install -y --no-install-recommends "${packages[@]}"
	for exe in /usr/sbin/nginx /usr/sbin/apache2 /usr/bin/caddy; do
		[[ -x $exe ]] || fail "$exe is still missing after apt-get install ${packages[*]}"
	done
	for m in django corsheaders flask flask_cors starlette uvicorn; do
		pymod "$m" || fail "$py cannot import $m after apt-get install ${packages[*]}"
	done
fi

# npm ci when node_modules is missing or was installed from another lock file.
lock_sum=$(sha256sum "$nodedir/package-lock.json" | cut -d' ' -f1)
stamp=$nodedir/node_modules/.corsdoctor-lock.sha256
if [[ ! -f $stamp || $(cat "$stamp") != "$lock_sum" ]]; then
	step npm ci --prefix "$nodedir" --no-audit --no-fund --ignore-scripts
	echo "$lock_sum" >"$stamp"
fi

# Prove each stack loads.
step node -e "require('$nodedir/node_modules/express'); require('$nodedir/node_modules/cors'); require('$nodedir/node_modules/fastify'); require('$nodedir/node_modules/@fastify/cors')"
step /usr/sbin/nginx -v
step /usr/sbin/apache2 -v
step /usr/bin/caddy version
