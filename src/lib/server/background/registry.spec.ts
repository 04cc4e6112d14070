import { describe, expect, it } from 'vitest';
import { serviceRegistry, type BackgroundService } from './registry';

function recorder() {
	const calls: string[] = [];
	const service = (name: string, opts: { failStart?: boolean; failStop?: boolean } = {}): BackgroundService => ({
		name,
		start: async () => {
			calls.push(`start ${name}`);
			if (opts.failStart) throw new Error(`${name} cannot start`);
		},
		stop: () => {
			calls.push(`stop ${name}`);
			if (opts.failStop) throw new Error(`${name} cannot stop`);
		}
	});
	return { calls, service };
}

describe('serviceRegistry', () => {
	it('starts in registration order and stops in reverse', async () => {
		const { calls, service } = recorder();
		const registry = serviceRegistry([service('db'), service('poller'), service('proxy')], () => undefined);
		await registry.startAll();
		await registry.stopAll();
		expect(calls).toEqual(['start db', 'start poller', 'start proxy', 'stop proxy', 'stop poller', 'stop db']);
	});

	it('reports a failing start by name, starts the rest and still stops every service', async () => {
		const { calls, service } = recorder();
		const lines: string[] = [];
		const registry = serviceRegistry([service('db'), service('broker', { failStart: true }), service('proxy')], (l) => lines.push(l));
		await registry.startAll();
		expect(lines).toEqual(['[spyre] starting broker failed: broker cannot start']);
		expect(registry.failed()).toEqual(['broker']);
		await registry.stopAll();
		expect(calls).toEqual(['start db', 'start broker', 'start proxy', 'stop proxy', 'stop broker', 'stop db']);
	});

	it('a failing stop is reported and the services before it still stop', async () => {
		const { calls, service } = recorder();
		const lines: string[] = [];
		const registry = serviceRegistry([service('db'), service('poller', { failStop: true }), service('proxy')], (l) => lines.push(l));
		await registry.startAll();
		await registry.stopAll();
		expect(calls.slice(3)).toEqual(['stop proxy', 'stop poller', 'stop db']);
		expect(lines).toEqual(['[spyre] stopping poller failed: poller cannot stop']);
	});

	it('starts and stops once however often it is asked', async () => {
		const { calls, service } = recorder();
		const registry = serviceRegistry([service('db')], () => undefined);
		await Promise.all([registry.startAll(), registry.startAll()]);
		await Promise.all([registry.stopAll(), registry.stopAll()]);
		expect(calls).toEqual(['start db', 'stop db']);
	});

	it('a stop during start-up waits for the service being started, then starts nothing more', async () => {
		const calls: string[] = [];
		let release!: () => void;
		const slow: BackgroundService = { name: 'slow', start: () => new Promise<void>((r) => (release = () => (calls.push('start slow'), r()))), stop: () => void calls.push('stop slow') };
		const later: BackgroundService = { name: 'later', start: () => void calls.push('start later'), stop: () => void calls.push('stop later') };
		const registry = serviceRegistry([slow, later], () => undefined);
		const started = registry.startAll();
		const stopped = registry.stopAll();
		release();
		await Promise.all([started, stopped]);
		expect(calls).toEqual(['start slow', 'stop slow']);
	});

	it('refuses a name registered twice', () => {
		const { service } = recorder();
		expect(() => serviceRegistry([service('db'), service('db')])).toThrow(/registered twice/);
	});
});
