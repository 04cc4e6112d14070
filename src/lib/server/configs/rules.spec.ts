// Every value rule, valid and invalid, through the whole parser (so messages and paths are what the
// editor shows), plus hostile strings carrying shell metacharacters.

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { absolutePathProblem, aptProxyProblem, npmRegistryProblem, RE, relativePathProblem } from './rules';
import { isProxmoxId } from '$lib/shared/validation/proxmox';
import { check, errors, HEAD } from './spec-helpers';

type Obj = Record<string, unknown>;

/** Set `value` at a dotted path (numbers index lists) inside a minimal valid config, and check it. */
function errorPathsWith(path: string, value: unknown): string[] {
	const doc: Obj = { apiVersion: 'spyre/v1', kind: 'Environment', spec: {} };
	const keys = path.split('.');
	let node: Obj = doc;
	keys.slice(0, -1).forEach((k, i) => {
		const nextIsIndex = /^\d+$/.test(keys[i + 1]);
		node[k] ??= nextIsIndex ? [] : {};
		node = node[k] as Obj;
	});
	node[keys[keys.length - 1]] = value;
	return errors(check(stringify(doc))).map((p) => p.path);
}

/** Fields and a complete list item around them, so only the field under test can be wrong. */
const CONTEXTS: Record<string, (v: unknown) => Obj> = {
	package: (v) => ({ provision: { packages: [v] } }),
	filePath: (v) => ({ provision: { files: [{ path: v, content: 'x' }] } }),
	fileOwner: (v) => ({ provision: { files: [{ path: '/x', content: 'x', owner: v }] } }),
	fileSource: (v) => ({ provision: { files: [{ path: '/x', source: v }] } }),
	userName: (v) => ({ provision: { users: [{ name: v }] } }),
	userGroup: (v) => ({ provision: { users: [{ name: 'dev', groups: [v] }] } }),
	userShell: (v) => ({ provision: { users: [{ name: 'dev', shell: v }] } }),
	sshKey: (v) => ({ provision: { users: [{ name: 'dev', ssh_keys: [v] }] } }),
	scriptName: (v) => ({ provision: { scripts: [{ name: v, run: 'true' }] } }),
	scriptUser: (v) => ({ provision: { scripts: [{ name: 's', run: 'true', user: v }] } }),
	scriptWorkdir: (v) => ({ provision: { scripts: [{ name: 's', run: 'true', workdir: v }] } }),
	scriptEnvName: (v) => ({ provision: { scripts: [{ name: 's', run: 'true', env: { [String(v)]: 'x' } }] } }),
	scriptEnvValue: (v) => ({ provision: { scripts: [{ name: 's', run: 'true', env: { A: v } }] } }),
	scriptTimeout: (v) => ({ provision: { scripts: [{ name: 's', run: 'true', timeout: v }] } }),
	scriptRun: (v) => ({ provision: { scripts: [{ name: 's', run: v }] } }),
	servicePort: (v) => ({ services: [{ name: 'web', port: v }] }),
	serviceName: (v) => ({ services: [{ name: v, port: 80 }] }),
	serviceProtocol: (v) => ({ services: [{ name: 'web', port: 80, protocol: v }] }),
	node: (v) => ({ platform: { node: v } }),
	template: (v) => ({ platform: { template: v } }),
	storage: (v) => ({ platform: { storage: v } }),
	cores: (v) => ({ platform: { cores: v } }),
	memory: (v) => ({ platform: { memory: v } }),
	swap: (v) => ({ platform: { swap: v } }),
	disk: (v) => ({ platform: { disk: v } }),
	bridge: (v) => ({ platform: { network: { bridge: v } } }),
	ip: (v) => ({ platform: { network: { ip: v } } }),
	tag: (v) => ({ platform: { tags: [v] } }),
	onboot: (v) => ({ platform: { onboot: v } }),
	nesting: (v) => ({ platform: { features: { nesting: v } } }),
	helperUrl: (v) => ({ helper_script: { url: v, sha256: 'a'.repeat(64) } }),
	helperSha: (v) => ({ helper_script: { url: 'https://example.com/s.sh', sha256: v } }),
	helperVar: (v) => ({ helper_script: { file: 's.sh', vars: { [String(v)]: '1' } } }),
	helperVarValue: (v) => ({ helper_script: { file: 's.sh', vars: { var_os: v } } }),
	claudeModel: (v) => ({ claude: { model: v } }),
	claudeMode: (v) => ({ claude: { permission_mode: v } }),
	claudeTool: (v) => ({ claude: { allowed_tools: [v] } }),
	claudeWorkdir: (v) => ({ claude: { workdir: v } }),
	repoUrl: (v) => ({ repos: [{ url: v, ref: 'main', path: 'app' }] }),
	repoRef: (v) => ({ repos: [{ url: 'https://h/a.git', ref: v, path: 'app' }] }),
	repoPath: (v) => ({ repos: [{ url: 'https://h/a.git', ref: 'main', path: v }] }),
	repoDepth: (v) => ({ repos: [{ url: 'https://h/a.git', ref: 'main', path: 'app', depth: v }] }),
	repoCredential: (v) => ({ repos: [{ url: 'https://h/a.git', ref: 'main', path: 'app', credential: v }] })
};

