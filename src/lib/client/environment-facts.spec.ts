import { describe, expect, it } from 'vitest';
import { cpuText, diskText, formatUptime, memoryText, uptimeText, type EnvironmentFigures } from './environment-facts';

const running: EnvironmentFigures = { status: 'running', cores: 2, cpu: 0.134, memoryMb: 2048, memUsed: 412 * 2 ** 20, diskGb: 8, uptime: 3 * 3600 + 5 * 60 };
const stopped: EnvironmentFigures = { ...running, status: 'stopped' };
const unknown: EnvironmentFigures = { status: 'creating', cores: null, cpu: null, memoryMb: null, memUsed: null, diskGb: null, uptime: null };

describe('environment facts', () => {
	it.each([
		['cpu, running', cpuText(running), '2 cores · 13%'],
		['cpu, running, no unit', cpuText(running, { unit: false }), '2 · 13%'],
		['cpu, stopped: no live use', cpuText(stopped), '2 cores'],
		['cpu, one core', cpuText({ ...stopped, cores: 1 }), '1 core'],
		['cpu, unknown', cpuText(unknown), '— cores'],
		['memory, running', memoryText(running), '412 MiB / 2.0 GiB'],
		['memory, stopped: only what it is given', memoryText(stopped), '2.0 GiB'],
		['memory, running but no reading yet', memoryText({ ...running, memUsed: null }), '2.0 GiB'],
		['memory, unknown', memoryText(unknown), '—'],
		['disk', diskText(running), '8 GiB'],
		['disk, unknown', diskText(unknown), '—'],
		['uptime, running', uptimeText(running), '3h 5m'],
		['uptime, stopped', uptimeText(stopped), '—'],
		['uptime in days', formatUptime(2 * 86400 + 4 * 3600 + 59), '2d 4h'],
		['uptime under an hour', formatUptime(250), '4m 10s'],
		['no uptime', formatUptime(0), '—']
	])('%s', (_what, got, want) => {
		expect(got).toBe(want);
	});
});
