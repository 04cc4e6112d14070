#!/usr/bin/env bash
# The guest half of scripts/prove-install.sh, run inside the booted Debian 12 container as root:
#   install | after-reboot | second-run | backup-upgrade
# Each phase prints PASS/FAIL lines and appends timings to /root/prove-timings.txt.
set -euo pipefail

SPYRE=/opt/spyre
SIM=/opt/pve-sim
SIM_STATE=/var/lib/pve-sim
PORT=3300
NAME=spyre.test
TIMINGS=/root/prove-timings.txt
CA=/var/lib/caddy/.local/share/caddy/pki/authorities/local/root.crt
fails=0

say() { printf '\033[1;34m[guest]\033[0m %s\n' "$*"; }
pass() { printf '\033[1;32mPASS\033[0m %s\n' "$*"; }
fail() { printf '\033[1;31mFAIL\033[0m %s\n' "$*"; fails=$((fails + 1)); }
timing() { printf '%-40s %s s\n' "$1" "$2" | tee -a "$TIMINGS"; }

healthz_tls() {
	curl -fsS --max-time 10 --cacert "$CA" --resolve "$NAME:8443:127.0.0.1" "https://$NAME:8443/healthz"
}
wait_healthz() {
	for _ in $(seq 1 120); do healthz_tls >/dev/null 2>&1 && return 0; sleep 0.5; done
	return 1
}
check_running() {
	local what="$1"
	if systemctl is-active --quiet spyre.service; then pass "$what: spyre.service is active"; else fail "$what: spyre.service is $(systemctl is-active spyre.service)"; systemctl status spyre.service --no-pager -n 20 || true; fi
	if wait_healthz; then pass "$what: /healthz through Caddy over TLS: $(healthz_tls)"; else fail "$what: /healthz through Caddy over TLS"; curl -v --cacert "$CA" --resolve "$NAME:8443:127.0.0.1" "https://$NAME:8443/healthz" 2>&1 | tail -n 15 || true; fi
}

# A fingerprint of everything ./setup.sh writes, and of the running service, for the "changes nothing" check.
state_snapshot() {
	{
		sha256sum "$SPYRE/environment.yaml" /etc/spyre/proxmox-token /etc/systemd/system/spyre.service /var/lib/spyre/ssh/id_ed25519 "$SPYRE/build/handler.js"
		stat -c '%n %U:%G %a' "$SPYRE/environment.yaml" /etc/spyre/proxmox-token /var/lib/spyre /var/lib/spyre/ssh
		stat -c '%n mtime %Y' "$SPYRE/build/handler.js" "$SPYRE/node_modules/.package-lock.json"
		getent passwd spyre
		systemctl is-enabled spyre.service
		systemctl show -p MainPID -p ActiveEnterTimestamp spyre.service
	}
}

start_sim() {
	# The stand-in Proxmox host as a unit of its own, so it comes back after a reboot like a real one would.
	mkdir -p "$SIM_STATE"
	cat >/etc/systemd/system/pve-sim.service <<UNIT
[Unit]
Description=Proxmox VE simulator standing in for the Proxmox host
[Service]
WorkingDirectory=$SIM
ExecStart=/usr/local/bin/node --import tsx sim/pve/main.ts --port 18006 --ssh-port 20222 --state $SIM_STATE
[Install]
WantedBy=multi-user.target
UNIT
	systemctl daemon-reload
	rm -f "$SIM_STATE/sim.json"
	systemctl enable pve-sim.service
	systemctl restart pve-sim.service
	for _ in $(seq 1 150); do [ -f "$SIM_STATE/sim.json" ] && return 0; sleep 0.2; done
	journalctl -u pve-sim -n 30 --no-pager
	return 1
}

phase_install() {
	: >"$TIMINGS"
	say "Packages the simulator needs (not part of Spyre's install): openssh-server gcc libc6-dev"
	local t0 t1
	t0=$(date +%s)
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openssh-server gcc libc6-dev >/dev/null
	mkdir -p /run/sshd
	start_sim || { fail "simulator did not start"; exit 1; }
	t1=$(date +%s); timing "simulator (stand-in Proxmox host) ready" $((t1 - t0))
	node -e 'const s=require(process.argv[1]); require("fs").writeFileSync("/root/token.txt", s.tokenSecret+"\n", {mode:0o600}); console.log([s.url,s.node,s.tokenId,s.fingerprint].join(" "))' "$SIM_STATE/sim.json" >/root/sim.txt
	read -r url node token_id fp </root/sim.txt

	say "README production commands: ./setup.sh with the flags from the README"
	# The setup code is printed once, on the first start; a re-run on a used rootfs has none to show.
	local fresh=0
	[ -d /var/lib/spyre ] || fresh=1
	t0=$(date +%s)
	(cd "$SPYRE" && ./setup.sh --public-url "https://$NAME:8443" --proxmox-url "$url" --node "$node" \
		--token-id "$token_id" --token-secret-file /root/token.txt --fingerprint "$fp" --env-network 10.213.0.0/16 --port "$PORT")
	t1=$(date +%s); timing "./setup.sh (first run, cold npm cache)" $((t1 - t0))

	say "Caddy in front, from deploy/Caddyfile (tls internal: no public DNS here)"
	t0=$(date +%s)
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends caddy >/dev/null
	sed -e 's/admin 127.0.0.1:2019/admin 127.0.0.1:20190\n\thttps_port 8443\n\thttp_port 8080/' \
		-e "s/^spyre.example.com {/$NAME {\n\ttls internal/" \
		-e "s/reverse_proxy 127.0.0.1:3000/reverse_proxy 127.0.0.1:$PORT/" "$SPYRE/deploy/Caddyfile" >/etc/caddy/Caddyfile
	caddy validate --config /etc/caddy/Caddyfile --adapter caddyfile >/dev/null 2>&1 || fail "caddy validate"
	systemctl restart caddy.service
	t1=$(date +%s); timing "caddy installed and configured" $((t1 - t0))
	check_running "after install"
	if [ "$fresh" -eq 0 ]; then say "not a fresh install: setup-code check skipped"
	elif journalctl -u spyre.service --no-pager | grep -q 'setup code'; then pass "the setup code is in the journal"; else fail "no setup code in the journal"; fi
	# The guest's own timing from bare system to a healthy service behind TLS.
	exit "$((fails > 0))"
}