function specErrors(context: string, value: unknown): string[] {
	return errorPathsWith('spec', CONTEXTS[context](value));
}

const CASES: Array<[string, unknown[], unknown[]]> = [
	[
		'package',
		['git', 'build-essential', 'libc6:amd64', 'nginx=1.24.0-2ubuntu7', 'g++', 'python3.12', 'NetworkManager'],
		['-y', '--allow-unauthenticated', 'a b', 'git;id', '$(id)', '`id`', 'a|b', 'a&&b', '', '../x', 'x\ny', 7]
	],
	['filePath', ['/etc/motd', '/home/dev/.bashrc', '/srv/web/index.html', '/opt/a b/c'], ['etc/motd', '/etc/../shadow', '/./x', '/a/', '/a//b', '/x\u0000y', '/x\ny', '', 5]],
	['fileOwner', ['root', 'dev:dev', '_apt', 'www-data:www-data'], ['Dev', 'dev:', ':dev', 'dev:dev:dev', 'root;id', '0', 'a'.repeat(33)]],
	['fileSource', ['files/motd', 'site/index.html', 'a.sh'], ['/etc/passwd', '../secret', 'a/../../b', 'a//b', 'x;id', '']],
	['userName', ['dev', '_svc', 'www-data', 'a1'], ['Dev', '1dev', 'dev;id', 'dev user', '-dev', 'a'.repeat(33), '']],
	['userGroup', ['sudo', 'docker', 'adm'], ['sudo,root', 'wheel;id', 'Sudo']],
	['userShell', ['/bin/bash', '/usr/bin/zsh'], ['bash', '/bin/../bin/sh', '/bin/sh\u0007']],
	[
		'sshKey',
		['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBvWkm0cXk3GQ5Ojz7wQcC0pQ1F0Zl2b5m2s0mJ9v8Xs dev@laptop', 'ssh-rsa AAAAB3NzaC1yc2E='],
		['not a key', 'ssh-ed25519', 'ssh-ed25519 AAAA\nssh-rsa BBBB', 'command="id" ssh-ed25519 AAAA']
	],
	['scriptName', ['setup', 'write-site', 'a1'], ['Setup', 'write site', 'a;b', '-x', '../x', '']],
	['scriptUser', ['dev', 'root'], ['dev;id', 'Dev']],
	['scriptWorkdir', ['/srv/web', '/'], ['srv', '/srv/../etc']],
	['scriptEnvName', ['NODE_ENV', '_X', 'a1'], ['1A', 'A-B', 'A B', 'A=B', 'A;B']],
	['scriptEnvValue', ['production', 'a b c', "it's"], ['a\nb', 'x\u0000', 'bell\u0007']],
	['scriptTimeout', [1, 600, 86400], [0, -1, 1.5, 86401, '10m']],
	['scriptRun', ['echo hi', 'set -e\napt-get update\n'], ['', 'a\u0000b', 7]],
	['servicePort', [1, 3000, 65535], [0, 65536, -1, 80.5, '80']],
	['serviceName', ['web', 'api-2'], ['Web', 'web.app', 'a;b']],
	['serviceProtocol', ['http', 'https', 'tcp'], ['udp', 'HTTP', '']],
	['node', ['pve', 'pve-02', 'Node1'], ['pve;id', '-pve', 'pve.local', '']],
	['template', ['local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst'], ['debian-12', 'local:iso/x.iso', 'local:vztmpl/../x', 'local:vztmpl/x;id']],
	['storage', ['local-lvm', 'local', 'ceph_pool.1'], ['1local', 'local lvm', 'a;b', 'l', 'local-']],
	['cores', [1, 128], [0, 129, 1.5, '2']],
	['memory', [64, 2048], [63, 0, '2G']],
	['swap', [0, 512], [-1, 'none']],
	['disk', [1, 16384], [0, 16385, 8.5]],
	['bridge', ['vmbr0', 'br-lan', 'eth0.100'], ['0vmbr', 'vmbr0;id', 'averyveryverylongbridge']],
	['ip', ['dhcp', '10.0.0.5/24', '192.168.1.10/32'], ['DHCP', '10.0.0.5', '10.0.0.256/24', '10.0.0.5/33', 'static', '']],
	['tag', ['spyre', 'web_1', 'a.b', 'Spyre'], ['+a', 'a b', 'a;b', '']],
	['onboot', [true, false], ['yes', 1]],
	['nesting', [true, false], ['on', 0]],
	['helperUrl', ['https://raw.githubusercontent.com/x/y/main/ct/debian.sh'], ['http://example.com/s.sh', 'ftp://x/y', 'not a url', 'https://exa mple.com/x', 'file:///etc/passwd']],
	['helperSha', ['a'.repeat(64), 'ABCDEF0123456789'.repeat(4)], ['a'.repeat(63), 'g'.repeat(64), 'a'.repeat(65), '']],
	['helperVar', ['var_os', 'var_version', 'var_ctid_2'], ['os', 'VAR_OS', 'var_', 'var-os', 'var_os;id']],
	['helperVarValue', ['debian', '12', 'a b'], ['a\nb', 'x\u0000']],
	['claudeModel', ['sonnet', 'opus', 'claude-sonnet-4-5', 'claude-opus-4-1-20250805'], ['son net', 'x;id', '-m', '']],
	['claudeMode', ['default', 'acceptEdits', 'plan', 'bypassPermissions', 'dontAsk', 'auto'], ['yolo', 'Default', '']],
	['claudeTool', ['Read', 'Edit', 'Bash(git log:*)', 'mcp__github__search'], ['Read;id', '(Bash)', 'Bash(x\ny)', '']],
	['claudeWorkdir', ['/home/dev/work'], ['work', '/home/../etc']],
	[
		'repoUrl',
		['https://github.com/acme/app.git', 'http://10.0.0.5:3000/t/app.git', 'ssh://git@h:2222/srv/app.git', 'git@github.com:acme/app.git'],
		['ext::sh -c id', 'file:///srv/app', '/srv/app', '-oProxyCommand=id', 'ssh://-oProxyCommand=id/x', 'https://u:p@h/a', 'https://h/a;id', 'https://h/$(id)', 'https://h/a\n', 'h:a', 7, '']
	],
	['repoRef', ['main', 'v1.2.0', 'release/2026', 'a'.repeat(40)], ['-f', '--upload-pack=id', 'a..b', 'a;b', '$(id)', 'HEAD@{1}', 'x.lock', '']],
	['repoPath', ['app', '~/work/app', '/srv/app', 'work/./app/'], ['../x', '/', '~root/x', '-x', 'a b', 'a;b', '$(id)', '']],
	['repoDepth', [1, 50], [0, -1, 1.5, '1']],
	['repoCredential', ['github-deploy', 'gitea'], ['Bad Name', 'a;b', '']]
];

