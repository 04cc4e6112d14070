import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { pump } from './pump';

/** A destination that takes `highWaterMark` bytes and then holds every write until `release()`. */
function slowSink(highWaterMark: number) {
	const held: Array<() => void> = [];
	const sink = new Writable({
		highWaterMark,
		write(_chunk, _enc, cb) {
			held.push(cb);
		}
	});
	return { sink, release: () => held.splice(0).forEach((cb) => cb()) };
}

describe('gateway pump', () => {
	it('pauses the source while the destination is full and resumes it on drain, counting bytes', async () => {
		const src = new PassThrough();
		const { sink, release } = slowSink(1024);
		const p = pump(src, sink);
		src.write(Buffer.alloc(2048));
		await new Promise((r) => setImmediate(r));
		expect(src.isPaused()).toBe(true);
		expect(p.bytes).toBe(2048);
		release();
		await new Promise((r) => setImmediate(r));
		expect(src.isPaused()).toBe(false);
	});

	it('ends the destination at the end of the source unless told not to, and stop() detaches', async () => {
		for (const end of [true, false]) {
			const src = new PassThrough();
			const dst = new PassThrough();
			dst.resume();
			pump(src, dst, { end });
			src.end('x');
			await new Promise((r) => setImmediate(r));
			expect(dst.writableEnded).toBe(end);
		}
		const src = new PassThrough();
		const dst = new PassThrough();
		const p = pump(src, dst);
		p.stop();
		src.write('ignored');
		expect(p.bytes).toBe(0);
	});
});
