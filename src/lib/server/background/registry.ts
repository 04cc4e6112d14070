// An ordered registry of background services: each is started in registration order and stopped in the
// reverse order, so a service can rely on every service registered before it (the database, the SSH pool)
// while it starts and while it stops. A start or stop that fails is reported with the service's name and
// does not keep the others from starting or stopping.

import { messageOf } from '../errors';

export interface BackgroundService {
	/** Said in the log when its start or stop fails. */
	readonly name: string;
	/** Begins the work; long work (a reconcile) runs on in the background and reports its own failure. */
	start(): void | Promise<void>;
	stop?(): void | Promise<void>;
}

export interface ServiceRegistry {
	startAll(): Promise<void>;
	stopAll(): Promise<void>;
	/** Names of the services whose start failed (for tests and the log). */
	failed(): readonly string[];
}

export function serviceRegistry(services: readonly BackgroundService[], report: (line: string) => void = console.error): ServiceRegistry {
	const names = new Set<string>();
	for (const s of services) {
		if (names.has(s.name)) throw new Error(`Background service "${s.name}" is registered twice.`);
		names.add(s.name);
	}
	const attempted: BackgroundService[] = [];
	const failures: string[] = [];
	let starting: Promise<void> | null = null;
	let stopping: Promise<void> | null = null;

	const startAll = () =>
		(starting ??= (async () => {
			for (const service of services) {
				if (stopping) return;
				// A service whose start failed may have begun some work: it is stopped too.
				attempted.push(service);
				try {
					await service.start();
				} catch (err) {
					failures.push(service.name);
					report(`[spyre] starting ${service.name} failed: ${messageOf(err)}`);
				}
			}
		})());

	const stopAll = () =>
		(stopping ??= (async () => {
			// A start still in progress finishes its current service first, so nothing starts after its stop.
			await starting?.catch(() => undefined);
			for (const service of [...attempted].reverse()) {
				try {
					await service.stop?.();
				} catch (err) {
					report(`[spyre] stopping ${service.name} failed: ${messageOf(err)}`);
				}
			}
		})());

	return { startAll, stopAll, failed: () => [...failures] };
}
