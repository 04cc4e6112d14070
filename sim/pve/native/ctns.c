// pve-sim-ctns: what a simulated unprivileged CT needs that util-linux 2.38 cannot do. Built by the
// simulator with gcc at start-up (sim/pve/native.ts). Every subcommand runs as host root.
//   idmap SRC DST BASE COUNT   bind-mount SRC (not recursive) on DST as an idmapped mount: on-disk id N
//                              appears as BASE+N, so an overlay above it sees host root's files as CT root's.
//   opaque DIR...              mark each DIR of an overlay upper layer opaque: the lower directory is hidden.
//   whiteout PATH...           make each PATH of an upper layer a whiteout: the lower file is hidden.
//   init ROOT BASE COUNT ADDR PORT CMD...
//                              PID 1 of a CT: pivot_root into ROOT, create the CT's user namespace (ids
//                              0..COUNT-1 -> host BASE..), listen on ADDR:PORT and, like systemd's
//                              sshd.socket, run CMD (`sshd -i`) as CT root for each connection; reap
//                              orphans; exit on SIGTERM (which ends the PID namespace). The listener binds
//                              as host root because CT root may not bind port 22 in the host's network
//                              namespace. After the pivot it never executes a file of the CT as host root.
// The user namespace is created by a child and its maps are written by the parent, which is root in the
// parent namespace: a process cannot map a range for itself (that is newuidmap's job).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <linux/mount.h>

#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x00100000
#endif

static void die(const char *what) {
	fprintf(stderr, "pve-sim-ctns: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void write_file(const char *path, const char *text) {
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) die(path);
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) die(path);
	close(fd);
}

static void become_root_in_ns(void) {
	if (setgroups(0, NULL)) die("setgroups");
	if (setresgid(0, 0, 0)) die("setresgid");
	if (setresuid(0, 0, 0)) die("setresuid");
}

// Fork a child into a new user namespace with the maps written; it becomes CT root (host uid BASE) and
// waits until the parent exits (its end of the pipe closes). Returns the child's pid and an fd of the ns.
static pid_t make_userns(unsigned long base, unsigned long count, int *ns_fd) {
	int ready[2], go[2];
	if (pipe2(ready, O_CLOEXEC) || pipe2(go, O_CLOEXEC)) die("pipe");
	pid_t pid = fork();
	if (pid < 0) die("fork");
	if (pid == 0) {
		char c = 0;
		close(ready[0]);
		close(go[1]);
		if (unshare(CLONE_NEWUSER)) _exit(1);
		if (write(ready[1], &c, 1) != 1) _exit(1);
		if (read(go[0], &c, 1) != 1) _exit(1);
		become_root_in_ns();
		prctl(PR_SET_NAME, "pve-sim-userns");
		while (read(go[0], &c, 1) > 0) {}
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	char c = 'g', path[64], map[96];
	if (read(ready[0], &c, 1) != 1) { errno = ECHILD; die("unshare(CLONE_NEWUSER)"); }
	close(ready[0]);
	snprintf(map, sizeof map, "0 %lu %lu\n", base, count);
	snprintf(path, sizeof path, "/proc/%d/uid_map", pid);
	write_file(path, map);
	snprintf(path, sizeof path, "/proc/%d/gid_map", pid);
	write_file(path, map);
	snprintf(path, sizeof path, "/proc/%d/ns/user", pid);
	*ns_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*ns_fd < 0) die(path);
	if (write(go[1], &c, 1) != 1) die("go");
	return pid;
}

static unsigned long num(const char *s) {
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || end == s) { fprintf(stderr, "pve-sim-ctns: bad number '%s'\n", s); exit(2); }
	return v;
}

