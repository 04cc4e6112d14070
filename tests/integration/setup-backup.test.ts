// `./setup.sh backup` as an operator runs it: a data dir with Spyre's real schema (opened through the app's
// own openDatabase, held open in WAL mode with uncheckpointed writes, as a running service would), configs,
// an SSH key pair and an environment.yaml with an inline token secret. The archive must restore: the
// database opens and has every row, the files are there, and the secret is not in it unless asked for.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/lib/server/db';
import { REPO_ROOT } from '../helpers/spyre';

const run = promisify(execFile);
const SECRET = 'c0ffee00-1111-2222-3333-backup-secret';
const ROWS = 250;

describe('./setup.sh backup', () => {
	let dir: string;
	let cfg: string;
	let live: ReturnType<typeof openDatabase>;

	beforeAll(() => {
		dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spyre-backup-'));
		const data = path.join(dir, 'data');
		fs.mkdirSync(path.join(data, 'configs', 'bases'), { recursive: true });
		fs.mkdirSync(path.join(data, 'ssh'), { mode: 0o700 });
		fs.writeFileSync(path.join(data, 'configs', 'dev-web.yaml'), 'name: dev-web\n');
		fs.writeFileSync(path.join(data, 'configs', 'bases', 'node.yaml'), 'name: node\n');
		fs.writeFileSync(path.join(data, 'ssh', 'id_ed25519'), 'PRIVATE KEY\n', { mode: 0o600 });
		fs.writeFileSync(path.join(data, 'ssh', 'id_ed25519.pub'), 'ssh-ed25519 AAAA spyre@test\n');
		cfg = path.join(dir, 'environment.yaml');
		fs.writeFileSync(
			cfg,
			[
				'# the operator comment survives',
				'server:',
				`  data_dir: "${data}"`,
				'proxmox:',
				'  url: "https://127.0.0.1:8006"',
				`  token_secret: "${SECRET}"`,
				'ssh:',
				`  private_key_path: "${data}/ssh/id_ed25519"`,
				`  public_key_path: "${data}/ssh/id_ed25519.pub"`,
				''
			].join('\n')
		);
		live = openDatabase(path.join(data, 'spyre.db'));
		const insert = live.prepare("INSERT INTO audit_log (ts, action, outcome) VALUES (?, 'test.row', 'success')");
		live.transaction(() => {
			for (let i = 0; i < ROWS; i++) insert.run(i);
		})();
		// Still open, and the rows still in the -wal: a file copy would miss them, the online backup must not.
		expect(fs.statSync(path.join(data, 'spyre.db-wal')).size).toBeGreaterThan(0);
	});

	afterAll(() => {
		live?.close();
		if (dir) fs.rmSync(dir, { recursive: true, force: true });
	});

	async function backup(out: string, ...extra: string[]) {
		await run(path.join(REPO_ROOT, 'setup.sh'), ['backup', out, '--config', cfg, ...extra], { cwd: REPO_ROOT });
		const archives = fs.readdirSync(out).filter((f) => f.endsWith('.tar.gz'));
		expect(archives).toHaveLength(1);
		const archive = path.join(out, archives[0]);
		const restored = fs.mkdtempSync(path.join(dir, 'restored-'));
		await run('tar', ['-C', restored, '-xzf', archive]);
		return { archive, restored };
	}

	it('writes a dated 0600 archive that restores to a database with every row', async () => {
		const out = path.join(dir, 'out');
		const { archive, restored } = await backup(out);
		expect(path.basename(archive)).toMatch(/^spyre-backup-\d{8}-\d{6}\.tar\.gz$/);
		expect(fs.statSync(archive).mode & 0o777).toBe(0o600);

		const db = new Database(path.join(restored, 'spyre.db'), { readonly: true });
		try {
			expect(db.prepare("SELECT count(*) AS n FROM audit_log WHERE action = 'test.row'").get()).toEqual({ n: ROWS });
			expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
			expect(db.pragma('user_version', { simple: true })).toBe(live.pragma('user_version', { simple: true }));
		} finally {
			db.close();
		}
		expect(fs.readFileSync(path.join(restored, 'configs', 'dev-web.yaml'), 'utf8')).toBe('name: dev-web\n');
		expect(fs.existsSync(path.join(restored, 'configs', 'bases', 'node.yaml'))).toBe(true);
		expect(fs.readFileSync(path.join(restored, 'ssh', 'id_ed25519'), 'utf8')).toBe('PRIVATE KEY\n');
		expect(fs.existsSync(path.join(restored, 'ssh', 'id_ed25519.pub'))).toBe(true);
		const manifest = JSON.parse(fs.readFileSync(path.join(restored, 'manifest.json'), 'utf8'));
		expect(manifest).toMatchObject({ withSecrets: false, schemaVersion: live.pragma('user_version', { simple: true }) });
	});

	it('leaves the token secret out of the archive, keeping the rest of environment.yaml', async () => {
		const out = path.join(dir, 'out-redacted');
		const { archive, restored } = await backup(out);
		const yaml = fs.readFileSync(path.join(restored, 'environment.yaml'), 'utf8');
		expect(yaml).toContain('# the operator comment survives');
		expect(yaml).toMatch(/token_secret: "?REDACTED-not-in-this-backup/);
		// Nowhere in the archive's bytes either (decompressed: gzip would hide a plain-text match).
		const { stdout } = await run('sh', ['-c', 'gzip -dc "$1"', 'sh', archive], { maxBuffer: 64 << 20, encoding: 'latin1' });
		expect(stdout.length).toBeGreaterThan(0);
		expect(stdout).not.toContain(SECRET);
	});

	it('includes the secret only with --with-secrets', async () => {
		const out = path.join(dir, 'out-secrets');
		const { restored } = await backup(out, '--with-secrets');
		expect(fs.readFileSync(path.join(restored, 'environment.yaml'), 'utf8')).toContain(SECRET);
	});

	it('fails without writing anything when the database is missing', async () => {
		const other = path.join(dir, 'other.yaml');
		fs.writeFileSync(other, `server:\n  data_dir: "${path.join(dir, 'empty')}"\n`);
		const out = path.join(dir, 'out-missing');
		const failed = await run(path.join(REPO_ROOT, 'setup.sh'), ['backup', out, '--config', other], { cwd: REPO_ROOT }).then(
			() => null,
			(err: { code: number; stderr: string }) => err
		);
		expect(failed?.code).not.toBe(0);
		expect(failed?.stderr).toContain('no database at');
		expect(fs.readdirSync(out)).toEqual([]);
	});
});
