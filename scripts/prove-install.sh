#!/usr/bin/env bash
# Proves the production install (README "Production install") on real systemd: a fresh Debian 12 rootfs
# (debootstrap) booted with systemd-nspawn --boot, the bundled Proxmox simulator standing in for the
# Proxmox host, then ./setup.sh, Caddy with TLS in front, a reboot, a second ./setup.sh, and
# ./setup.sh backup / upgrade. Exploratory and slow (minutes): not part of the test suite. Results:
# docs/install-proof.md. Run as root on a Debian host:
#
#   sudo scripts/prove-install.sh            # keeps the rootfs in $PROVE_DIR for a re-run
#   sudo PROVE_CLEAN=1 scripts/prove-install.sh   # removes the rootfs at the end
#
# The container shares the host's network namespace (apt and npm need the network; no bridge/NAT needed),
# so every port it uses is off the usual ones: Spyre 3300, simulator 18006 (its sshds on 20222), Caddy
# 8443/8080 with its admin API on 127.0.0.1:20190. The host needs no systemd as PID 1: the container is
# driven with nsenter, not machinectl, and --register=no --keep-unit keep nspawn off the host's D-Bus
# (without them it stops at "Failed to open system bus: No such file or directory").
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PROVE_DIR="${PROVE_DIR:-/var/tmp/spyre-prove}"
ROOTFS="$PROVE_DIR/rootfs"
LOG="$PROVE_DIR/nspawn.log"
MACHINE=spyre-prove
NSPAWN_PID=""
GUEST_CA=""