phase_after_reboot() {
	check_running "after reboot"
	exit "$((fails > 0))"
}

phase_second_run() {
	local before after t0 t1 url node token_id fp
	read -r url node token_id fp </root/sim.txt
	wait_healthz || true
	before="$(state_snapshot)"
	t0=$(date +%s)
	(cd "$SPYRE" && ./setup.sh --public-url "https://$NAME:8443" --proxmox-url "$url" --node "$node" \
		--token-id "$token_id" --token-secret-file /root/token.txt --fingerprint "$fp" --env-network 10.213.0.0/16 --port "$PORT") >/root/second-run.log 2>&1 </dev/null
	t1=$(date +%s); timing "./setup.sh (second run)" $((t1 - t0))
	after="$(state_snapshot)"
	if [ "$before" = "$after" ]; then pass "second ./setup.sh changed nothing (files, owners, modes, service PID)"; else
		fail "second ./setup.sh changed something:"; diff <(echo "$before") <(echo "$after") || true
	fi
	check_running "after second run"
	exit "$((fails > 0))"
}

phase_backup_upgrade() {
	local t0 t1 archive
	t0=$(date +%s)
	(cd "$SPYRE" && ./setup.sh backup /root/backups)
	t1=$(date +%s); timing "./setup.sh backup" $((t1 - t0))
	archive="$(ls -t /root/backups/*.tar.gz | head -n 1)"
	[ "$(stat -c %a "$archive")" = 600 ] && pass "backup archive is 0600" || fail "backup archive mode $(stat -c %a "$archive")"
	if gzip -dc "$archive" | grep -aqF "$(cat /root/token.txt)"; then fail "token secret found in the backup"; else pass "token secret not in the backup"; fi

	# A local 'origin' standing in for the project's remote (the guest cannot see the host's checkout).
	local origin=/root/origin.git prev branch
	rm -rf "$origin" /root/work
	git -C "$SPYRE" config user.email prove@localhost; git -C "$SPYRE" config user.name prove
	git -C "$SPYRE" add -A >/dev/null; git -C "$SPYRE" commit -qm "proof: working tree" || true
	prev="$(git -C "$SPYRE" rev-parse HEAD)"
	branch="$(git -C "$SPYRE" rev-parse --abbrev-ref HEAD)"
	git clone -q --bare "$SPYRE" "$origin"
	git -C "$SPYRE" remote set-url origin "$origin"
	git -C "$SPYRE" fetch -q origin
	git -C "$SPYRE" branch -q --set-upstream-to="origin/$branch"

	say "./setup.sh upgrade with nothing to pull"
	(cd "$SPYRE" && ./setup.sh upgrade --backup-dir /root/backups) && pass "upgrade (no-op)" || fail "upgrade (no-op)"

	say "./setup.sh upgrade to a commit that breaks start-up: must roll back"
	# One new commit upstream whose server.js exits at once.
	git clone -q "$origin" /root/work
	(cd /root/work && sed -i '1i process.exit(1);' server.js && git -c user.email=p@l -c user.name=p commit -qam "broken start" && git push -q origin HEAD)
	rm -rf /root/work
	t0=$(date +%s)
	if (cd "$SPYRE" && ./setup.sh upgrade --backup-dir /root/backups); then fail "upgrade to a broken commit reported success"; else pass "upgrade to a broken commit failed"; fi
	t1=$(date +%s); timing "./setup.sh upgrade (broken, rolled back)" $((t1 - t0))
	[ "$(git -C "$SPYRE" rev-parse HEAD)" = "$prev" ] && pass "rolled back to the previous commit" || fail "HEAD is $(git -C "$SPYRE" rev-parse HEAD), not $prev"
	check_running "after rollback"
	exit "$((fails > 0))"
}

case "${1:-}" in
	install) phase_install ;;
	after-reboot) phase_after_reboot ;;
	second-run) phase_second_run ;;
	backup-upgrade) phase_backup_upgrade ;;
	*) echo "usage: $0 install|after-reboot|second-run|backup-upgrade" >&2; exit 2 ;;
esac
