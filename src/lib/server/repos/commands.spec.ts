// What the clone and push commands carry: never the secret (it comes on stdin), the session's socket,
// git's credential helpers reset and hooks off, every value quoted; and the runner's failure words and scrub.

import { describe, expect, it } from 'vitest';
import { cleanupCommand, cloneCommand, parseSession, prepareCommand, pushCommand, tokenCredentialInput, type GitSession } from './commands';
import { classify, scrubber } from './run';

const keySession: GitSession = { kind: 'ssh_key', dir: '/tmp/spyre-git.AbCdEf1234', agentPid: 4242, pinnedHosts: true };
const tokenSession: GitSession = { kind: 'token', dir: '/tmp/spyre-git.AbCdEf1234', agentPid: null, pinnedHosts: false };

describe('repo commands', () => {
	it('the secret is never in a command: it comes on stdin', () => {
		expect(prepareCommand('ssh_key', 600, null)).toContain('ssh-add -q -');
		expect(prepareCommand('token', 600, null)).toContain('git credential-cache --socket "$d/cache" --timeout 600 store');
		expect(tokenCredentialInput('https', 'git.example.com', 8443, 'bot', 'T0K')).toBe('protocol=https\nhost=git.example.com:8443\nusername=bot\npassword=T0K\n\n');
	});

	it('only a session directory of ours and a PID are believed', () => {
		expect(parseSession('ssh_key', '/tmp/spyre-git.AbCdEf1234\n4242\n', true)).toEqual(keySession);
		expect(parseSession('token', '/tmp/spyre-git.AbCdEf1234\n', false)).toEqual(tokenSession);
		expect(parseSession('ssh_key', '/etc\n1\n', true)).toBeNull();
		expect(parseSession('ssh_key', '/tmp/spyre-git.AbCdEf1234\n1; rm -rf /\n', true)).toBeNull();
		expect(parseSession('token', '/tmp/spyre-git.AbCdEf1234/../..\n', false)).toBeNull();
	});

	it('git runs with the session only: helpers reset, hooks off, no prompt, a pinned or accept-new host key', () => {
		const ssh = cloneCommand({ url: 'ssh://git@h:2222/a.git', ref: 'main', path: 'work/app', depth: 5, commit: false }, keySession);
		expect(ssh).toContain("env GIT_TERMINAL_PROMPT=0 'GIT_SSH_COMMAND=ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=/tmp/spyre-git.AbCdEf1234/known_hosts'");
		expect(ssh).toContain('SSH_AUTH_SOCK=/tmp/spyre-git.AbCdEf1234/agent');
		expect(ssh).toContain('git -c credential.helper= -c core.hooksPath=/dev/null clone --progress --depth 5 --branch main -- ssh://git@h:2222/a.git work/app');
		expect(ssh).toContain(`trap 'kill 4242 2>/dev/null; rm -rf -- /tmp/spyre-git.AbCdEf1234; true' EXIT`);
		const http = pushCommand('https://h/a.git', '/srv/app', 'spyre/abc', tokenSession);
		expect(http).toContain("-c 'credential.helper=cache --socket /tmp/spyre-git.AbCdEf1234/cache'");
		expect(http).toContain('StrictHostKeyChecking=accept-new -o UserKnownHostsFile=~/.ssh/known_hosts');
		expect(http).toContain('push --porcelain -- https://h/a.git refs/heads/spyre/abc:refs/heads/spyre/abc');
		expect(cleanupCommand(tokenSession)).toBe('git credential-cache --socket /tmp/spyre-git.AbCdEf1234/cache exit >/dev/null 2>&1; rm -rf -- /tmp/spyre-git.AbCdEf1234; true');
	});

	it('a value with a quote stays one word', () => {
		const cmd = cloneCommand({ url: "https://h/a'b", ref: 'main', path: "o'k", depth: null, commit: false }, null);
		expect(cmd).toContain(`-- 'https://h/a'\\''b' 'o'\\''k'`);
	});
});

describe('git failures in words', () => {
	it.each([
		['git@h: Permission denied (publickey).', 'credential'],
		["fatal: Authentication failed for 'https://h/a.git/'", 'credential'],
		['ERROR: Repository not found.', 'not_found'],
		["fatal: '/srv/x.git' does not appear to be a git repository", 'not_found'],
		['warning: Could not find remote branch nope to clone.\nfatal: Remote branch nope not found in upstream origin', 'ref'],
		[' ! [remote rejected] spyre/a -> spyre/a (pre-receive hook declined)', 'refused'],
		['Host key verification failed.', 'host_key'],
		['ssh: connect to host h port 22: Connection refused', 'unreachable'],
		['something else', 'other']
	])('%s is %s', (line, failure) => expect(classify(line.split('\n')).failure).toBe(failure));

	it('scrubs the token, the key body and any user:password in a URL', () => {
		const token = scrubber({ name: 't', kind: 'token', secret: 'S3CRET-TOKEN', username: 'u', knownHosts: null });
		expect(token('remote: echo S3CRET-TOKEN and https://u:pw@h/x')).toBe('remote: echo *** and https://***@h/x');
		const key = scrubber({ name: 'k', kind: 'ssh_key', secret: '-----BEGIN KEY-----\nAAAAB3NzaC1yc2EAAAADAQABAAABAQ\n-----END KEY-----\n', username: null, knownHosts: null });
		expect(key('x AAAAB3NzaC1yc2EAAAADAQABAAABAQ y')).toBe('x *** y');
	});
});
