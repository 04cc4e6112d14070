import { describe, expect, it } from 'vitest';
import { MAX_PORTS, parseProcNetTcp, parseScan, parseSs, procAddress, processNames, splitLocal } from './parse';

const SS = [
	'LISTEN 0      5         10.213.0.7:8080      0.0.0.0:*    users:(("python3",pid=812,fd=3))',
	'LISTEN 0      128          0.0.0.0:22        0.0.0.0:*    users:(("sshd",pid=1,fd=3))',
	'LISTEN 0      128             [::]:22           [::]:*    users:(("sshd",pid=1,fd=4))',
	'LISTEN 0      4096   127.0.0.53%lo:53        0.0.0.0:*',
	'LISTEN 0      511        127.0.0.1:5173      0.0.0.0:*    users:(("node",pid=90,fd=21))',
	'LISTEN 0      511            [::1]:5173         [::]:*    users:(("node",pid=90,fd=22))',
	'LISTEN 0      511                *:3000             *:*    users:(("node",pid=91,fd=20),("node",pid=92,fd=20))'
].join('\n');

describe('parseSs', () => {
	it('reads real ss -Hltnp output, one entry per port with every address and process', () => {
		expect(parseSs(SS)).toEqual([
			{ port: 22, addresses: ['0.0.0.0', '::'], processes: ['sshd'], loopbackOnly: false },
			{ port: 53, addresses: ['127.0.0.53'], processes: [], loopbackOnly: true },
			{ port: 3000, addresses: ['*'], processes: ['node'], loopbackOnly: false },
			{ port: 5173, addresses: ['127.0.0.1', '::1'], processes: ['node'], loopbackOnly: true },
			{ port: 8080, addresses: ['10.213.0.7'], processes: ['python3'], loopbackOnly: false }
		]);
	});

	it.each([
		['a non-numeric port', 'LISTEN 0 5 0.0.0.0:http 0.0.0.0:*'],
		['port 0', 'LISTEN 0 5 0.0.0.0:0 0.0.0.0:*'],
		['a port past 65535', 'LISTEN 0 5 0.0.0.0:65536 0.0.0.0:*'],
		['a huge port', 'LISTEN 0 5 0.0.0.0:99999999999999999999 0.0.0.0:*'],
		['a negative port', 'LISTEN 0 5 0.0.0.0:-80 0.0.0.0:*'],
		['a host name for an address', 'LISTEN 0 5 evil.example:80 0.0.0.0:*'],
		['a bad IPv4', 'LISTEN 0 5 300.1.1.1:80 0.0.0.0:*'],
		['not a listener', 'ESTAB 0 0 10.0.0.1:80 10.0.0.2:5555'],
		['a header line', 'State Recv-Q Send-Q Local Address:Port Peer Address:Port Process'],
		['a missing column', 'LISTEN 0 5 0.0.0.0:80'],
		['junk in the process column', 'LISTEN 0 5 0.0.0.0:80 0.0.0.0:* <script>alert(1)</script>'],
		['an escape sequence in the address', 'LISTEN 0 5 \x1b[31m0.0.0.0:80 0.0.0.0:*'],
		['a line too long to be real', `LISTEN 0 5 0.0.0.0:80 0.0.0.0:* users:(("${'x'.repeat(2000)}",pid=1,fd=3))`]
	])('drops %s', (_what, line) => {
		expect(parseSs(line)).toEqual([]);
	});

	it('keeps the port but cleans a hostile process name (escape sequences, quotes, huge names)', () => {
		const [p] = parseSs('LISTEN 0 5 0.0.0.0:9000 0.0.0.0:* users:(("\x1b]0;pwned\x07evil\u202e",pid=5,fd=3),("a b",pid=6,fd=3))');
		expect(p.port).toBe(9000);
		expect(p.processes).toEqual([']0;pwnedevil', 'a b']);
		for (const name of p.processes) expect(name).toMatch(/^[\x20-\x7e]{1,32}$/);
		const [q] = parseSs(`LISTEN 0 5 0.0.0.0:9001 0.0.0.0:* users:(("${'y'.repeat(60)}",pid=5,fd=3))`);
		expect(q.processes[0]).toHaveLength(32);
	});

	it('a process name with a newline cannot forge a second listener', () => {
		// comm "x\nLISTEN 0 5 0.0.0.0:4444" splits into two lines; the second is a fake one: it has no
		// peer column of its own, so it does not parse.
		const out = parseSs('LISTEN 0 5 0.0.0.0:9000 0.0.0.0:* users:(("x\nLISTEN 0 5 0.0.0.0:4444",pid=5,fd=3))');
		expect(out.map((p) => p.port)).toEqual([9000]);
	});

	it('bounds how many ports, addresses and processes it keeps', () => {
		const many = Array.from({ length: 5000 }, (_, i) => `LISTEN 0 5 0.0.0.0:${i + 1} 0.0.0.0:*`).join('\n');
		expect(parseSs(many)).toHaveLength(MAX_PORTS);
		const addrs = Array.from({ length: 50 }, (_, i) => `LISTEN 0 5 10.0.0.${i + 1}:80 0.0.0.0:*`).join('\n');
		expect(parseSs(addrs)[0].addresses.length).toBeLessThanOrEqual(8);
		const users = Array.from({ length: 50 }, (_, i) => `("p${i}",pid=${i},fd=3)`).join(',');
		expect(parseSs(`LISTEN 0 5 0.0.0.0:80 0.0.0.0:* users:(${users})`)[0].processes.length).toBeLessThanOrEqual(4);
	});
});

