import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_CONFIG_BYTES } from '$lib/shared/types/configs';
import { openDatabase, type Db } from '../db';
import { SpyreError } from '../errors';
import { DEFAULTS, HEAD } from './spec-helpers';
import { createConfigStore, type ConfigStore } from './store';
import { ConfigValidationError } from './validation-error';
import { createVersionLog, KEPT_VERSIONS } from './versions';

const actor = { userId: 1, username: 'alice', ip: '127.0.0.1' };
let root: string;
let builtIn: string;
let userDir: string;
let audit: Array<[string, string | null, string, string | null | undefined]>;
let store: ConfigStore;
let db: Db;

function write(file: string, text: string) {
	fs.mkdirSync(path.dirname(file), { recursive: true });
	fs.writeFileSync(file, text);
}

function thrown(fn: () => unknown): SpyreError {
	try {
		fn();
	} catch (err) {
		expect(err).toBeInstanceOf(SpyreError);
		return err as SpyreError;
	}
	throw new Error('expected a SpyreError');
}

beforeEach(() => {
	root = fs.mkdtempSync(path.join(os.tmpdir(), 'spyre-configs-spec-'));
	builtIn = path.join(root, 'repo-configs');
	userDir = path.join(root, 'data', 'configs');
	write(path.join(builtIn, 'bases', 'os.yaml'), `${HEAD}metadata:\n  description: the OS\nspec:\n  provision:\n    packages: [git]\n`);
	write(path.join(builtIn, 'web.yaml'), `${HEAD}extends: os\nmetadata:\n  name: web\n  description: a web box\nspec:\n  provision:\n    packages: [nginx]\n`);
	audit = [];
	db = openDatabase(path.join(root, 'spyre.db'));
	db.prepare("INSERT INTO users (id, username, password_hash, created_at) VALUES (1, 'alice', 'x', 0)").run();
	store = createConfigStore({
		builtInDir: builtIn,
		userDir,
		defaults: () => DEFAULTS,
		record: (_actor, action, target, outcome, detail) => audit.push([action, target, outcome, detail]),
		versions: createVersionLog(() => db)
	});
});

afterEach(() => {
	db.close();
	fs.rmSync(root, { recursive: true, force: true });
});

describe('names', () => {
	it.each(['../../etc/passwd', '..', 'a/b', '/etc/passwd', 'Web', 'web.yaml', '-web', 'a'.repeat(64), '', 'web\u0000', 'web;id', ' web'])('refuses %j before touching the disk', (name) => {
		const err = thrown(() => store.read(name));
		expect(err.code).toBe('bad_request');
		expect(err.message).toMatch(/is not a config name/);
		expect(thrown(() => store.save(name, HEAD, actor)).code).toBe('bad_request');
		expect(thrown(() => store.remove(name, actor)).code).toBe('bad_request');
		expect(thrown(() => store.create(name, { blank: true }, actor)).code).toBe('bad_request');
	});

	it('refuses ../../etc/passwd with a clear message and audits the refusal', () => {
		const err = thrown(() => store.save('../../etc/passwd', HEAD, actor));
		expect(err.message).toBe("'../../etc/passwd' is not a config name: use lowercase letters, digits and -, starting with a letter or digit, at most 63 characters.");
		expect(audit).toEqual([['config.save', '../../etc/passwd', 'denied', err.message]]);
		expect(fs.existsSync(userDir)).toBe(false);
	});
});

describe('list and read', () => {
	it('lists built-ins and user configs with validity, base flag and description', () => {
		store.save('mine', `${HEAD}spec:\n  platform:\n    cores: lots\n`, actor);
		const list = store.list();
		expect(list.map((s) => s.name)).toEqual(['mine', 'os', 'web']);
		expect(list.find((s) => s.name === 'web')).toEqual({
			name: 'web',
			builtIn: true,
			base: false,
			description: 'a web box',
			extends: 'os',
			valid: true,
			problems: 0,
			template: 'local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst',
			updatedAt: null,
			version: 1
		});
		expect(list.find((s) => s.name === 'os')).toMatchObject({ builtIn: true, base: true, valid: true });
		const mine = list.find((s) => s.name === 'mine')!;
		expect(mine).toMatchObject({ builtIn: false, base: false, valid: false, problems: 1 });
		expect(mine.updatedAt).toBeGreaterThan(Date.now() - 60_000);
	});

	it('reads text; an unknown name is not_found', () => {
		expect(store.read('web')).toMatchObject({ name: 'web', builtIn: true, base: false, updatedAt: null });
		expect(store.read('web').text).toContain('extends: os');
		expect(thrown(() => store.read('nope')).code).toBe('not_found');
	});

	it('ignores files that are not slug-named .yaml', () => {
		write(path.join(userDir, 'Bad Name.yaml'), HEAD);
		write(path.join(userDir, 'notes.txt'), 'x');
		write(path.join(userDir, '.hidden.yaml'), HEAD);
		expect(store.list().map((s) => s.name)).toEqual(['os', 'web']);
	});

	it('a user file with a built-in name is ignored, never shadowing the built-in', () => {
		write(path.join(userDir, 'web.yaml'), `${HEAD}metadata:\n  description: impostor\n`);
		expect(store.read('web').builtIn).toBe(true);
		expect(store.list().filter((s) => s.name === 'web')).toHaveLength(1);
	});

	it('a file over the limit on disk lists as invalid and reads as payload_too_large', () => {
		write(path.join(userDir, 'huge.yaml'), `${HEAD}# ${'x'.repeat(MAX_CONFIG_BYTES)}\n`);
		expect(store.list().find((s) => s.name === 'huge')).toMatchObject({ valid: false, problems: 1 });
		expect(thrown(() => store.read('huge')).code).toBe('payload_too_large');
	});
});

