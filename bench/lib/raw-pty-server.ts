// A terminal WebSocket server WITHOUT tmux, for the throughput benchmark (a child process started by
// bench/terminal.ts; prints `{"port":N}` on stdout once it listens on 127.0.0.1). Each WebSocket gets an
// interactive `bash --norc --noprofile -i` in a PTY opened through Spyre's own SSH pool (`createSshPool`)
// and its output goes to the socket through Spyre's own output pump (`createOutputPump`, with the high and
// low water marks the terminal endpoint uses), input the other way. Through tmux, a slow pump only makes
// tmux drop frames; here every byte must pass, so the pump's own throughput is what is measured, against
// `ssh -tt host bash` on the same sshd.
//
// Spyre's modules are loaded through Vite's SSR loader (as vitest does): they use Vite-only imports
// (`?raw`, `import.meta.glob`) that plain Node cannot load. Reads SPYRE_BENCH_KEY (private key file),
// SPYRE_BENCH_HOST and SPYRE_BENCH_PORT from its environment. Binds only to 127.0.0.1 and still admits
// only a client that presents the random token it printed (`?token=`): what it serves is a root shell in
// a CT, and any local user can reach a loopback port. Exits when its stdin closes (the benchmark ending,
// however it ends).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import { createServer } from 'vite';
import { WebSocketServer } from 'ws';

const vite = await createServer({
	server: { middlewareMode: true, hmr: false, ws: false },
	appType: 'custom',
	logLevel: 'error',
	optimizeDeps: { noDiscovery: true, include: [] }
});
const { createSshPool, memoryHostKeyStore } = (await vite.ssrLoadModule('/src/lib/server/ssh/index.ts')) as typeof import('../../src/lib/server/ssh');
const { createOutputPump } = (await vite.ssrLoadModule('/src/lib/server/terminal/output-pump.ts')) as typeof import('../../src/lib/server/terminal/output-pump');

/** The terminal endpoint's defaults (src/lib/server/terminal/socket.ts, `TerminalDeps`). */
const HIGH_WATER = 1024 * 1024;
const LOW_WATER = 256 * 1024;

const env = (name: string) => {
	const v = process.env[name];
	if (!v) throw new Error(`${name} is not set`);
	return v;
};
const target = { envId: 'bench-raw', host: env('SPYRE_BENCH_HOST'), port: Number(env('SPYRE_BENCH_PORT')) };
const pool = createSshPool({
	privateKey: fs.readFileSync(env('SPYRE_BENCH_KEY')),
	user: 'root',
	port: target.port,
	connectTimeoutMs: 10_000,
	keepaliveIntervalMs: 15_000,
	keepaliveCountMax: 3,
	idleCloseMs: 600_000,
	hostKeys: memoryHostKeyStore()
});

const token = randomBytes(32).toString('hex');
const tokenOk = (given: string | null) => given !== null && given.length === token.length && timingSafeEqual(Buffer.from(given), Buffer.from(token));

const wss = new WebSocketServer({
	host: '127.0.0.1',
	port: 0,
	maxPayload: 1024 * 1024,
	perMessageDeflate: false,
	verifyClient: (info: { req: { url?: string } }) => tokenOk(new URL(info.req.url ?? '/', 'http://x').searchParams.get('token'))
});
wss.on('connection', (ws, req) => {
	const q = new URL(req.url ?? '/', 'http://x').searchParams;
	const cols = Number(q.get('cols') ?? 120);
	const rows = Number(q.get('rows') ?? 40);
	ws.on('error', () => {});
	void pool
		.openPty(target, 'bash --norc --noprofile -i', { cols, rows })
		.then((pty) => {
			if (ws.readyState !== ws.OPEN) return pty.close();
			createOutputPump(ws, pty.stream, { high: HIGH_WATER, low: LOW_WATER });
			pty.stream.stderr.on('data', (c: Buffer) => ws.readyState === ws.OPEN && ws.send(c));
			ws.on('message', (data, isBinary) => isBinary && pty.stream.write(data as Buffer));
			ws.on('close', () => pty.close());
			void pty.closed.then(() => ws.close(1000));
			ws.send(JSON.stringify({ type: 'ready' }));
		})
		.catch((err: Error) => ws.close(1011, err.message.slice(0, 120)));
});
wss.on('listening', () => {
	const addr = wss.address();
	process.stdout.write(JSON.stringify({ port: addr && typeof addr === 'object' ? addr.port : 0, token }) + '\n');
});
const quit = () => {
	wss.close();
	void pool
		.closeAll()
		.then(() => vite.close())
		.finally(() => process.exit(0));
};
process.stdin.on('end', quit);
process.stdin.on('close', quit);
process.stdin.resume();
process.on('SIGTERM', quit);
