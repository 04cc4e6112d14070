// The reconnect rule with a stand-in for the browser's WebSocket (Node 20 has none): which closes are
// retried, that each attempt asks for a fresh URL (carrying `after=`), and that stop() ends it for good.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ReconnectingSocket, type SocketState } from './reconnecting-socket';

class FakeSocket {
	static all: FakeSocket[] = [];
	onopen: (() => void) | null = null;
	onmessage: ((m: { data: string | ArrayBuffer }) => void) | null = null;
	binaryType = 'blob';
	readyState = 0;
	sent: unknown[] = [];
	onclose: ((e: { code: number }) => void) | null = null;
	closedWith: number | null = null;
	constructor(readonly url: URL) {
		FakeSocket.all.push(this);
	}
	close(code: number) {
		this.closedWith = code;
	}
	send(data: unknown) {
		this.sent.push(data);
	}
	serverOpens() {
		this.readyState = 1;
		this.onopen?.();
	}
	serverCloses(code: number) {
		this.onclose?.({ code });
	}
}

beforeEach(() => {
	FakeSocket.all = [];
	vi.useFakeTimers();
	vi.stubGlobal('WebSocket', FakeSocket);
	vi.stubGlobal('window', {});
	vi.stubGlobal('location', { href: 'https://spyre.example/environments' });
});

afterEach(() => {
	vi.useRealTimers();
	vi.unstubAllGlobals();
});

describe('ReconnectingSocket', () => {
	it('reconnects after a retryable close with a fresh path, and stops on one that needs a person', async () => {
		let after = 0;
		const states: Array<[SocketState, number | undefined]> = [];
		const messages: string[] = [];
		const s = new ReconnectingSocket({ path: () => `/api/events?after=${after}`, onMessage: (m) => messages.push(m), onState: (st, c) => states.push([st, c]) });
		s.start();
		expect(FakeSocket.all[0].url.href).toBe('wss://spyre.example/api/events?after=0');
		FakeSocket.all[0].onmessage?.({ data: 'x' });
		after = 7;
		FakeSocket.all[0].serverCloses(1006);
		expect(FakeSocket.all).toHaveLength(1);
		await vi.advanceTimersByTimeAsync(20_000);
		expect(FakeSocket.all).toHaveLength(2);
		expect(FakeSocket.all[1].url.search).toBe('?after=7');
		FakeSocket.all[1].serverCloses(4401);
		await vi.advanceTimersByTimeAsync(60_000);
		expect(FakeSocket.all).toHaveLength(2);
		expect(states.at(-1)).toEqual(['closed', 4401]);
		expect(messages).toEqual(['x']);
		expect(s.running).toBe(false);
	});

	it('carries a terminal: bytes to onBinary, sends only while open, says how long until the next try', async () => {
		const bytes: number[][] = [];
		const states: Array<[SocketState, number | undefined, number | undefined]> = [];
		let cols = 80;
		const s = new ReconnectingSocket({
			path: () => `/api/terminal/env-1?cols=${cols}`,
			onMessage: () => {},
			onBinary: (b) => bytes.push([...new Uint8Array(b)]),
			onState: (st, c, d) => states.push([st, c, d])
		});
		s.start();
		const first = FakeSocket.all[0];
		expect(first.binaryType).toBe('arraybuffer');
		expect(s.send('x')).toBe(false);
		first.serverOpens();
		expect(s.send('x')).toBe(true);
		first.onmessage?.({ data: new Uint8Array([104, 105]).buffer });
		expect(bytes).toEqual([[104, 105]]);
		cols = 120;
		first.serverCloses(4500);
		const [state, code, delay] = states.at(-1)!;
		expect([state, code]).toEqual(['retrying', 4500]);
		expect(delay).toBeGreaterThan(0);
		// A person presses Reconnect: no waiting, a fresh size in the URL, a late close of the old socket ignored.
		s.reconnectNow();
		expect(FakeSocket.all).toHaveLength(2);
		expect(FakeSocket.all[1].url.search).toBe('?cols=120');
		first.serverCloses(1006);
		await vi.advanceTimersByTimeAsync(60_000);
		expect(FakeSocket.all).toHaveLength(2);
	});

	it('stop() closes with 1000 and cancels a pending retry', async () => {
		const s = new ReconnectingSocket({ path: () => '/api/claude/t1?after=0', onMessage: () => {} });
		s.start();
		FakeSocket.all[0].serverCloses(4500);
		s.stop();
		await vi.advanceTimersByTimeAsync(60_000);
		expect(FakeSocket.all).toHaveLength(1);
		s.start();
		expect(FakeSocket.all).toHaveLength(2);
		s.stop();
		expect(FakeSocket.all[1].closedWith).toBe(1000);
	});
});
