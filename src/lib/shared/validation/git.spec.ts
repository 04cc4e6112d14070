// The git rules, table-driven: what passes, and the hostile strings (transport helpers, option-like hosts
// and users, shell metacharacters, control characters) that must not.

import { describe, expect, it } from 'vitest';
import { credentialFits, credentialNameProblem, gitRefProblem, gitUrlProblem, isCommitId, normaliseRepoPath, parseGitUrl } from './git';

describe('gitUrlProblem', () => {
	it.each([
		'https://github.com/acme/app.git',
		'https://git.example.com:8443/team/app',
		'http://10.0.0.5:3000/team/app.git',
		'ssh://git@github.com/acme/app.git',
		'ssh://git@10.213.0.1:2222/srv/git/app.git',
		'ssh://host.lan/app.git',
		'git@github.com:acme/app.git',
		'deploy@[fd00::1]:repos/app.git',
		'git@host:~/app.git'
	])('accepts %s', (url) => {
		expect(gitUrlProblem(url)).toBeNull();
	});

	it.each([
		['ext::sh -c touch% /tmp/pwned', 'transport'],
		['ext::sh', 'transport'],
		['fd::17', 'transport'],
		['file:///etc', 'local'],
		['/srv/git/app.git', 'local'],
		['./app', 'local'],
		['-oProxyCommand=touch /tmp/x', '-'],
		['ssh://-oProxyCommand=touch%20x/app', 'must be'],
		['ssh://git@-oProxyCommand=x/app', 'must be'],
		['-u@host:app', '-'],
		['git@host:-upload-pack=touch', 'must be'],
		['https://user:secret@github.com/acme/app.git', 'user or password'],
		['https://github.com/acme/app.git?x=1', 'must be'],
		['https://github.com/acme/$(touch%20x).git', 'must be'],
		['https://github.com/acme/app;rm -rf ~', 'spaces'],
		['https://github.com/acme/`id`', 'must be'],
		["git@host:'a'", 'must be'],
		['https://github.com/acme/app\n.git', 'control'],
		['https://github.com/../../etc', 'must be'],
		['ftp://example.com/app', 'must be'],
		['https://example.com:70000/app', 'must be'],
		['http://010.0.0.5/a.git', 'must be'], // leading zeros: octal to some readers
		['http://999.1.1.1/a.git', 'must be'],
		['ssh://git@0x7f.1/a.git', 'must be'],
		['git@a..b:app.git', 'must be'],
		['git@-x.lan:app.git', 'must be'],
		['deploy@[:::]:repos/app.git', 'must be'],
		['https://git.lan./a.git', 'must be'],
		['', 'Enter']
	])('refuses %j', (url, why) => {
		expect(gitUrlProblem(url)).toContain(why);
	});

	it('parses the parts the runner needs', () => {
		expect(parseGitUrl('ssh://git@10.0.0.1:2222/x.git')).toEqual({ kind: 'ssh', host: '10.0.0.1', port: 2222, user: 'git' });
		expect(parseGitUrl('git@github.com:a/b.git')).toEqual({ kind: 'ssh', host: 'github.com', port: null, user: 'git' });
		expect(parseGitUrl('http://10.0.0.5:3000/a.git')).toEqual({ kind: 'http', host: '10.0.0.5', port: 3000, user: null });
		expect(credentialFits('token', parseGitUrl('https://h/a')!)).toBe(true);
		expect(credentialFits('token', parseGitUrl('git@h:a')!)).toBe(false);
		expect(credentialFits('ssh_key', parseGitUrl('git@h:a')!)).toBe(true);
	});
});

describe('gitRefProblem', () => {
	it.each(['main', 'release/1.2', 'v1.0.0', 'feature_x-y', 'a'.repeat(40)])('accepts %s', (ref) => expect(gitRefProblem(ref)).toBeNull());
	it.each(['', '-f', '--upload-pack=x', 'a..b', '/main', 'main/', 'a//b', '.hidden', 'x/.y', 'main.lock', 'main.', 'ma in', 'HEAD@{1}', 'a;b', '$(id)', 'a\nb'])('refuses %j', (ref) =>
		expect(gitRefProblem(ref)).not.toBeNull()
	);
	it('knows a commit id', () => {
		expect(isCommitId('a'.repeat(40))).toBe(true);
		expect(isCommitId('abc123')).toBe(false);
	});
});

describe('normaliseRepoPath', () => {
	it.each([
		['app', 'app'],
		['~/app', 'app'],
		['./work//app/', 'work/app'],
		['/srv/app', '/srv/app'],
		['/srv/./app/', '/srv/app']
	])('%s is %s', (input, out) => expect(normaliseRepoPath(input)).toEqual({ path: out }));
	it.each(['', '/', '~', '../x', 'a/../../etc', '~root/x', '-rf', 'a/-x', 'a b', 'a;b', '$(id)', 'a\nb'])('refuses %j', (input) => {
		expect(normaliseRepoPath(input)).toHaveProperty('problem');
	});
});

describe('credentialNameProblem', () => {
	it('is a slug', () => {
		expect(credentialNameProblem('github-deploy')).toBeNull();
		expect(credentialNameProblem('Bad Name')).not.toBeNull();
		expect(credentialNameProblem('')).not.toBeNull();
	});
});
