// The gateway's SSH server (ssh2's Server): authenticates a client by the public keys owners added in
// Settings, takes the username as the environment's name, and relays each channel the client opens
// (shell with a PTY, exec, the sftp subsystem, direct-tcpip) to a channel of the same kind on Spyre's
// pooled connection to that environment (its pinned host key checked as for terminals, ssh/pool.ts).
// It never writes an SSH client of its own and never lets a client name another host: forwards reach the
// environment itself only (policy.ts). An unknown environment and a wrong key get the same answer, from
// the same code path: the client cannot tell whether an environment exists.

import type { AddressInfo } from 'node:net';
// ssh2 is CommonJS: Node's ESM loader sees only some of its named exports (Client, not Server or utils).
import ssh2, { type AuthContext, type Connection, type ParsedKey, type PseudoTtyInfo, type ServerChannel, type Session } from 'ssh2';
import type { ClientChannel, PseudoTtyOptions } from 'ssh2';
import type { AuditActor } from '../audit';
import { messageOf } from '../errors';
import type { RawChannel, RawChannelRequest, SshPool, SshTarget } from '../ssh/types';
import type { HostKey } from './host-key';
import type { GatewayKey } from './keys';
import { allowedEnv, asLoginUser, forwardTarget, sftpServerAs } from './policy';
import { pump } from './pump';
import { beginSession, type SessionKind } from './sessions';

export interface GatewayEnvironment {
	id: string;
	hostname: string;
}

export interface GatewayDeps {
	hostKey: HostKey;
	pool: SshPool;
	/** The stored key with this public blob, read on every attempt (a removed key fails at once). */
	findKey(blob: Buffer): GatewayKey | null;
	/** The environment named by the SSH username, if it exists. */
	findEnvironment(name: string): GatewayEnvironment | null;
	usernameOf(userId: number): string | null;
	keyUsed(key: GatewayKey): void;
	/** The environment's SSH target, starting it first if it is stopped (`say` goes to the client's stderr). */
	reach(envId: string, actor: AuditActor, say: (line: string) => void): Promise<SshTarget>;
	loginUser(envId: string): string;
}

export interface GatewayServer {
	listen(host: string, port: number): Promise<number>;
	/** End every connection of a key that was removed. */
	dropKey(keyId: number): void;
	close(): Promise<void>;
}

interface Authed {
	key: GatewayKey;
	env: GatewayEnvironment;
	username: string | null;
	ip: string | null;
}

const LOGIN_GRACE_MS = 60_000;
const MAX_AUTH_TRIES = 6;

const actorOf = (who: Authed): AuditActor => ({ userId: who.key.userId, username: who.username, ip: who.ip });

function verifySignature(ctx: AuthContext & { method: 'publickey' }): boolean {
	if (!ctx.signature || !ctx.blob) return false;
	const parsed = ssh2.utils.parseKey(ctx.key.data);
	if (parsed instanceof Error || Array.isArray(parsed)) return false;
	return (parsed as ParsedKey).verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true;
}

interface Relay {
	/** The client went away: stop relaying and close the environment's side (even if it is paused). */
	stop(): void;
}

/**
 * Relay one session channel both ways with backpressure (pump.ts). The environment's exit status reaches
 * the client before its end; the session's audit row is written once, whichever side ends first.
 */
function relaySession(channel: ServerChannel, raw: RawChannel, end: ReturnType<typeof beginSession>): Relay {
	const ct = raw.stream;
	const out = pump(ct, channel, { end: false });
	const outErr = pump(ct.stderr, channel.stderr, { end: false });
	const inbound = pump(channel, ct);
	const bytes = () => ({ toClient: out.bytes + outErr.bytes, fromClient: inbound.bytes });
	const stopPumps = () => [out, outErr, inbound].forEach((p) => p.stop());
	ct.once('close', () => {
		stopPumps();
		const exit = raw.exit();
		if (exit?.code !== null && exit?.code !== undefined) channel.exit(exit.code);
		else if (exit) channel.exit(exit.signal, exit.dump, exit.desc);
		channel.end();
		end(bytes());
	});
	return {
		stop() {
			stopPumps();
			// A paused stream never reaches 'end' (and so never 'close'): let it flow into nothing.
			ct.resume();
			ct.stderr.resume();
			ct.close();
			end(bytes());
		}
	};
}