static int cmd_idmap(char **argv) {
	int userns;
	pid_t child = make_userns(num(argv[2]), num(argv[3]), &userns);
	int tree = syscall(SYS_open_tree, AT_FDCWD, argv[0], OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree < 0) die("open_tree");
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (unsigned long)userns };
	if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr)) die("mount_setattr(MOUNT_ATTR_IDMAP)");
	if (syscall(SYS_move_mount, tree, "", AT_FDCWD, argv[1], MOVE_MOUNT_F_EMPTY_PATH)) die("move_mount");
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	return 0;
}

static void on_signal(int sig) { (void)sig; }

static int listen_on(const char *addr, unsigned long port) {
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) { fprintf(stderr, "pve-sim-ctns: bad address %s\n", addr); exit(2); }
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	if (fd < 0) die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, 128)) {
		// The same words as sshd's, which the simulator reports as a bind failure.
		fprintf(stderr, "Bind to port %lu on %s failed: %s.\n", port, addr, strerror(errno));
		exit(1);
	}
	return fd;
}

// Runs in the CT's PID namespace as host root and forks one CMD per connection into the user namespace.
static void listener(int sock, int userns, char **cmd) {
	prctl(PR_SET_NAME, "sshd-listener");
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGCHLD, SIG_IGN); // connection handlers are reaped by the kernel
	for (;;) {
		int conn = accept4(sock, NULL, NULL, SOCK_CLOEXEC);
		if (conn < 0) {
			if (errno == EINTR || errno == ECONNABORTED) continue;
			die("accept");
		}
		pid_t pid = fork();
		if (pid == 0) {
			if (setns(userns, CLONE_NEWUSER)) die("setns(user)");
			become_root_in_ns();
			setsid();
			signal(SIGCHLD, SIG_DFL);
			if (dup2(conn, 0) < 0 || dup2(conn, 1) < 0) die("dup2");
			execv(cmd[0], cmd);
			die(cmd[0]);
		}
		close(conn);
	}
}

static int cmd_init(char **argv) {
	if (chdir(argv[0])) die("chdir(root)");
	if (syscall(SYS_pivot_root, ".", ".")) die("pivot_root");
	// The old root is stacked on the new one: detach it so nothing of the host stays reachable.
	if (umount2(".", MNT_DETACH)) die("umount old root");
	if (chdir("/")) die("chdir(/)");
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	// PID 1 drops signals that have no handler; a handler plus sigwait makes SIGTERM from the host arrive.
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGCHLD, on_signal);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int userns;
	make_userns(num(argv[1]), num(argv[2]), &userns);
	int sock = listen_on(argv[3], num(argv[4]));
	pid_t pid = fork();
	if (pid < 0) die("fork");
	if (pid == 0) {
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		listener(sock, userns, argv + 5);
	}
	close(sock);
	close(userns);
	for (;;) {
		int sig = sigwaitinfo(&set, NULL);
		if (sig == SIGTERM || sig == SIGINT) return 0;
		while (waitpid(-1, NULL, WNOHANG) > 0) {}
	}
}

int main(int argc, char **argv) {
	if (argc == 6 && strcmp(argv[1], "idmap") == 0) return cmd_idmap(argv + 2);
	if (argc >= 3 && strcmp(argv[1], "opaque") == 0) {
		for (int i = 2; i < argc; i++)
			if (lsetxattr(argv[i], "trusted.overlay.opaque", "y", 1, 0)) die(argv[i]);
		return 0;
	}
	if (argc >= 3 && strcmp(argv[1], "whiteout") == 0) {
		for (int i = 2; i < argc; i++)
			if (mknod(argv[i], S_IFCHR | 0600, makedev(0, 0))) die(argv[i]);
		return 0;
	}
	if (argc >= 8 && strcmp(argv[1], "init") == 0) return cmd_init(argv + 2);
	fprintf(stderr, "usage: pve-sim-ctns idmap SRC DST BASE COUNT | opaque DIR... | whiteout PATH... | init ROOT BASE COUNT ADDR PORT CMD [ARGS...]\n");
	return 2;
}