describe('save', () => {
	it('writes atomically into the user folder and audits', () => {
		const summary = store.save('mine', `${HEAD}extends: os\n`, actor);
		expect(summary).toMatchObject({ name: 'mine', builtIn: false, valid: true, extends: 'os' });
		expect(fs.readFileSync(path.join(userDir, 'mine.yaml'), 'utf8')).toBe(`${HEAD}extends: os\n`);
		expect(fs.readdirSync(userDir)).toEqual(['mine.yaml']); // no temp file left behind
		expect(audit).toEqual([['config.save', 'mine', 'success', 'saved, valid as version 1']]);
	});

	it('keeps an invalid but readable draft', () => {
		const summary = store.save('draft', `${HEAD}spec:\n  platfrom: {}\n`, actor);
		expect(summary).toMatchObject({ valid: false, problems: 1 });
		expect(audit[0]).toEqual(['config.save', 'draft', 'success', 'saved with 1 problem(s) as version 1']);
	});

	it('refuses unreadable YAML with its problems, and leaves the old text', () => {
		store.save('mine', HEAD, actor);
		const err = thrown(() => store.save('mine', `${HEAD}spec: [unclosed\n`, actor));
		expect(err).toBeInstanceOf(ConfigValidationError);
		expect(err.code).toBe('validation');
		expect((err as ConfigValidationError).problems[0].line).toBeGreaterThan(0);
		expect(store.read('mine').text).toBe(HEAD);
	});

	it('refuses more than 256 KiB with the limit in the message', () => {
		const err = thrown(() => store.save('big', `${HEAD}# ${'x'.repeat(1024 * 1024)}\n`, actor));
		expect(err.code).toBe('payload_too_large');
		expect(err.message).toBe('Config big: the config is 1.0 MiB; the limit is 256 KiB.');
		expect(fs.existsSync(path.join(userDir, 'big.yaml'))).toBe(false);
	});

	it('refuses to overwrite a built-in', () => {
		const err = thrown(() => store.save('web', HEAD, actor));
		expect(err.code).toBe('forbidden');
		expect(err.message).toMatch(/built-in config and read-only; clone it/);
		expect(audit[0][2]).toBe('denied');
	});

	it('saves a user base in place, and configs can extend it', () => {
		write(path.join(userDir, 'bases', 'team.yaml'), HEAD);
		store.save('team', `${HEAD}spec:\n  provision:\n    packages: [htop]\n`, actor);
		expect(fs.readFileSync(path.join(userDir, 'bases', 'team.yaml'), 'utf8')).toContain('htop');
		store.save('mine', `${HEAD}extends: team\n`, actor);
		expect(store.resolve('mine').config.spec.provision.packages).toEqual(['htop']);
	});
});

describe('resolve', () => {
	it('returns the config, text and chain', () => {
		const r = store.resolve('web');
		expect(r.chain).toEqual(['web', 'os']);
		expect(r.config.spec.provision.packages).toEqual(['git', 'nginx']);
		expect(r.text).toContain('nginx');
	});

	it('throws a validation error with fields and problems for an invalid config', () => {
		store.save('bad', `${HEAD}extends: web\n`, actor); // web is not a base
		const err = thrown(() => store.resolve('bad')) as ConfigValidationError;
		expect(err.code).toBe('validation');
		expect(err.message).toMatch(/^Config bad has 1 problem; fix it before provisioning\. First: extends: base 'web' not found/);
		expect(err.fields).toEqual({ extends: expect.stringMatching(/base 'web' not found/) });
		expect(err.problems[0]).toMatchObject({ path: 'extends', line: 3 });
	});
});

