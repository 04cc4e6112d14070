import { describe, expect, it } from 'vitest';
import { capacityProblem, hostnameProblem, LIMITS, quickFormProblems, sizeProblem, templateProblem, type NodeCapacity } from './environment';

describe('hostnameProblem', () => {
	it.each(['a', 'api-dev', 'x1', 'a'.repeat(63), '0-9'])('accepts %s', (h) => expect(hostnameProblem(h)).toBeNull());
	it.each([
		['', /Enter a hostname/],
		['a'.repeat(64), /at most 63/],
		['-api', /lowercase letters, digits and single hyphens/],
		// `--` separates service and hostname in a service's DNS label (<service>--<hostname>).
		['a--b', /single hyphens/],
		['api-', /lowercase letters/],
		['Api', /lowercase letters/],
		['a_b', /lowercase letters/],
		['a.b', /lowercase letters/],
		['a;reboot', /lowercase letters/]
	])('refuses %j', (h, message) => expect(hostnameProblem(h)).toMatch(message));
});

describe('templateProblem', () => {
	it('wants a vztmpl volume id', () => {
		expect(templateProblem('local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst')).toBeNull();
		expect(templateProblem('')).toBe('Choose a template.');
		expect(templateProblem('local:iso/x.iso')).toMatch(/not a container template/);
		expect(templateProblem('local:vztmpl/$(id)')).toMatch(/not a container template/);
	});
});

describe('sizeProblem', () => {
	it('accepts the bounds and whole numbers given as text (form fields)', () => {
		for (const field of ['cores', 'memory', 'disk'] as const) {
			expect(sizeProblem(field, LIMITS[field].min)).toBeNull();
			expect(sizeProblem(field, LIMITS[field].max)).toBeNull();
			expect(sizeProblem(field, String(LIMITS[field].min))).toBeNull();
		}
	});

	it.each([
		['cores', 0, 'Cores must be between 1 and 128.'],
		['cores', 1.5, 'Cores must be a whole number.'],
		['memory', 63, 'Memory must be between 64 and 1048576 MiB.'],
		['memory', '', 'Memory must be a whole number of MiB.'],
		['disk', 'ten', 'Disk must be a whole number of GiB.'],
		['disk', 16 * 1024 + 1, 'Disk must be between 1 and 16384 GiB.'],
		['disk', null, 'Disk must be a whole number of GiB.']
	] as const)('%s = %j → %s', (field, value, message) => expect(sizeProblem(field, value)).toBe(message));
});

describe('capacityProblem', () => {
	const node: NodeCapacity = { node: 'pve', maxcpu: 4, maxmem: 8 * 2 ** 30, maxdisk: 100 * 2 ** 30 };
	it('refuses what does not fit the node, and says how much it has', () => {
		expect(capacityProblem('cores', 5, node)).toBe('Node pve has 4 cores.');
		expect(capacityProblem('memory', 8193, node)).toBe('Node pve has 8192 MiB of memory.');
		expect(capacityProblem('disk', 101, node)).toBe('Node pve has 100 GiB of disk.');
	});
	it('lets through what fits, and anything when the node or its size is unknown', () => {
		expect(capacityProblem('cores', 4, node)).toBeNull();
		expect(capacityProblem('memory', 8192, node)).toBeNull();
		expect(capacityProblem('cores', 64, undefined)).toBeNull();
		expect(capacityProblem('cores', 64, { ...node, maxcpu: 0 })).toBeNull();
	});
});

describe('quickFormProblems', () => {
	const node: NodeCapacity = { node: 'pve', maxcpu: 4, maxmem: 8 * 2 ** 30, maxdisk: 100 * 2 ** 30 };
	it('is empty for a good form', () => {
		expect(quickFormProblems({ hostname: 'api-dev', template: 'local:vztmpl/d.tar.zst', cores: 2, memory: 1024, disk: 8 }, node)).toEqual({});
	});
	it('names every bad field, bounds before capacity', () => {
		expect(quickFormProblems({ hostname: '', template: '', cores: 0, memory: 9000, disk: 8 }, node)).toEqual({
			hostname: 'Enter a hostname.',
			template: 'Choose a template.',
			cores: 'Cores must be between 1 and 128.',
			memory: 'Node pve has 8192 MiB of memory.'
		});
	});
});
