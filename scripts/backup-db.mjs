#!/usr/bin/env node
// The node half of `./setup.sh backup` and `./setup.sh upgrade`: reads environment.yaml the way Spyre does
// (data_dir, database.path, configs.dir, ssh keys) and stages what a backup holds in a directory that
// setup.sh then packs into a 0600 tar.gz. SQLite is copied with the online backup API, so a running Spyre
// keeps serving and the copy is a consistent snapshot (a plain cp of a WAL database is not).
//
//   node scripts/backup-db.mjs stage CONFIG STAGE_DIR [--with-secrets]
//   node scripts/backup-db.mjs info CONFIG            one JSON line: {dataDir, dbPath, configsDir, userVersion}
//   node scripts/backup-db.mjs restore-db ARCHIVE_DB CONFIG   put a backed-up spyre.db in place (service stopped)
//
// Secrets stay out unless --with-secrets: an inline proxmox.token_secret is replaced in the copied
// environment.yaml, and neither the token_secret_file nor the Claude credential store is copied.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { parseDocument } from 'yaml';

const REDACTED = 'REDACTED-not-in-this-backup';

function fail(message) {
	process.stderr.write(`backup: ${message}\n`);
	process.exit(1);
}

/** The paths Spyre derives from environment.yaml, with the same defaults as src/lib/server/env-config/. */
function locations(configFile) {
	if (!fs.existsSync(configFile)) fail(`${configFile} does not exist (set SPYRE_CONFIG or pass --config)`);
	const doc = parseDocument(fs.readFileSync(configFile, 'utf8'));
	if (doc.errors.length > 0) fail(`${configFile} is not valid YAML: ${doc.errors[0].message}`);
	const cfg = doc.toJS() ?? {};
	const dataDir = cfg.server?.data_dir;
	if (typeof dataDir !== 'string' || !path.isAbsolute(dataDir)) fail(`${configFile}: server.data_dir must be an absolute path`);
	return {
		doc,
		cfg,
		dataDir,
		dbPath: cfg.database?.path ?? path.join(dataDir, 'spyre.db'),
		configsDir: cfg.configs?.dir ?? path.join(dataDir, 'configs'),
		keys: [cfg.ssh?.private_key_path, cfg.ssh?.public_key_path].filter((k) => typeof k === 'string'),
		tokenFile: cfg.proxmox?.token_secret_file
	};
}

function userVersion(file) {
	if (!fs.existsSync(file)) return null;
	const db = new Database(file, { readonly: true, fileMustExist: true });
	try {
		return db.pragma('user_version', { simple: true });
	} finally {
		db.close();
	}
}

function copyInto(stage, rel, src) {
	const dest = path.join(stage, rel);
	fs.mkdirSync(path.dirname(dest), { recursive: true, mode: 0o700 });
	fs.cpSync(src, dest, { recursive: true, preserveTimestamps: true });
	return rel;
}

async function stage(configFile, stageDir, withSecrets) {
	const loc = locations(configFile);
	fs.mkdirSync(stageDir, { recursive: true, mode: 0o700 });
	const contents = [];

	if (!fs.existsSync(loc.dbPath)) fail(`no database at ${loc.dbPath}`);
	const db = new Database(loc.dbPath, { readonly: true, fileMustExist: true });
	try {
		await db.backup(path.join(stageDir, 'spyre.db'));
	} finally {
		db.close();
	}
	contents.push('spyre.db');

	// The copy of environment.yaml keeps comments and layout; only an inline secret is replaced.
	if (!withSecrets && loc.cfg.proxmox?.token_secret !== undefined) loc.doc.setIn(['proxmox', 'token_secret'], REDACTED);
	fs.writeFileSync(path.join(stageDir, 'environment.yaml'), withSecrets ? fs.readFileSync(configFile) : loc.doc.toString(), { mode: 0o600 });
	contents.push('environment.yaml');

	if (fs.existsSync(loc.configsDir)) contents.push(copyInto(stageDir, 'configs', loc.configsDir));
	for (const key of loc.keys) if (fs.existsSync(key)) contents.push(copyInto(stageDir, path.join('ssh', path.basename(key)), key));
	if (withSecrets) {
		if (loc.tokenFile && fs.existsSync(loc.tokenFile)) contents.push(copyInto(stageDir, 'secrets/proxmox-token', loc.tokenFile));
		const claude = path.join(loc.dataDir, 'claude-auth');
		if (fs.existsSync(claude)) contents.push(copyInto(stageDir, 'secrets/claude-auth', claude));
	}

	const manifest = {
		createdAt: new Date().toISOString(),
		config: path.resolve(configFile),
		dataDir: loc.dataDir,
		dbPath: loc.dbPath,
		configsDir: loc.configsDir,
		schemaVersion: userVersion(path.join(stageDir, 'spyre.db')),
		withSecrets,
		contents
	};
	fs.writeFileSync(path.join(stageDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
	process.stdout.write(`${contents.join(' ')}\n`);
}

function restoreDb(archiveDb, configFile) {
	const loc = locations(configFile);
	if (userVersion(archiveDb) === null) fail(`${archiveDb} is not a database`);
	// A stale -wal beside the restored file would be replayed over it on the next open.
	for (const suffix of ['-wal', '-shm']) fs.rmSync(`${loc.dbPath}${suffix}`, { force: true });
	const tmp = `${loc.dbPath}.restore-${process.pid}`;
	fs.copyFileSync(archiveDb, tmp);
	const owner = fs.statSync(path.dirname(loc.dbPath));
	fs.chownSync(tmp, owner.uid, owner.gid);
	fs.chmodSync(tmp, 0o640);
	fs.renameSync(tmp, loc.dbPath);
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === 'stage' && args.length >= 2) {
	await stage(args[0], args[1], args.includes('--with-secrets'));
} else if (cmd === 'info' && args.length === 1) {
	const loc = locations(args[0]);
	const out = { dataDir: loc.dataDir, dbPath: loc.dbPath, configsDir: loc.configsDir, userVersion: userVersion(loc.dbPath) };
	process.stdout.write(`${JSON.stringify(out)}\n`);
} else if (cmd === 'restore-db' && args.length === 2) {
	restoreDb(args[0], args[1]);
} else {
	fail('usage: backup-db.mjs stage CONFIG STAGE_DIR [--with-secrets] | info CONFIG | restore-db ARCHIVE_DB CONFIG');
}