describe('create', () => {
	it('blank, from a base, or as a clone that keeps comments and takes the new name', () => {
		expect(store.create('blank', { blank: true }, actor)).toMatchObject({ valid: true, extends: null });
		expect(store.create('child', { base: 'os' }, actor)).toMatchObject({ valid: true, extends: 'os' });
		const clone = store.create('web2', { clone: 'web' }, actor);
		expect(clone).toMatchObject({ builtIn: false, base: false, valid: true, description: 'a web box' });
		expect(store.read('web2').text).toMatch(/name: web2/);
		expect(store.resolve('web2').config.spec.provision.packages).toEqual(['git', 'nginx']);
		expect(audit.map((a) => a.slice(0, 3))).toEqual([
			['config.create', 'blank', 'success'],
			['config.create', 'child', 'success'],
			['config.create', 'web2', 'success']
		]);
	});

	it('cloning a base makes a user base', () => {
		expect(store.create('os2', { clone: 'os' }, actor)).toMatchObject({ base: true, builtIn: false });
		expect(fs.existsSync(path.join(userDir, 'bases', 'os2.yaml'))).toBe(true);
	});

	it('refuses a taken name, a base that is not a base, and a missing source', () => {
		expect(thrown(() => store.create('web', { blank: true }, actor)).code).toBe('conflict');
		expect(thrown(() => store.create('os', { blank: true }, actor)).message).toBe('There is already a built-in config named os.');
		expect(thrown(() => store.create('x', { base: 'web' }, actor)).message).toMatch(/not a base/);
		expect(thrown(() => store.create('x', { clone: 'nope' }, actor)).code).toBe('not_found');
		expect(thrown(() => store.create('x', { clone: '../web' }, actor)).code).toBe('bad_request');
	});
});

describe('delete', () => {
	it('deletes a user config and audits', () => {
		store.save('mine', HEAD, actor);
		store.remove('mine', actor);
		expect(fs.existsSync(path.join(userDir, 'mine.yaml'))).toBe(false);
		expect(audit.at(-1)).toEqual(['config.delete', 'mine', 'success', undefined]);
		expect(thrown(() => store.remove('mine', actor)).code).toBe('not_found');
	});

	it('refuses built-ins and bases still extended', () => {
		expect(thrown(() => store.remove('web', actor)).code).toBe('forbidden');
		expect(fs.existsSync(path.join(builtIn, 'web.yaml'))).toBe(true);
		store.create('team', { blank: true }, actor, { base: true });
		store.save('mine', `${HEAD}extends: team\n`, actor);
		expect(thrown(() => store.remove('team', actor)).message).toBe('Base team is extended by mine; change or delete those first.');
		store.remove('mine', actor);
		store.remove('team', actor);
		expect(store.list().map((s) => s.name)).toEqual(['os', 'web']);
	});
});

describe('check', () => {
	it('resolves bases from the store; a config name must be a slug', () => {
		expect(store.check(`${HEAD}extends: os\n`, { name: 'fresh' }).resolved?.spec.provision.packages).toEqual(['git']);
		expect(thrown(() => store.check(HEAD, { name: '../x' })).code).toBe('bad_request');
	});
});

describe('readAsset', () => {
	it('reads files beside the configs, user folder first, and refuses escapes', () => {
		write(path.join(builtIn, 'scripts', 'setup.sh'), 'built-in');
		write(path.join(builtIn, 'files', 'motd'), 'hello');
		write(path.join(userDir, 'scripts', 'setup.sh'), 'mine');
		expect(store.readAsset('scripts/setup.sh').toString()).toBe('mine');
		expect(store.readAsset('files/motd').toString()).toBe('hello');
		expect(thrown(() => store.readAsset('../../etc/passwd')).code).toBe('bad_request');
		expect(thrown(() => store.readAsset('/etc/passwd')).code).toBe('bad_request');
		expect(thrown(() => store.readAsset('files/none')).code).toBe('not_found');
		fs.symlinkSync('/etc/passwd', path.join(userDir, 'scripts', 'evil.sh'));
		expect(thrown(() => store.readAsset('scripts/evil.sh')).code).toBe('forbidden');
	});
});

describe('reserved names', () => {
	it('refuses names that are API paths of their own', async () => {
		const { assertName } = await import('./store');
		for (const name of ['check', 'schema', 'new']) expect(() => assertName(name)).toThrow(/reserved/);
		expect(() => assertName('checker')).not.toThrow();
	});
});