describe('splitLocal', () => {
	it.each([
		['0.0.0.0:80', { address: '0.0.0.0', port: 80 }],
		['[::]:443', { address: '::', port: 443 }],
		['[fe80::1%eth0]:8080', { address: 'fe80::1', port: 8080 }],
		['[::ffff:127.0.0.1]:9', { address: '::ffff:127.0.0.1', port: 9 }],
		['*:3000', { address: '*', port: 3000 }],
		['127.0.0.53%lo:53', { address: '127.0.0.53', port: 53 }],
		[':80', null],
		['0.0.0.0:', null],
		['0.0.0.0:8o', null],
		['[]:80', null],
		['$(reboot):80', null],
		['010.0.0.1:80', null], // the shared IPv4 rule: no leading zeros
		['127.1:80', null],
		['0x7f.0.0.1:80', null]
	])('%s', (local, want) => {
		expect(splitLocal(local)).toEqual(want);
	});
});

describe('loopbackOnly (the shared loopback rule on what the CT printed)', () => {
	it.each([
		['127.0.0.1', true],
		['127.9.9.9', true],
		['[::1]', true],
		['[0:0:0:0:0:0:0:1]', true],
		['[::ffff:127.0.0.1]', true],
		['[::ffff:128.0.0.1]', false],
		['[::127.0.0.1]', false], // IPv4-compatible, not mapped: not loopback
		['[::]', false],
		['0.0.0.0', false],
		['*', false]
	])('%s', (address, loopback) => {
		expect(parseSs(`LISTEN 0 5 ${address}:80 0.0.0.0:*`)).toEqual([{ port: 80, addresses: [expect.any(String)], processes: [], loopbackOnly: loopback }]);
	});
});

describe('processNames', () => {
	it('reads every name of the users column', () => {
		expect(processNames('users:(("node",pid=1,fd=3),("npm run dev",pid=2,fd=4))')).toEqual(['node', 'npm run dev']);
		expect(processNames('users:((node,pid=1,fd=3))')).toEqual([]);
	});
});

describe('parseProcNetTcp', () => {
	const TCP = [
		'  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
		'   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1111 1 0000000000000000 100 0 0 10 0',
		'   1: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 2222 1 0000000000000000 100 0 0 10 0',
		'   2: 0700D50A:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 3333 1 0000000000000000 100 0 0 10 0',
		'   3: 0700D50A:0016 0200D50A:C350 01 00000000:00000000 00:00000000 00000000     0        0 4444 1 0000000000000000 100 0 0 10 0'
	].join('\n');
	const TCP6 = [
		'  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
		'   0: 00000000000000000000000000000000:0BB8 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 5555 1 0000000000000000 100 0 0 10 0',
		'   1: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 6666 1 0000000000000000 100 0 0 10 0',
		'   2: 0000000000000000FFFF00000100007F:2328 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 7777 1 0000000000000000 100 0 0 10 0'
	].join('\n');

	it('reads listeners of both files, decoding the addresses; established sockets are left out', () => {
		expect(parseProcNetTcp(`${TCP}\n${TCP6}`)).toEqual([
			{ port: 22, addresses: ['0.0.0.0'], processes: [], loopbackOnly: false },
			{ port: 3000, addresses: ['::'], processes: [], loopbackOnly: false },
			{ port: 8080, addresses: ['127.0.0.1', '::1'], processes: [], loopbackOnly: true },
			{ port: 8081, addresses: ['10.213.0.7'], processes: [], loopbackOnly: false },
			{ port: 9000, addresses: ['::ffff:127.0.0.1'], processes: [], loopbackOnly: true }
		]);
	});

	it.each([
		['a short address', '   0: 0000000:0016 00000000:0000 0A 00000000'],
		['a non-hex port', '   0: 00000000:00GG 00000000:0000 0A 00000000'],
		['port 0', '   0: 00000000:0000 00000000:0000 0A 00000000'],
		['a fake state', '   0: 00000000:0016 00000000:0000 0AA 00000000'],
		['garbage', '\x1b[2J\x1b[H rm -rf /']
	])('drops %s', (_what, line) => {
		expect(parseProcNetTcp(line)).toEqual([]);
	});

	it('decodes addresses', () => {
		expect(procAddress('0100007F')).toBe('127.0.0.1');
		expect(procAddress('00000000000000000000000001000000')).toBe('::1');
		expect(procAddress('zz')).toBeNull();
	});
});

describe('parseScan', () => {
	it('picks the parser by the marker line and refuses an answer without one', () => {
		expect(parseScan(`spyre-ports:ss\n${SS}`)?.source).toBe('ss');
		expect(parseScan('spyre-ports:proc\n')?.ports).toEqual([]);
		expect(parseScan(SS)).toBeNull();
		expect(parseScan('')).toBeNull();
	});
});
