#!/usr/bin/env bash
# Spyre's one entry point for installing, demoing and testing.
#
#   ./setup.sh          production install on Debian/Ubuntu (systemd service, environment.yaml, SSH key)
#   ./setup.sh demo     run Spyre locally against the bundled Proxmox simulator (foreground; Ctrl-C stops)
#   ./setup.sh test     install everything the tests need and run the whole suite
#   ./setup.sh upgrade  pull, install, build, restart; rolls back if /healthz fails (--help for options)
#   ./setup.sh backup [DIR]  online backup of the database, configs, environment.yaml and SSH keys
#
# Idempotent: every step checks before it acts. Works as root or through sudo.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"

NODE_MIN_MAJOR=20
NODE_MIN_MINOR=19
NODE_MAX_MAJOR=24

say() { printf '\033[1;36m==>\033[0m %s\n' "$*"; }
warn() { printf '\033[1;33mwarning:\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 || die "run as root, or install sudo"
	SUDO="sudo"
fi

# ---------------------------------------------------------------------------------------------------
# Shared steps

check_node() {
	command -v node >/dev/null 2>&1 || die "Node.js is not installed. Install Node ${NODE_MIN_MAJOR}.${NODE_MIN_MINOR}+ (22 or 24 LTS work too), then re-run."
	local v major minor
	v="$(node -p 'process.versions.node')"
	major="${v%%.*}"; minor="$(echo "$v" | cut -d. -f2)"
	if [ "$major" -lt "$NODE_MIN_MAJOR" ] || { [ "$major" -eq "$NODE_MIN_MAJOR" ] && [ "$minor" -lt "$NODE_MIN_MINOR" ]; }; then
		die "Node $v is too old: Spyre needs >= ${NODE_MIN_MAJOR}.${NODE_MIN_MINOR}."
	fi
	[ "$major" -le "$NODE_MAX_MAJOR" ] || warn "Node $v is newer than tested (up to ${NODE_MAX_MAJOR}.x)."
	command -v npm >/dev/null 2>&1 || die "npm is missing (it ships with Node.js)."
}

# apt_install PKG... — installs only the Debian packages that are missing.
apt_install() {
	local missing=()
	for pkg in "$@"; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
	done
	[ "${#missing[@]}" -eq 0 ] && return 0
	command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install ${missing[*]} with your package manager, then re-run."
	say "Installing system packages: ${missing[*]}"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

npm_install() {
	local stamp="node_modules/.package-lock.json"
	if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ package.json -nt "$stamp" ]; then
		say "Installing npm dependencies (native modules build from source, about a minute)"
		# `npm install`, not `npm ci`: npm 11 writes lock files without other platforms' optional packages
		# (rollup's native builds) and its own `npm ci` then rejects them as out of sync. `npm install`
		# still installs exactly the versions package-lock.json pins.
		# JOBS: node-gyp compiles a native module's sources in parallel (better-sqlite3 has two large ones).
		JOBS=max npm install --no-audit --no-fund --loglevel=error
	fi
}

build_app() {
	local newest
	newest="$(find src static svelte.config.js vite.config.ts package-lock.json -newer build/handler.js -print -quit 2>/dev/null || true)"
	if [ ! -f build/handler.js ] || [ -n "$newest" ]; then
		say "Building Spyre"
		npx svelte-kit sync >/dev/null
		npx vite build --logLevel warn
	fi
}

# ensure_ssh_key DIR — Spyre's own key pair, injected into every container it creates.
ensure_ssh_key() {
	local dir="$1"
	mkdir -p "$dir"
	chmod 700 "$dir"
	if [ ! -f "$dir/id_ed25519" ]; then
		say "Creating Spyre's SSH key pair in $dir"
		ssh-keygen -q -t ed25519 -N '' -C "spyre@$(hostname)" -f "$dir/id_ed25519"
	fi
}

# build_templates — the simulator's container templates, built once per machine outside the clone
# (SPYRE_SIM_TEMPLATES, default /var/cache/spyre-sim/templates) and again only when their recipe changes.
build_templates() {
	$SUDO env SPYRE_SIM_TEMPLATES="${SPYRE_SIM_TEMPLATES:-/var/cache/spyre-sim/templates}" "$ROOT/scripts/build-templates.sh"
}

ensure_sshd_runtime() {
	# sshd refuses to start without its privilege-separation directory.
	[ -d /run/sshd ] || $SUDO mkdir -p -m 0755 /run/sshd
}

# ---------------------------------------------------------------------------------------------------
# ./setup.sh demo

SIM_PID=""
SPYRE_PID=""
PROXY_PID=""
CADDY_PID=""
stop_demo() {
	trap - INT TERM EXIT
	[ -n "$SPYRE_PID" ] && kill -TERM "$SPYRE_PID" 2>/dev/null && wait "$SPYRE_PID" 2>/dev/null || true
	[ -n "$CADDY_PID" ] && kill -TERM "$CADDY_PID" 2>/dev/null && wait "$CADDY_PID" 2>/dev/null || true
	[ -n "$PROXY_PID" ] && kill -TERM "$PROXY_PID" 2>/dev/null && wait "$PROXY_PID" 2>/dev/null || true
	[ -n "$SIM_PID" ] && kill -TERM "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null || true
	say "Demo stopped. Containers are kept; the next ./setup.sh demo finds them again."
}

# start_demo_caddy DIR BIND SITE PORT APP_PORT ADMIN_PORT — Caddy in front of the demo's Spyre, plain http,
# listening on BIND:PORT: Spyre's site at SITE:PORT (localhost:PORT redirects there, so Spyre keeps one
# origin), service hosts <service>--<hostname>.localhost:PORT (routes added by Spyre over the admin API), any
# other name under .localhost a 404. Browsers treat http://127.0.0.1 and *.localhost as secure contexts, so
# the __Host- cookies work without TLS. Its state (and the config it autosaves) stays in DIR.
start_demo_caddy() {
	local dir="$1" bind="$2" site="$3" port="$4" appport="$5" admin="$6"
	mkdir -p "$dir"
	{
		echo "# Written by ./setup.sh demo at every start."
		printf '{\n\tadmin 127.0.0.1:%s\n\tauto_https off\n}\n' "$admin"
		printf 'http://%s:%s {\n\tbind %s\n\treverse_proxy 127.0.0.1:%s\n}\n' "$site" "$port" "$bind" "$appport"
		[ "$site" = localhost ] || printf 'http://localhost:%s {\n\tbind %s\n\tredir http://%s:%s{uri}\n}\n' "$port" "$bind" "$site" "$port"
		printf 'http://*.localhost:%s {\n\tbind %s\n\trespond "No such service in this Spyre demo." 404\n}\n' "$port" "$bind"
	} >"$dir/Caddyfile"
	say "Starting Caddy on port $port (admin API on 127.0.0.1:$admin, log in $dir/caddy.log)"
	HOME="$dir" XDG_DATA_HOME="$dir" XDG_CONFIG_HOME="$dir" caddy run --config "$dir/Caddyfile" --adapter caddyfile >"$dir/caddy.log" 2>&1 &
	CADDY_PID=$!
	for _ in $(seq 1 50); do
		http_ok "http://127.0.0.1:$admin/config/" && return 0
		kill -0 "$CADDY_PID" 2>/dev/null || die "Caddy exited (is port $port or $admin free? set PORT=... or CADDY_ADMIN_PORT=...): $(tail -n 3 "$dir/caddy.log")"
		sleep 0.2
	done
	die "Caddy did not start within 10 s: $(tail -n 3 "$dir/caddy.log")"
}

# http_ok URL — true when URL answers 2xx (asked with node, so the demo needs no curl).
http_ok() {
	node -e 'fetch(process.argv[1], { signal: AbortSignal.timeout(2000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$1"
}

cmd_demo() {
	check_node
	apt_install openssh-server openssh-client tmux openssl gcc libc6-dev iproute2 nftables caddy debootstrap zstd
	ensure_sshd_runtime
	build_templates
	npm_install
	build_app

	local demo="${SPYRE_DEMO_DIR:-$ROOT/.demo}"
	local data="$demo/data" simstate="$demo/sim"
	local port="${PORT:-3000}" host="${HOST:-127.0.0.1}" simport="${SIM_PORT:-8006}" aptport="${APT_PROXY_PORT:-3142}"
	# The Claude credential broker listens on the simulator's bridge gateway too.
	local brokerport="${BROKER_PORT:-3101}"
	# Caddy serves the URL people open (PORT): Spyre's own pages and, on hosts of their own, the environments'
	# services. Spyre itself listens on SPYRE_APP_PORT behind it; Caddy's admin API is on loopback only.
	local appport="${SPYRE_APP_PORT:-3001}" caddyadmin="${CADDY_ADMIN_PORT:-2999}"
	mkdir -p "$data" "$simstate"
	chmod 700 "$demo"
	ensure_ssh_key "$data/ssh"

	say "Starting the Proxmox VE simulator (state in $simstate)"
	rm -f "$simstate/sim.json"
	# CTs reach the host only at the simulator's gateway, and there only on the package proxy's and the
	# credential broker's ports.
	node --import tsx sim/pve/main.ts --port "$simport" --state "$simstate" --nodes "${SIM_NODES:-pve}" --gateway-ports "$aptport,$brokerport" &
	SIM_PID=$!
	trap stop_demo INT TERM EXIT
	for _ in $(seq 1 100); do
		[ -f "$simstate/sim.json" ] && break
		kill -0 "$SIM_PID" 2>/dev/null || die "the simulator exited; see the lines above (is port $simport free? set SIM_PORT=...)"
		sleep 0.2
	done
	[ -f "$simstate/sim.json" ] || die "the simulator did not start within 20 s"

	# The package proxy on the simulator's gateway: demo CTs install from Debian's archive through it (and
	# have no other way out). It fetches from deb.debian.org only, and only when a CT asks for a package.
	local proxyurl=""
	if node -e 'process.exit(require(process.argv[1]).network ? 0 : 1)' "$simstate/sim.json"; then
		# APT_CACHE_DIR: another cache (the tests point the demo at the machine's shared one); at most
		# APT_CACHE_MB megabytes, the least recently used packages going first.
		local aptcache="${APT_CACHE_DIR:-$demo/apt-cache}"
		say "Starting the package proxy for the containers (cache in $aptcache)"
		node --import tsx sim/apt-proxy/main.ts --sim "$simstate/sim.json" --port "$aptport" --cache "$aptcache" --max-cache-mb "${APT_CACHE_MB:-2048}" &
		PROXY_PID=$!
		proxyurl="http://$(node -p 'require(process.argv[1]).network.gateway' "$simstate/sim.json"):$aptport"
	fi

	BROKER_PORT="$brokerport" SPYRE_APP_PORT="$appport" CADDY_ADMIN_PORT="$caddyadmin" \
		node scripts/write-demo-config.js "$simstate/sim.json" "$demo/environment.yaml" "$data" "$port" "$host" "$proxyurl"
	# The host name people open: a wildcard bind is shown as localhost (write-demo-config.js, public_url).
	local shown="$host"
	case "$host" in 0.0.0.0|::) shown=localhost ;; esac
	start_demo_caddy "$demo/caddy" "$host" "$shown" "$port" "$appport" "$caddyadmin"
	say "Spyre demo: open http://$shown:$port (first visit asks you to create an account)"
	say "Service URLs: http://<service>--<hostname>.localhost:$port/ (Chromium and Firefox resolve *.localhost to this machine)"
	# PORT/HOST here are Spyre's own listen address behind Caddy (they override environment.yaml's
	# server.port/host). HOST stays the demo's: with HOST=0.0.0.0 Spyre is not loopback-only and asks for
	# the setup code, as before Caddy was in front.
	SPYRE_CONFIG="$demo/environment.yaml" PORT="$appport" HOST="$host" node server.js &
	SPYRE_PID=$!
	wait "$SPYRE_PID" || true
	SPYRE_PID=""
}

