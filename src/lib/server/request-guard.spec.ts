import { describe, expect, it } from 'vitest';
import { hostAllowed, hostPolicy, isLoopbackName, mutationOriginAllowed } from './request-guard';

describe('hostAllowed', () => {
	const prod = hostPolicy('https://spyre.example.com');
	const local = hostPolicy('http://127.0.0.1:3000');
	it.each([
		['spyre.example.com', prod, true],
		['SPYRE.example.com', prod, true],
		['spyre.example.com:443', prod, true], // URL normalises the default port away
		['spyre.example.com:8443', prod, false],
		['evil.example', prod, false],
		['127.0.0.1:3000', prod, false],
		['localhost:3000', prod, false],
		['spyre.example.com.evil.example', prod, false],
		['user@spyre.example.com', prod, false],
		['spyre.example.com/x', prod, false],
		['', prod, false],
		[undefined, prod, false],
		['127.0.0.1:3000', local, true],
		['127.0.0.1:4000', local, true],
		['localhost:3000', local, true],
		['[::1]:3000', local, true],
		['192.168.1.20:3000', local, true], // an IP literal cannot be rebound (HOST=0.0.0.0 demo)
		['evil.example:3000', local, false], // DNS rebinding: a name that resolves to 127.0.0.1
		['rebind.127.0.0.1.nip.io:3000', local, false],
		['localhost.evil.example:3000', local, false]
	])('%j (%#) -> %j', (host, policy, ok) => {
		expect(hostAllowed(host, policy)).toBe(ok);
	});

	it('knows loopback names', () => {
		expect(hostPolicy('http://localhost:3000').local).toBe(true);
		expect(hostPolicy('https://spyre.example.com').local).toBe(false);
		expect(isLoopbackName('127.9.9.9')).toBe(true);
		expect(isLoopbackName('0.0.0.0')).toBe(false);
	});
});

describe('mutationOriginAllowed', () => {
	const prod = hostPolicy('https://spyre.example.com');
	it.each([
		['https://spyre.example.com', 'https://spyre.example.com', true],
		['https://spyre.example.com', 'http://127.0.0.1:3000', true],
		['http://127.0.0.1:3000', 'http://127.0.0.1:3000', true],
		[null, 'https://spyre.example.com', false],
		['', 'https://spyre.example.com', false],
		['null', 'https://spyre.example.com', false],
		['https://evil.example', 'https://spyre.example.com', false],
		['http://spyre.example.com', 'https://spyre.example.com', false],
		['https://spyre.example.com.evil.example', 'https://spyre.example.com', false],
		['https://spyre.example.com/path', 'https://spyre.example.com', false],
		['file://', 'https://spyre.example.com', false]
	])('%j to %j -> %j', (origin, requestOrigin, ok) => {
		expect(mutationOriginAllowed(origin, requestOrigin, prod)).toBe(ok);
	});
});