describe.each(CASES)('%s', (context, valid, invalid) => {
	it.each(valid.map((v) => [JSON.stringify(v), v]))('accepts %s', (_, value) => {
		expect(specErrors(context, value)).toEqual([]);
	});
	it.each(invalid.map((v) => [JSON.stringify(v), v]))('refuses %s', (_, value) => {
		expect(specErrors(context, value).length).toBeGreaterThan(0);
	});
});

describe('hostile strings never pass a rule where a shell could see them', () => {
	const hostile = ['a;b', 'a|b', 'a&b', '$(x)', '`x`', 'a>b', 'a<b', "a'b", 'a"b', 'a\\b', 'a b', 'a\nb', 'a\tb', 'a*b', 'a?b', 'a{b}', '!a', '#a', '~a', '-a'];
	const rules = ['packageName', 'posixName', 'owner', 'envName', 'helperVar', 'slug', 'hostname', 'model'] as const;
	it.each(rules)('%s', (rule) => {
		for (const s of hostile) expect(RE[rule].test(s), `${rule} accepted ${JSON.stringify(s)}`).toBe(false);
	});
	it.each(['node', 'storage', 'bridge', 'tag', 'template'] as const)('Proxmox %s', (kind) => {
		for (const s of hostile) expect(isProxmoxId(kind, s), `${kind} accepted ${JSON.stringify(s)}`).toBe(false);
	});
});

describe('path rules', () => {
	it('absolute paths', () => {
		expect(absolutePathProblem('/etc/motd')).toBeNull();
		expect(absolutePathProblem('/')).toBeNull();
		expect(absolutePathProblem('../../etc/passwd')).toMatch(/absolute/);
		expect(absolutePathProblem('/etc/../../shadow')).toMatch(/\.\./);
		expect(absolutePathProblem('/x\u0000')).toMatch(/control/);
		expect(absolutePathProblem('/' + 'a'.repeat(1100))).toMatch(/1024/);
	});
	it('relative paths stay inside the configs folder', () => {
		expect(relativePathProblem('scripts/setup.sh')).toBeNull();
		expect(relativePathProblem('../../etc/passwd')).not.toBeNull();
		expect(relativePathProblem('/etc/passwd')).not.toBeNull();
		expect(relativePathProblem('a/./b')).not.toBeNull();
		expect(relativePathProblem('a b.sh')).not.toBeNull();
	});
});

