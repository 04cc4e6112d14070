import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PidLineReader, wrapForGroupKill } from './exec-stream';

describe('PidLineReader', () => {
	it('takes the PID line and passes the rest through', () => {
		const r = new PidLineReader();
		expect(r.push(Buffer.from('12')).toString()).toBe('');
		expect(r.push(Buffer.from('34\nhello\n')).toString()).toBe('hello\n');
		expect(r.pid).toBe(1234);
		expect(r.push(Buffer.from('more')).toString()).toBe('more');
	});

	it('passes everything through when the first line is not a PID', () => {
		const r = new PidLineReader();
		expect(r.push(Buffer.from('hello\nworld')).toString()).toBe('hello\nworld');
		expect(r.pid).toBeNull();
	});

	it('gives up waiting after a long first line without newline', () => {
		const r = new PidLineReader();
		expect(r.push(Buffer.from('x'.repeat(30))).toString()).toBe('x'.repeat(30));
		expect(r.pid).toBeNull();
	});

	it('flush returns what was held back', () => {
		const r = new PidLineReader();
		r.push(Buffer.from('123'));
		expect(r.flush().toString()).toBe('123');
		expect(r.push(Buffer.from('x')).toString()).toBe('x');
	});
});

describe('wrapForGroupKill', () => {
	it.each(["echo 'it''s' \"$HOME\" `id` $(true) ; & | \\ \n done", 'printf "%s\\n" a b', 'exit 3'])('runs the command unchanged in a real shell after its PID: %s', (cmd) => {
		const env = { ...process.env, SHELL: '/bin/sh' };
		let direct: string;
		let wrapped: string;
		try {
			direct = execFileSync('/bin/sh', ['-c', cmd], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'ignore'] });
		} catch (e) {
			direct = `exit ${(e as { status: number }).status}`;
		}
		try {
			wrapped = execFileSync('/bin/sh', ['-c', wrapForGroupKill(cmd)], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'ignore'] });
		} catch (e) {
			wrapped = `exit ${(e as { status: number }).status}`;
		}
		if (direct.startsWith('exit ')) expect(wrapped).toBe(direct);
		else expect(wrapped.replace(/^\d+\n/, '')).toBe(direct);
	});
});