say() { printf '\033[1;35m[prove]\033[0m %s\n' "$*"; }
die() { printf '\033[1;31m[prove] error:\033[0m %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (debootstrap and systemd-nspawn need it)"
mkdir -p "$PROVE_DIR"

stop_machine() {
	[ -n "$NSPAWN_PID" ] || return 0
	if kill -0 "$NSPAWN_PID" 2>/dev/null; then
		# SIGRTMIN+4 asks the container's systemd for an orderly poweroff (what machinectl poweroff sends).
		leader="$(ps -o pid= --ppid "$NSPAWN_PID" | head -n 1 | tr -d ' ' || true)"
		[ -z "$leader" ] || kill -s SIGRTMIN+4 "$leader" 2>/dev/null || true
		for _ in $(seq 1 60); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.5; done
		kill -TERM "$NSPAWN_PID" 2>/dev/null || true
		wait "$NSPAWN_PID" 2>/dev/null || true
	fi
	NSPAWN_PID=""
}
cleanup() {
	stop_machine
	if [ "${PROVE_CLEAN:-0}" = 1 ]; then rm -rf "$ROOTFS"; fi
}
trap cleanup EXIT

# ---------------------------------------------------------------------------------------------------
say "Host tools: debootstrap, systemd-container"
for pkg in debootstrap systemd-container; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null
done

t_start=$(date +%s)
if [ ! -x "$ROOTFS/usr/bin/systemctl" ]; then
	say "debootstrap bookworm into $ROOTFS (a bare system: systemd, git, sudo, curl, nothing of Spyre's)"
	rm -rf "$ROOTFS"
	debootstrap --include=systemd,systemd-sysv,dbus,ca-certificates,curl,git,sudo,iproute2,procps \
		bookworm "$ROOTFS" http://deb.debian.org/debian >"$PROVE_DIR/debootstrap.log" 2>&1
fi
t_rootfs=$(date +%s)

say "Preparing the guest: Node (the README's prerequisite), the checkout, the simulator"
echo "$MACHINE" >"$ROOTFS/etc/hostname"
cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
# Egress from this sandbox goes through a TLS-inspecting proxy: the guest trusts the same extra CAs as
# the host (public certificates, nothing secret), and npm is told to use the system CA bundle.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
	mkdir -p "$ROOTFS/usr/local/share/ca-certificates" "$ROOTFS/usr/local/etc"
	cp /usr/local/share/ca-certificates/*.crt "$ROOTFS/usr/local/share/ca-certificates/"
	chroot "$ROOTFS" update-ca-certificates >/dev/null 2>&1
	grep -qs '^cafile=' "$ROOTFS/usr/local/etc/npmrc" || echo 'cafile=/etc/ssl/certs/ca-certificates.crt' >>"$ROOTFS/usr/local/etc/npmrc"
	# node-gyp fetches Node's headers with Node's own CA list, not npm's cafile.
	GUEST_CA=/etc/ssl/certs/ca-certificates.crt
fi
# Node 20.19+ is a prerequisite the README asks for; Debian 12 ships 18, so the host's build is copied in.
install -m 0755 "$(command -v node)" "$ROOTFS/usr/local/bin/node"
rm -rf "$ROOTFS/usr/local/lib/node_modules"
mkdir -p "$ROOTFS/usr/local/lib"
cp -a "$(dirname "$(readlink -f "$(command -v npm)")")/../.." "$ROOTFS/usr/local/lib/node_modules"
# Its headers too (Node's packages ship them in /usr/include/node): with nodedir=/usr, node-gyp builds
# better-sqlite3 without downloading them (the download does not get through this sandbox's proxy).
if [ -f /usr/include/node/common.gypi ]; then
	mkdir -p "$ROOTFS/usr/include" "$ROOTFS/usr/local/etc"
	rm -rf "$ROOTFS/usr/include/node"
	cp -a /usr/include/node "$ROOTFS/usr/include/node"
	grep -qs '^nodedir=' "$ROOTFS/usr/local/etc/npmrc" || echo 'nodedir=/usr' >>"$ROOTFS/usr/local/etc/npmrc"
fi
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$ROOTFS/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$ROOTFS/usr/local/bin/npx"

# The checkout as README's `git clone` makes it, plus this working tree's uncommitted changes on top.
if [ ! -d "$ROOTFS/opt/spyre/.git" ]; then
	git clone -q "$ROOT" "$ROOTFS/opt/spyre"
fi
(cd "$ROOT" && git ls-files -mo --exclude-standard -z | xargs -0 -r -I{} cp --parents -a {} "$ROOTFS/opt/spyre/") 2>/dev/null || true
# The stand-in Proxmox host: a second copy with the host's node_modules (same Debian, same arch), so the
# timed ./setup.sh below still installs its own dependencies from a cold npm cache.
if [ ! -d "$ROOTFS/opt/pve-sim/node_modules" ]; then
	rm -rf "$ROOTFS/opt/pve-sim"
	git clone -q "$ROOT" "$ROOTFS/opt/pve-sim"
	cp -a "$ROOT/node_modules" "$ROOTFS/opt/pve-sim/node_modules"
fi
install -m 0755 "$ROOT/scripts/prove-install-guest.sh" "$ROOTFS/root/prove-guest.sh"

# ---------------------------------------------------------------------------------------------------
boot() {
	say "Booting the container (systemd-nspawn --boot)"
	systemd-nspawn -q -D "$ROOTFS" --boot --machine="$MACHINE" --register=no --keep-unit --console=passive \
		--resolv-conf=off >>"$LOG" 2>&1 &
	NSPAWN_PID=$!
	LEADER=""
	for _ in $(seq 1 100); do
		kill -0 "$NSPAWN_PID" 2>/dev/null || { tail -n 30 "$LOG" >&2; die "systemd-nspawn exited during boot (log: $LOG)"; }
		LEADER="$(ps -o pid= --ppid "$NSPAWN_PID" | head -n 1 | tr -d ' ' || true)"
		[ -n "$LEADER" ] && [ "$(cat "/proc/$LEADER/comm" 2>/dev/null)" = systemd ] && break
		sleep 0.2
	done
	[ -n "$LEADER" ] || die "no container init found under nspawn PID $NSPAWN_PID"
	# `is-system-running --wait` fails with "Failed to connect to bus" while the guest's D-Bus is still
	# starting, and apt's first signature check failed that early too, so poll until boot has finished.
	local state=""
	for _ in $(seq 1 120); do
		state="$(guest systemctl is-system-running 2>/dev/null || true)"
		case "$state" in running|degraded) break ;; esac
		sleep 0.5
	done
	say "Guest state: ${state:-unknown}"
	[ "$state" = running ] || guest systemctl --failed --no-pager || true
}
guest() {
	nsenter --target "$LEADER" --all -- /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root TERM=dumb LANG=C.UTF-8 ${GUEST_CA:+NODE_EXTRA_CA_CERTS=$GUEST_CA} "$@"
}

: >"$LOG"
boot
t_booted=$(date +%s)
say "Booted in $((t_booted - t_rootfs)) s; running the install inside"
guest /bin/bash /root/prove-guest.sh install

say "Rebooting the container"
guest systemctl reboot || true
# nspawn exits with 133 on a guest reboot; systemd-nspawn@.service would start it again, so do the same.
set +e; wait "$NSPAWN_PID"; rc=$?; set -e
NSPAWN_PID=""
[ "$rc" -eq 133 ] || say "nspawn exited with $rc after the reboot request (133 expected)"
boot
guest /bin/bash /root/prove-guest.sh after-reboot
guest /bin/bash /root/prove-guest.sh second-run
guest /bin/bash /root/prove-guest.sh backup-upgrade

t_end=$(date +%s)
say "Done. rootfs $((t_rootfs - t_start)) s, whole proof $((t_end - t_start)) s; guest timings in $ROOTFS/root/prove-timings.txt:"
cat "$ROOTFS/root/prove-timings.txt"
