#!/usr/bin/env bash
# Builds the Proxmox simulator's container templates, once per machine: a Debian 12 "standard" template made
# with debootstrap from Debian's own archive, as a real `debian-12-standard_12.N-1_amd64.tar.zst` (what a PVE
# node keeps in /var/lib/vz/template/cache) plus the same tree extracted, which the simulator uses as the
# read-only lower layer of every CT made from it.
#
#   scripts/build-templates.sh [DIR]     DIR defaults to $SPYRE_SIM_TEMPLATES, else /var/cache/spyre-sim/templates
#
# Layout of DIR: cache/NAME.tar.zst (the archives the simulator's `local` storage lists), rootfs/NAME/ (the
# extracted trees, owned by host root: the simulator idmaps them to 100000.. per CT), rootfs/NAME.bytes (the
# uncompressed size, for the create log), debs/ (the .deb files of the devtest extras: the tests serve them
# to a CT from the standard template, which has no network), standard.sha256 and devtest.sha256 (the
# stamps). Each template's recipe is the part of this file between its `recipe:NAME:begin` and `:end`
# lines (devtest's includes standard's): a template is rebuilt only when the hash of its recipe differs
# from its stamp (or it is missing), so adding a devtest package does not rerun debootstrap. Prints "template build:
# N s" either way (0 s when cached). Needs root, debootstrap and zstd (./setup.sh installs them).
set -euo pipefail

DIR="${1:-${SPYRE_SIM_TEMPLATES:-/var/cache/spyre-sim/templates}}"

# recipe:standard:begin
SUITE=bookworm
MIRROR=http://deb.debian.org/debian
# What a Proxmox "standard" template carries beyond minbase (its package list: openssh-server, locales,
# ca-certificates, an init, ifupdown and iproute2 for its network config, the usual shell tools). No tmux,
# no git, no compiler: Spyre must bring those itself, as on a real cluster.
PACKAGES=systemd-sysv,openssh-server,locales,ca-certificates,iproute2,ifupdown,iputils-ping,procps,less,nano,curl,wget,bash-completion,lsb-release,apt-utils

# configure_tree ROOT — what follows debootstrap: apt sources and locale as PVE's template has them.
configure_tree() {
	local root="$1"
	cat >"$root/etc/apt/sources.list" <<SOURCES
deb $MIRROR $SUITE main contrib
deb $MIRROR $SUITE-updates main contrib
deb http://security.debian.org/debian-security $SUITE-security main contrib
SOURCES
	sed -i 's/^# *\(en_US.UTF-8 UTF-8\)/\1/' "$root/etc/locale.gen"
	chroot "$root" locale-gen >/dev/null
	echo 'LANG=en_US.UTF-8' >"$root/etc/default/locale"
	echo localhost >"$root/etc/hostname"
}