# ---------------------------------------------------------------------------------------------------
# ./setup.sh test

cmd_test() {
	# The suite runs simulated containers in user, mount, PID and network namespaces, binds sshd to port 22
	# and installs Debian packages: it needs root, and says so before anything else happens.
	[ "$(id -u)" -eq 0 ] || die "./setup.sh test must run as root (the simulator creates namespaces and network devices). Try: sudo ./setup.sh test"
	check_node
	apt_install openssh-server openssh-client tmux openssl gcc libc6-dev iproute2 nftables dpkg-dev caddy chromium fonts-dejavu-core debootstrap zstd
	ensure_sshd_runtime
	build_templates
	npm_install
	local results="$ROOT/test-results"
	mkdir -p "$results"
	# A report left by an earlier run must never stand in for a suite that did not finish this time.
	rm -f "$results"/*.json "$results"/*.log
	local status=0
	# On two cores the lint (one process) runs beside the type check and the build; its output follows.
	say "Linting (ESLint, Prettier) in the background"
	npm run -s lint >"$results/lint.log" 2>&1 &
	local lintpid=$!
	say "Type-checking (svelte-check)"
	npm run -s check || status=1
	build_app
	wait "$lintpid" || status=1
	say "Lint"
	cat "$results/lint.log"
	[ "$status" -eq 0 ] || die "the type check or the lint failed (see above): no tests run"
	say "Unit tests"
	npx vitest run --project unit --reporter=default --reporter=json --outputFile="$results/unit.json" || status=1
	# The integration and security suites run one after the other: side by side on two cores, timing-bound
	# tests of both (a CT's boot, a reply streamed over seconds) missed their marks.
	say "Integration tests (real simulator, sshd, tmux, SQLite)"
	npx vitest run --project integration --reporter=default --reporter=json --outputFile="$results/integration.json" || status=1
	say "Security tests (every route and socket, hostile input, sign-in probes)"
	npx vitest run --project security --reporter=default --reporter=json --outputFile="$results/security.json" || status=1
	say "End-to-end tests (Playwright in Debian's Chromium)"
	PLAYWRIGHT_JSON_OUTPUT_NAME="$results/e2e.json" npx playwright test --reporter=list,json || status=1
	node scripts/test-summary.js "$results/unit.json" "$results/integration.json" "$results/security.json" "$results/e2e.json" || status=1
	return "$status"
}

# ---------------------------------------------------------------------------------------------------
# ./setup.sh (production install)

usage_install() {
	cat <<'TXT'
Production install. Values come from flags, then environment variables, then prompts:
  --public-url URL        SPYRE_PUBLIC_URL        the URL users open (https://spyre.example.com)
  --proxmox-url URL       SPYRE_PROXMOX_URL       https://pve.example.com:8006
  --node NAME             SPYRE_PROXMOX_NODE      default node (pve)
  --token-id ID           SPYRE_PROXMOX_TOKEN_ID  user@realm!tokenname
  --token-secret-file F   read the Proxmox API token secret from file F, or from stdin when F is -
                          (stored in /etc/spyre/proxmox-token, mode 0640; prompted without echo otherwise)
  --token-secret SECRET   SPYRE_PROXMOX_TOKEN_SECRET  (discouraged: argv is visible to every local user)
  --fingerprint FP        SPYRE_PROXMOX_FINGERPRINT   SHA-256 of the Proxmox certificate (or --ca-file)
  --ca-file PATH          SPYRE_PROXMOX_CA_FILE
  --env-network CIDR      SPYRE_ENV_NETWORK       the IPv4 network DHCP gives containers addresses in
                          (e.g. 192.168.10.0/24); Spyre refuses any address a container reports outside it
  --data-dir DIR          SPYRE_DATA_DIR          default /var/lib/spyre
  --port N                SPYRE_PORT              default 3000
  --yes                   overwrite an existing environment.yaml without asking
TXT
}

# prompt_secret VAR "question" — like prompt_value, but the answer is not echoed.
prompt_secret() {
	local var="$1" question="$2" answer=""
	if [ -n "${!var:-}" ]; then return 0; fi
	if [ -t 0 ]; then
		read -r -s -p "$question: " answer
		echo >&2
	fi
	[ -n "$answer" ] || die "$question is required (--token-secret-file FILE, or - for stdin; see ./setup.sh --help)"
	printf -v "$var" '%s' "$answer"
}

# read_secret_file FILE — the first line of FILE (or of stdin for -), without its newline.
read_secret_file() {
	local file="$1" line=""
	if [ "$file" = "-" ]; then
		IFS= read -r line || [ -n "$line" ] || die "--token-secret-file -: nothing on stdin"
	else
		[ -r "$file" ] || die "--token-secret-file: cannot read $file"
		IFS= read -r line <"$file" || [ -n "$line" ] || die "--token-secret-file: $file is empty"
	fi
	[ -n "$line" ] || die "--token-secret-file: the secret is empty"
	printf '%s' "$line"
}

prompt_value() {
	# prompt_value VAR "question" [default]
	local var="$1" question="$2" default="${3:-}" answer=""
	if [ -n "${!var:-}" ]; then return 0; fi
	if [ -t 0 ]; then
		read -r -p "$question${default:+ [$default]}: " answer
	fi
	answer="${answer:-$default}"
	[ -n "$answer" ] || die "$question is required (flag or environment variable; see ./setup.sh --help)"
	printf -v "$var" '%s' "$answer"
}

# install_state — a digest of what the service runs from (unit, config, token, build, npm install).
install_state() {
	{
		$SUDO cat /etc/systemd/system/spyre.service "$ROOT/environment.yaml" /etc/spyre/proxmox-token 2>/dev/null || true
		stat -c '%n %Y' build/handler.js node_modules/.package-lock.json 2>/dev/null || true
	} | sha256sum
}

cmd_install() {
	local public_url="${SPYRE_PUBLIC_URL:-}" pve_url="${SPYRE_PROXMOX_URL:-}" node="${SPYRE_PROXMOX_NODE:-}"
	local token_id="${SPYRE_PROXMOX_TOKEN_ID:-}" token_secret="${SPYRE_PROXMOX_TOKEN_SECRET:-}"
	local fingerprint="${SPYRE_PROXMOX_FINGERPRINT:-}" ca_file="${SPYRE_PROXMOX_CA_FILE:-}"
	local data_dir="${SPYRE_DATA_DIR:-/var/lib/spyre}" port="${SPYRE_PORT:-3000}" yes=0 secret_file=""
	local env_network="${SPYRE_ENV_NETWORK:-}"
	while [ $# -gt 0 ]; do
		case "$1" in
			--public-url) public_url="$2"; shift 2 ;;
			--proxmox-url) pve_url="$2"; shift 2 ;;
			--node) node="$2"; shift 2 ;;
			--token-id) token_id="$2"; shift 2 ;;
			--token-secret)
				warn "--token-secret puts the secret in the process list and shell history; prefer --token-secret-file FILE (or - for stdin)"
				token_secret="$2"; shift 2 ;;
			--token-secret-file) secret_file="$2"; shift 2 ;;
			--fingerprint) fingerprint="$2"; shift 2 ;;
			--ca-file) ca_file="$2"; shift 2 ;;
			--env-network) env_network="$2"; shift 2 ;;
			--data-dir) data_dir="$2"; shift 2 ;;
			--port) port="$2"; shift 2 ;;
			--yes|-y) yes=1; shift ;;
			-h|--help) usage_install; exit 0 ;;
			*) die "unknown option $1 (see ./setup.sh --help)" ;;
		esac
	done

	command -v systemctl >/dev/null 2>&1 || die "systemd is required for the production install (try ./setup.sh demo instead)"
	check_node
	local before_state
	before_state="$(install_state)"
	apt_install openssh-client tmux openssl python3 make g++
	npm_install
	build_app

	if ! id spyre >/dev/null 2>&1; then
		say "Creating system user spyre"
		$SUDO useradd --system --home-dir "$data_dir" --shell /usr/sbin/nologin spyre
	fi
	$SUDO mkdir -p "$data_dir" /etc/spyre
	$SUDO chown spyre:spyre "$data_dir"
	$SUDO chmod 750 "$data_dir"
	if [ ! -f "$data_dir/ssh/id_ed25519" ]; then
		say "Creating Spyre's SSH key pair in $data_dir/ssh"
		$SUDO -u spyre mkdir -p -m 700 "$data_dir/ssh" 2>/dev/null || { $SUDO mkdir -p "$data_dir/ssh"; $SUDO chown spyre:spyre "$data_dir/ssh"; $SUDO chmod 700 "$data_dir/ssh"; }
		$SUDO ssh-keygen -q -t ed25519 -N '' -C "spyre@$(hostname)" -f "$data_dir/ssh/id_ed25519"
		$SUDO chown spyre:spyre "$data_dir/ssh/id_ed25519" "$data_dir/ssh/id_ed25519.pub"
	fi

	local cfg="$ROOT/environment.yaml" write=1
	if [ -f "$cfg" ] && [ "$yes" -ne 1 ]; then
		if [ -t 0 ]; then
			read -r -p "$cfg exists. Overwrite it? [y/N] " reply
			[[ "$reply" =~ ^[Yy]$ ]] || write=0
		else
			write=0
		fi
		[ "$write" -eq 1 ] || say "Keeping the existing $cfg"
	fi
	if [ "$write" -eq 1 ]; then
		prompt_value public_url "Public URL of Spyre" "https://$(hostname -f 2>/dev/null || hostname)"
		prompt_value pve_url "Proxmox API URL" "https://$(hostname -f 2>/dev/null || hostname):8006"
		prompt_value node "Default Proxmox node" "pve"
		prompt_value token_id "Proxmox API token id (user@realm!name)" "root@pam!spyre"
		[ -z "$secret_file" ] || token_secret="$(read_secret_file "$secret_file")"
		prompt_secret token_secret "Proxmox API token secret (input hidden)"
		prompt_value env_network "IPv4 network your containers get DHCP addresses in (e.g. 192.168.10.0/24)"
		if [ -z "$fingerprint" ] && [ -z "$ca_file" ]; then
			prompt_value fingerprint "Proxmox certificate SHA-256 fingerprint (Node > System > Certificates)"
		fi
		# Created with its final owner and mode 0640 in one step: the secret is never readable by others,
		# not even for a moment; printf is a shell builtin, so the secret never appears in argv.
		printf '%s\n' "$token_secret" | $SUDO install -m 0640 -o root -g spyre /dev/stdin /etc/spyre/proxmox-token
		token_secret=""
		local tls_line
		if [ -n "$ca_file" ]; then tls_line="ca_file: \"$ca_file\""; else tls_line="fingerprint: \"$fingerprint\""; fi
		$SUDO tee "$cfg" >/dev/null <<YAML
# Written by ./setup.sh on $(date -u +%Y-%m-%d). Every key is documented in environment.example.yaml.
server:
  host: 127.0.0.1
  port: $port
  public_url: "$public_url"
  data_dir: "$data_dir"
proxmox:
  url: "$pve_url"
  node: "$node"
  token_id: "$token_id"
  token_secret_file: /etc/spyre/proxmox-token
  tls:
    $tls_line
  network:
    mode: dhcp
    cidr: "$env_network"
ssh:
  private_key_path: "$data_dir/ssh/id_ed25519"
  public_key_path: "$data_dir/ssh/id_ed25519.pub"
# Claude tasks reach Anthropic only through Spyre's credential broker. Set listen to an address of this
# host that your environments can reach (e.g. its address on the CTs' bridge) and restart Spyre:
# claude:
#   broker:
#     listen: 10.0.0.2:3101
YAML
		$SUDO chown root:spyre "$cfg"
		$SUDO chmod 640 "$cfg"
		say "Wrote $cfg"
	fi

	say "Installing the systemd unit"
	sed -e "s#@ROOT@#$ROOT#g" -e "s#@DATA_DIR@#$data_dir#g" -e "s#@PORT@#$port#g" deploy/spyre.service | $SUDO tee /etc/systemd/system/spyre.service >/dev/null
	$SUDO systemctl daemon-reload
	$SUDO systemctl enable --now spyre.service
	# Restart only when something it runs from changed: a re-run of ./setup.sh must not drop sessions.
	if [ "$(install_state)" != "$before_state" ]; then
		$SUDO systemctl restart spyre.service
	else
		say "Nothing changed; spyre.service keeps running"
	fi
	say "Spyre is running on 127.0.0.1:$port. Put deploy/Caddyfile in front of it for TLS; then open ${public_url:-your public URL}."
	say "First sign-in: /setup asks for a one-time setup code that only the server's log shows:"
	echo "    sudo journalctl -u spyre --since '5 min ago' | grep 'setup code'"
	say "Spyre injects this public key into every container it creates:"
	$SUDO cat "$data_dir/ssh/id_ed25519.pub"
}

# ---------------------------------------------------------------------------------------------------
# ./setup.sh backup [DIR] and ./setup.sh upgrade

usage_upgrade_backup() {
	cat <<'TXT'
Upgrade (run in the checkout the service runs from, as root or through sudo):
  ./setup.sh upgrade [--force] [--backup-dir DIR]
      git pull --ff-only, a backup first, npm install, build, restart spyre.service (the app migrates its
      database on start), then GET /healthz for up to 60 s. On failure: the previous commit and build come
      back, the pre-upgrade database too if a migration ran, and the command exits non-zero.
      --force rebuilds and restarts even when the pull brought nothing new.
Backup:
  ./setup.sh backup [DIR] [--config FILE] [--with-secrets]
      DIR defaults to /var/backups/spyre. Writes DIR/spyre-backup-YYYYmmdd-HHMMSS.tar.gz (mode 0600): an
      online SQLite snapshot (spyre.db; Spyre keeps running), the configs dir, environment.yaml and the SSH
      key pair, plus manifest.json. The Proxmox token secret and the Claude credential are left out (an
      inline token_secret is replaced) unless --with-secrets. FILE defaults to $SPYRE_CONFIG, else
      ./environment.yaml. Restore: stop spyre, untar, copy spyre.db to database.path (remove its -wal/-shm).
TXT
}

BACKUP_FILE=""
cmd_backup() {
	local dir="" cfg="${SPYRE_CONFIG:-$ROOT/environment.yaml}" secrets=""
	while [ $# -gt 0 ]; do
		case "$1" in
			--config) cfg="$2"; shift 2 ;;
			--with-secrets) secrets="--with-secrets"; shift ;;
			-h|--help) usage_upgrade_backup; exit 0 ;;
			-*) die "unknown option $1 (see ./setup.sh --help)" ;;
			*) [ -z "$dir" ] || die "one backup directory only"; dir="$1"; shift ;;
		esac
	done
	dir="${dir:-/var/backups/spyre}"
	check_node
	[ -d node_modules/better-sqlite3 ] || npm_install
	# umask 077: the staging copy and the archive hold SSH private keys and the whole database.
	local stage old_umask
	old_umask="$(umask)"
	umask 077
	mkdir -p "$dir"
	stage="$(mktemp -d "${TMPDIR:-/tmp}/spyre-backup.XXXXXX")"
	local archive
	archive="$dir/spyre-backup-$(date -u +%Y%m%d-%H%M%S).tar.gz"
	if ! node scripts/backup-db.mjs stage "$cfg" "$stage" $secrets >/dev/null; then
		rm -rf "$stage"; umask "$old_umask"; die "backup failed (nothing written to $dir)"
	fi
	# Written beside its final name, then renamed, so DIR never holds a half-written archive.
	tar -C "$stage" -czf "$archive.partial" .
	chmod 600 "$archive.partial"
	mv "$archive.partial" "$archive"
	rm -rf "$stage"
	umask "$old_umask"
	BACKUP_FILE="$archive"
	say "Backup written: $archive${secrets:+ (includes secrets)}"
}

# run_git ARGS... — git as the checkout's owner: git refuses a repository owned by someone else
# ("dubious ownership"), and a pull as root would leave root-owned files in a user's checkout.
run_git() {
	local owner
	owner="$(stat -c %U "$ROOT")"
	if [ "$(id -un)" = "$owner" ]; then git -C "$ROOT" "$@"
	elif [ "$(id -u)" -eq 0 ]; then runuser -u "$owner" -- git -C "$ROOT" "$@"
	else sudo -u "$owner" git -C "$ROOT" "$@"; fi
}

# healthy PORT SECONDS — true once GET /healthz answers 200 within SECONDS.
healthy() {
	node -e '
		const [port, secs] = process.argv.slice(1).map(Number);
		const end = Date.now() + secs * 1000;
		(async () => {
			for (;;) {
				try { if ((await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(3000) })).ok) process.exit(0); } catch {}
				if (Date.now() > end) process.exit(1);
				await new Promise((r) => setTimeout(r, 500));
			}
		})();' "$1" "$2"
}

db_version() { node scripts/backup-db.mjs info "$1" | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).userVersion'; }

cmd_upgrade() {
	local force=0 backup_dir="/var/backups/spyre" cfg="${SPYRE_CONFIG:-$ROOT/environment.yaml}"
	local unit_file=/etc/systemd/system/spyre.service
	while [ $# -gt 0 ]; do
		case "$1" in
			--force) force=1; shift ;;
			--backup-dir) backup_dir="$2"; shift 2 ;;
			-h|--help) usage_upgrade_backup; exit 0 ;;
			*) die "unknown option $1 (see ./setup.sh --help)" ;;
		esac
	done
	command -v systemctl >/dev/null 2>&1 || die "systemd is required for ./setup.sh upgrade"
	[ -f "$unit_file" ] || die "$unit_file is missing: run ./setup.sh (the production install) first"
	[ -d "$ROOT/.git" ] || die "$ROOT is not a git checkout; upgrade pulls with git"
	check_node
	local port prev next
	port="$(sed -n 's/^Environment=PORT=//p' "$unit_file" | head -n 1)"
	port="${port:-3000}"
	prev="$(run_git rev-parse HEAD)"
	say "Pulling (fast-forward only)"
	run_git pull --ff-only || die "git pull --ff-only failed (local changes or a diverged branch); nothing was changed"
	next="$(run_git rev-parse HEAD)"
	if [ "$prev" = "$next" ] && [ "$force" -eq 0 ]; then
		say "Already at ${next:0:12}; nothing to upgrade (--force rebuilds and restarts anyway)"
		return 0
	fi

	cmd_backup "$backup_dir" --config "$cfg"
	local pre_backup="$BACKUP_FILE" before
	before="$(db_version "$cfg")"
	# The running build, kept outside the checkout, so a rollback does not wait for a rebuild.
	local keep
	keep="$(mktemp -d /var/tmp/spyre-upgrade.XXXXXX)"
	[ ! -d build ] || cp -a build "$keep/build"

	npm_install
	build_app
	say "Restarting spyre.service (migrations run on start)"
	$SUDO systemctl restart spyre.service
	if healthy "$port" 60; then
		rm -rf "$keep"
		say "Upgraded ${prev:0:12} -> ${next:0:12}; /healthz answers. Pre-upgrade backup: $pre_backup"
		return 0
	fi

	warn "/healthz did not answer within 60 s after the upgrade; rolling back to ${prev:0:12}"
	$SUDO journalctl -u spyre.service -n 30 --no-pager >&2 || true
	$SUDO systemctl stop spyre.service
	run_git reset --hard -q "$prev"
	if [ -d "$keep/build" ]; then rm -rf build; mv "$keep/build" build; fi
	rm -rf "$keep"
	npm_install
	if [ "$(db_version "$cfg")" != "$before" ]; then
		# A migration ran; the previous code refuses a newer schema, so the pre-upgrade snapshot goes back.
		say "Restoring the pre-upgrade database from $pre_backup"
		local x
		x="$(mktemp -d)"
		tar -C "$x" -xzf "$pre_backup" ./spyre.db
		node scripts/backup-db.mjs restore-db "$x/spyre.db" "$cfg"
		rm -rf "$x"
	fi
	$SUDO systemctl start spyre.service
	if healthy "$port" 60; then
		die "the upgrade to ${next:0:12} failed its health check; rolled back to ${prev:0:12}, which is healthy. Backup: $pre_backup"
	fi
	die "the rollback to ${prev:0:12} is not healthy either: see journalctl -u spyre. Backup: $pre_backup"
}

case "${1:-install}" in
	demo) shift; cmd_demo "$@" ;;
	test) shift; cmd_test "$@" ;;
	upgrade) shift; cmd_upgrade "$@" ;;
	backup) shift; cmd_backup "$@" ;;
	install) cmd_install ;;
	-h|--help|help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; echo; usage_install; echo; usage_upgrade_backup ;;
	--*) cmd_install "$@" ;;
	*) die "unknown command '$1'. Use: ./setup.sh [demo|test|upgrade|backup] (or --help)" ;;
esac