describe('versions', () => {
	const v = (n: number) => `${HEAD}metadata:\n  description: v${n}\nspec:\n  platform:\n    cores: ${n}\n`;

	it('keeps every save as a version with who and when; saving the same text again adds none', () => {
		expect(store.create('app', { blank: true }, actor).version).toBe(1);
		expect(store.save('app', v(2), actor).version).toBe(2);
		expect(store.save('app', v(2), actor).version).toBe(2);
		expect(store.save('app', v(3), actor).version).toBe(3);
		const list = store.versions('app');
		expect(list.map((x) => [x.version, x.source, x.savedBy])).toEqual([
			[3, 'save', 'alice'],
			[2, 'save', 'alice'],
			[1, 'create', 'alice']
		]);
		expect(list[0]).toMatchObject({ size: Buffer.byteLength(v(3)), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
		expect(list[0].savedAt).toBeGreaterThan(Date.now() - 60_000);
		expect(store.version('app', 2).content).toBe(v(2));
		expect(store.read('app')).toMatchObject({ version: 3, sha256: list[0].sha256 });
	});

	it('records content changed on disk when Spyre first reads it, with no author', () => {
		store.save('app', v(1), actor);
		fs.writeFileSync(path.join(userDir, 'app.yaml'), v(7));
		expect(store.list().find((c) => c.name === 'app')?.version).toBe(2);
		expect(store.versions('app')[0]).toMatchObject({ version: 2, source: 'disk', savedBy: null });
		// Read again: nothing new.
		expect(store.read('app').version).toBe(2);
		expect(store.versions('app')).toHaveLength(2);
		// An edit on disk that nobody read before the next save is still kept, before the save overwrites it.
		fs.writeFileSync(path.join(userDir, 'app.yaml'), v(8));
		expect(store.save('app', v(9), actor).version).toBe(4);
		expect(store.versions('app').map((x) => [x.version, x.source])).toEqual([
			[4, 'save'],
			[3, 'disk'],
			[2, 'disk'],
			[1, 'save']
		]);
		expect(store.version('app', 3).content).toBe(v(8));
	});

	it('diffs any two versions, in either order', () => {
		store.save('app', v(1), actor);
		store.save('app', v(2), actor);
		const { diff, from, to } = store.diff('app', 1, 2);
		expect([from.version, to.version]).toEqual([1, 2]);
		expect(diff).toContain('--- app v1\n+++ app v2\n');
		expect(diff).toContain('-  description: v1\n+  description: v2\n');
		expect(store.diff('app', 2, 1).diff).toContain('-  description: v2\n+  description: v1\n');
		expect(store.diff('app', 2, 2).diff).toBe('');
		expect(thrown(() => store.diff('app', 1, 9)).code).toBe('not_found');
		expect(thrown(() => store.diff('app', 0, 1)).code).toBe('bad_request');
	});

	it('restores an earlier version as a new one, audited; built-ins stay read-only', () => {
		store.save('app', v(1), actor);
		store.save('app', v(2), actor);
		audit = [];
		const restored = store.restore('app', 1, actor);
		expect(restored.version).toBe(3);
		expect(store.read('app').text).toBe(v(1));
		expect(store.versions('app')[0]).toMatchObject({ version: 3, source: 'restore', restoredFrom: 1, savedBy: 'alice' });
		expect(audit).toEqual([['config.restore', 'app', 'success', 'restored version 1 as version 3']]);
		expect(thrown(() => store.restore('app', 42, actor)).code).toBe('not_found');
		store.list();
		expect(thrown(() => store.restore('web', 1, actor)).code).toBe('forbidden');
		expect(audit.at(-1)?.slice(0, 3)).toEqual(['config.restore', 'web', 'denied']);
	});

	it('a deleted config keeps its history; a name never seen has none', () => {
		store.save('gone', v(1), actor);
		store.remove('gone', actor);
		expect(store.versions('gone').map((x) => x.version)).toEqual([1]);
		expect(thrown(() => store.versions('never')).code).toBe('not_found');
	});

	it('keeps the newest KEPT_VERSIONS of a name, and any version an environment was built from', () => {
		const log = createVersionLog(() => db);
		log.saved('app', v(1), 'save', actor);
		db.prepare("INSERT INTO environments (id, hostname, node, status, config_name, config_version, created_at, updated_at) VALUES ('env-a', 'a', 'pve', 'running', 'app', 1, 0, 0)").run();
		for (let n = 2; n <= KEPT_VERSIONS + 5; n++) log.saved('app', v(n), 'save', actor);
		const kept = log.list('app').map((x) => x.version);
		expect(kept).toHaveLength(KEPT_VERSIONS + 1);
		expect(kept[0]).toBe(KEPT_VERSIONS + 5);
		expect(kept.at(-2)).toBe(6);
		expect(kept.at(-1)).toBe(1);
	});
});