describe('repos', () => {
	const repo = (path: string) => ({ url: 'https://h/a.git', ref: 'main', path });
	it('one clone per path, none inside another, normalised before comparing', () => {
		expect(errorPathsWith('spec', { repos: [repo('app'), repo('~/app/')] })).toEqual(['spec.repos[1]']);
		expect(errorPathsWith('spec', { repos: [repo('work'), repo('work/lib')] })).toEqual(['spec.repos[1].path']);
		expect(errorPathsWith('spec', { repos: [repo('work'), repo('worker')] })).toEqual([]);
	});
	it('a ref of digits stays the text written', () => {
		const r = check(`${HEAD}spec:\n  repos:\n    - { url: 'https://h/a.git', ref: 1.10, path: app }\n`);
		expect(r.resolved?.spec.repos[0]).toEqual({ url: 'https://h/a.git', ref: '1.10', path: 'app', depth: null, credential: null });
	});
	it('an error is at its YAML line; a credential over http is a warning there', () => {
		const r = check(`${HEAD}spec:\n  repos:\n    - url: http://10.0.0.5/a.git\n      ref: main\n      path: app\n      credential: lan\n    - url: 'ext::sh -c id'\n      ref: main\n      path: b\n`);
		const err = r.problems.find((p) => p.severity === 'error');
		expect(err).toMatchObject({ path: 'spec.repos[1].url', line: 9 });
		expect(err?.message).toMatch(/transport/);
		const warn = check(`${HEAD}spec:\n  repos:\n    - url: http://10.0.0.5/a.git\n      ref: main\n      path: app\n      credential: lan\n`).problems;
		expect(warn).toEqual([expect.objectContaining({ path: 'spec.repos[0].url', line: 5, severity: 'warning' })]);
	});
});

describe('the docs example with repos', () => {
	it('docs/examples/web-app-repos.yaml resolves (a credential over http is its one warning)', () => {
		const text = fs.readFileSync(path.resolve('docs/examples/web-app-repos.yaml'), 'utf8');
		const base = fs.readFileSync(path.resolve('configs/bases/ubuntu-dev.yaml'), 'utf8');
		const r = check(text, { 'ubuntu-dev': base }, 'web-app');
		expect(errors(r)).toEqual([]);
		expect(r.resolved?.spec.repos.map((x) => x.path)).toEqual(['work/app', 'work/docs']);
		expect(r.problems.map((p) => p.path)).toEqual(['spec.repos[1].url']);
	});
});

describe('metadata', () => {
	it('name is a slug, description one line', () => {
		expect(errorPathsWith('metadata', { name: 'dev-web', description: 'Node and Nginx' })).toEqual([]);
		expect(errorPathsWith('metadata', { name: '../../etc/passwd' })).toEqual(['metadata.name']);
		expect(errorPathsWith('metadata', { description: 'two\nlines' })).toEqual(['metadata.description']);
		expect(errorPathsWith('extends', 'Bad Name')).toEqual(['extends']);
	});
});

describe('package proxy and npm registry hosts (the shared host rule)', () => {
	it.each(['http://10.0.0.1:3142', 'http://apt-cache.lan:3142/', 'http://Cache.LAN', 'http://[fd00::1]:3142', 'http://xn--bcher-kva.example:3142'])('apt_proxy %s passes', (url) => {
		expect(aptProxyProblem(url)).toBeNull();
		expect(npmRegistryProblem(`${url.replace(/\/$/, '')}/npm/`)).toBeNull();
	});
	it.each([
		'http://010.0.0.1:3142', // leading zeros: octal to some readers
		'http://999.1.1.1:3142', // ends in a number, so an address, and not a valid one
		'http://0x7f.1:3142',
		'http://a..b:3142',
		'http://-cache.lan:3142',
		'http://cache.lan.:3142',
		'http://bücher.example:3142',
		'http://[:::]:3142',
		'http://[fd00::1:3142',
		`http://${'a'.repeat(64)}.lan:3142`
	])('%s is refused', (url) => {
		expect(aptProxyProblem(url)).toMatch(/^must be a proxy URL/);
		expect(npmRegistryProblem(`${url}/`)).toMatch(/^must be a registry URL/);
	});
});