# strip_tree ROOT — what is per CT goes: host keys (PVE generates them at create; the simulator writes the
# CT's own ed25519 key), the machine id (systemd makes one at first boot), the build host's resolv.conf,
# package lists and caches, logs, shell history.
strip_tree() {
	local root="$1"
	: >"$root/etc/resolv.conf"
	rm -f "$root"/etc/ssh/ssh_host_*
	: >"$root/etc/machine-id"
	rm -f "$root/var/lib/dbus/machine-id"
	chroot "$root" apt-get clean
	rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/debconf/*-old "$root"/tmp/* "$root"/var/tmp/* "$root"/root/.bash_history
	find "$root/var/log" -type f -delete
}
# recipe:standard:end

# recipe:devtest:begin
# The test template `debian-12-devtest`: the standard one plus what Spyre's tests use in CTs (tmux for
# terminals, git for Claude tasks, python3 for the services they serve), as a site's own custom template
# would carry its tools. Only the test that covers the plain standard template has Spyre install tmux.
DEVTEST_PACKAGES="tmux git python3"
# recipe:devtest:end

say() { printf '\033[1;36m==>\033[0m %s\n' "$*"; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

started=$(date +%s)
section() { sed -n "/^# recipe:$1:begin/,/^# recipe:$1:end/p" "${BASH_SOURCE[0]}"; }
std_recipe="$(section standard | sha256sum | cut -d' ' -f1)"
dev_recipe="$({ section standard; section devtest; } | sha256sum | cut -d' ' -f1)"
# newest KIND — the newest built NAME of debian-12-KIND (by point release), or nothing.
newest() { find "$DIR/cache" -maxdepth 1 -name "debian-12-$1_*_amd64.tar.zst" -printf '%f\n' 2>/dev/null | sort -V | tail -n 1 | sed 's/\.tar\.zst$//'; }
std_ok() { [ "$(cat "$DIR/standard.sha256" 2>/dev/null)" = "$std_recipe" ] && [ -n "$(newest standard)" ]; }
dev_ok() { [ "$(cat "$DIR/devtest.sha256" 2>/dev/null)" = "$dev_recipe" ] && [ -n "$(newest devtest)" ] && compgen -G "$DIR/debs/tmux_*.deb" >/dev/null; }
cached() {
	say "Container templates are up to date in $DIR"
	echo "template build: 0 s (cached)"
	exit 0
}
std_ok && dev_ok && cached

[ "$(id -u)" -eq 0 ] || die "building container templates needs root (debootstrap): run as root or through sudo"
command -v debootstrap >/dev/null || die "debootstrap is missing: apt-get install debootstrap"
command -v zstd >/dev/null || die "zstd is missing: apt-get install zstd"

mkdir -p "$DIR/cache" "$DIR/rootfs"
# One build at a time per DIR (two setups at once): the second waits, then finds the first one's result.
exec 9>"$DIR/.lock"
flock 9
std_ok && dev_ok && cached
rm -rf "$DIR"/.build.*
work="$(mktemp -d "$DIR/.build.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# pack NAME TREE — NAME.tar.zst with relative paths and numeric owners (as PVE's own archives) and the
# uncompressed size; then the tree replaces the previous build's. CTs made from an older tree of the same
# name stand on the new one once they restart (stop the simulators before a rebuild).
pack() {
	local name="$1" tree="$2"
	say "Packing $name.tar.zst"
	tar -C "$tree" --numeric-owner --xattrs --one-file-system -cf - . | zstd -q -T0 -o "$work/$name.tar.zst"
	zstd -dc "$work/$name.tar.zst" | wc -c | tr -d ' \n' >"$work/$name.bytes"
	rm -rf "$DIR/rootfs/$name" "$DIR/rootfs/$name.bytes"
	mv "$tree" "$DIR/rootfs/$name"
	mv "$work/$name.bytes" "$DIR/rootfs/$name.bytes"
	mv "$work/$name.tar.zst" "$DIR/cache/$name.tar.zst"
	say "Template ready: $DIR/cache/$name.tar.zst ($(du -h "$DIR/cache/$name.tar.zst" | cut -f1))"
}

if ! std_ok; then
	root="$work/root"
	say "Building the Debian 12 standard template with debootstrap from $MIRROR (a few minutes; once per machine)"
	# debootstrap's "I: Retrieving/Unpacking/Configuring PKG" lines are the progress: every 20th is shown.
	n=0
	debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$root" "$MIRROR" 2>&1 | while IFS= read -r line; do
		case "$line" in
			"I: Retrieving "* | "I: Validating "* | "I: Extracting "* | "I: Unpacking "* | "I: Configuring "*) n=$((n + 1)); if [ $((n % 20)) -eq 1 ]; then echo "   $line"; fi ;;
			*) echo "   $line" ;;
		esac
	done || die "debootstrap failed (see the lines above)"
	say "Configuring it as a Proxmox template is"
	configure_tree "$root"
	strip_tree "$root"
	version="$(cat "$root/etc/debian_version")"
	[[ "$version" =~ ^12\.[0-9]+$ ]] || die "unexpected Debian version '$version' in the built tree"
	pack "debian-12-standard_${version}-1_amd64" "$root"
	echo "$std_recipe" >"$DIR/standard.sha256"
fi

if ! dev_ok; then
	std="$(newest standard)"
	dev="${std/standard/devtest}"
	say "Deriving $dev: $std plus $DEVTEST_PACKAGES"
	cp -a "$DIR/rootfs/$std" "$work/devtest"
	cp /etc/resolv.conf "$work/devtest/etc/resolv.conf"
	{ chroot "$work/devtest" apt-get -q update && DEBIAN_FRONTEND=noninteractive chroot "$work/devtest" apt-get install -y -q --no-install-recommends $DEVTEST_PACKAGES; } >"$work/apt.log" 2>&1 ||
		{ tail -20 "$work/apt.log" >&2; die "installing $DEVTEST_PACKAGES into $dev failed"; }
	grep -E '^Setting up ' "$work/apt.log" | sed 's/^/   /' || true
	mkdir -p "$work/debs"
	cp "$work/devtest"/var/cache/apt/archives/*.deb "$work/debs/"
	strip_tree "$work/devtest"
	pack "$dev" "$work/devtest"
	rm -rf "$DIR/debs"
	mv "$work/debs" "$DIR/debs"
	echo "$dev_recipe" >"$DIR/devtest.sha256"
fi
echo "template build: $(($(date +%s) - started)) s"