export function createGatewayServer(deps: GatewayDeps): GatewayServer {
	const byKey = new Map<number, Set<Connection>>();
	const connections = new Set<Connection>();

	const server = new ssh2.Server({ hostKeys: [deps.hostKey.privateKey], ident: 'Spyre-gateway' }, (client, info) => {
		connections.add(client);
		let authed: Authed | null = null;
		let refusals = 0;
		// OpenSSH's LoginGraceTime and MaxAuthTries, so a connection cannot sit or guess forever.
		const grace = setTimeout(() => client.end(), LOGIN_GRACE_MS);
		const refuse = (ctx: AuthContext) => {
			if (++refusals >= MAX_AUTH_TRIES) client.end();
			else ctx.reject(['publickey']);
		};
		client.on('error', () => undefined); // a dropped client is not Spyre's error; the channels' close says the rest
		client.on('close', () => {
			clearTimeout(grace);
			connections.delete(client);
			if (authed) byKey.get(authed.key.id)?.delete(client);
		});

		client.on('authentication', (ctx) => {
			// "none" is how every client opens; it is not counted as a try.
			if (ctx.method !== 'publickey') return ctx.method === 'none' ? ctx.reject(['publickey']) : refuse(ctx);
			// Both looked up every time, whatever the other says: one path, one timing, one answer.
			const key = deps.findKey(ctx.key.data);
			const env = deps.findEnvironment(ctx.username);
			if (!key || !env || key.publicKey.split(' ')[0] !== ctx.key.algo.replace(/^rsa-sha2-(256|512)$/, 'ssh-rsa')) return refuse(ctx);
			// Without a signature the client only asks whether this key would do.
			if (!ctx.signature) return ctx.accept();
			if (!verifySignature(ctx)) return refuse(ctx);
			clearTimeout(grace);
			authed = { key, env, username: deps.usernameOf(key.userId), ip: info.ip ?? null };
			if (!byKey.has(key.id)) byKey.set(key.id, new Set());
			byKey.get(key.id)!.add(client);
			deps.keyUsed(key);
			ctx.accept();
		});

		client.on('ready', () => {
			const who = authed!;
			client.on('session', (accept) => handleSession(who, client, accept()));
			client.on('tcpip', (accept, reject, req) => void handleForward(who, accept, reject, req));
			// Remote forwards (-R) and the like: not offered.
			client.on('request', (accept, reject) => reject?.());
		});
	});

	function sessionInfo(who: Authed, kind: SessionKind, what?: string) {
		return { envId: who.env.id, hostname: who.env.hostname, keyName: who.key.name, fingerprint: who.key.fingerprint, userId: who.key.userId, username: who.username, ip: who.ip, kind, what };
	}

	function handleSession(who: Authed, client: Connection, session: Session) {
		let pty: PseudoTtyOptions | undefined;
		let ct: ClientChannel | null = null;
		const env: Record<string, string> = {};
		session.on('pty', (accept, _reject, p: PseudoTtyInfo) => {
			pty = { rows: p.rows, cols: p.cols, width: p.width, height: p.height, term: p.term, modes: p.modes };
			// As sshd does for a session with a PTY (packet_set_interactive): a key's echo must not wait for
			// Nagle behind earlier unacknowledged output on this client's link.
			// (@types/ssh2 leaves out the server Connection's setNoDelay, which ssh2 1.17 has.)
			(client as Connection & { setNoDelay(on: boolean): void }).setNoDelay(true);
			accept?.();
		});
		session.on('env', (accept, reject, e) => {
			if (allowedEnv(e.key, e.val)) {
				env[e.key] = e.val;
				accept?.();
			} else reject?.();
		});
		session.on('window-change', (accept, _reject, w) => {
			ct?.setWindow(w.rows, w.cols, w.height, w.width);
			accept?.();
		});
		session.on('signal', (accept, _reject, s) => {
			ct?.signal(s.name);
			accept?.();
		});
		session.on('auth-agent', (_accept, reject) => reject?.());
		session.on('x11', (_accept, reject) => reject?.());

		const start = (channel: ServerChannel, kind: SessionKind, request: (user: string) => RawChannelRequest, what?: string) => {
			const end = beginSession(sessionInfo(who, kind, what));
			const say = (line: string) => channel.stderr.write(line);
			let relay: Relay | null = null;
			let clientGone = false;
			channel.once('close', () => {
				clientGone = true;
				relay?.stop();
				if (!relay) end({ toClient: 0, fromClient: 0 });
			});
			void (async () => {
				try {
					const target = await deps.reach(who.env.id, actorOf(who), say);
					if (clientGone) return;
					const raw = await deps.pool.openRaw(target, request(deps.loginUser(who.env.id)));
					if (clientGone) return void raw.stream.close();
					ct = raw.stream;
					relay = relaySession(channel, raw, end);
				} catch (err) {
					say(`spyre gateway: ${messageOf(err)}\r\n`);
					channel.exit(255);
					channel.end();
					if (!clientGone) end({ toClient: 0, fromClient: 0 }, { error: messageOf(err) });
				}
			})();
		};

		session.on('shell', (accept) => {
			const channel = accept();
			start(channel, 'shell', (user) => {
				const cmd = asLoginUser(user, null);
				return cmd === null ? { kind: 'shell', pty, env } : { kind: 'exec', command: cmd, pty, env };
			});
		});
		session.on('exec', (accept, _reject, e) => {
			const channel = accept();
			// The client's own command, verbatim: it is the user's shell in their own environment.
			start(channel, 'exec', (user) => ({ kind: 'exec', command: asLoginUser(user, e.command)!, pty, env }));
		});
		session.on('subsystem', (accept, reject, s) => {
			if (s.name !== 'sftp') return reject?.();
			const channel = accept();
			start(channel, 'sftp', (user) => (user === 'root' ? { kind: 'subsystem', name: 'sftp' } : { kind: 'exec', command: sftpServerAs(user) }));
		});
	}

	async function handleForward(who: Authed, accept: () => ServerChannel, reject: () => void, req: { srcIP: string; srcPort: number; destIP: string; destPort: number }) {
		let target: SshTarget;
		try {
			target = await deps.reach(who.env.id, actorOf(who), () => undefined);
		} catch {
			return reject();
		}
		const dest = forwardTarget(req.destIP, req.destPort, target.host);
		if (!dest) return reject();
		const end = beginSession(sessionInfo(who, 'forward', `to ${dest.host}:${dest.port}`));
		let ct: RawChannel;
		try {
			ct = await deps.pool.openRaw(target, { kind: 'forward', host: dest.host, port: dest.port, srcHost: '127.0.0.1', srcPort: req.srcPort || 0 });
		} catch (err) {
			reject();
			return end({ toClient: 0, fromClient: 0 }, { error: messageOf(err) });
		}
		const channel = accept();
		const out = pump(ct.stream, channel);
		const inbound = pump(channel, ct.stream);
		let done = false;
		const finish = () => {
			if (done) return;
			done = true;
			out.stop();
			inbound.stop();
			ct.stream.close();
			channel.close();
			end({ toClient: out.bytes, fromClient: inbound.bytes });
		};
		ct.stream.once('close', finish);
		channel.once('close', finish);
	}

	return {
		listen(host, port) {
			return new Promise((resolve, reject) => {
				server.once('error', reject);
				server.listen(port, host, () => {
					server.off('error', reject);
					resolve((server.address() as AddressInfo).port);
				});
			});
		},
		dropKey(keyId) {
			for (const c of byKey.get(keyId) ?? []) c.end();
			byKey.delete(keyId);
		},
		close() {
			for (const c of connections) c.end();
			return new Promise((resolve) => server.close(() => resolve()));
		}
	};
}
