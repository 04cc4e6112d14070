// Health of a service as seen from the Spyre host: an HTTP GET for http services (any answer below 500
// counts: a 404 or a login page still means the service is up), a TCP connect for tcp and https ones.
// https is only connected to: a CT's service usually has a self-signed certificate, and Spyre does not
// switch certificate checks off to call it healthy.

import http from 'node:http';
import net from 'node:net';
import type { ServiceHealth } from './store';

const PROBE_TIMEOUT_MS = 3000;

export function probe(ip: string, port: number, protocol: 'http' | 'https' | 'tcp', timeoutMs = PROBE_TIMEOUT_MS): Promise<ServiceHealth> {
	if (protocol !== 'http') return tcpProbe(ip, port, timeoutMs);
	return new Promise((resolve) => {
		const req = http.request({ host: ip, port, path: '/', method: 'GET', timeout: timeoutMs, headers: { 'user-agent': 'spyre-health' } }, (res) => {
			res.resume();
			resolve((res.statusCode ?? 500) < 500 ? 'healthy' : 'unhealthy');
		});
		req.on('timeout', () => req.destroy(new Error('timeout')));
		req.on('error', () => resolve('unhealthy'));
		req.end();
	});
}

function tcpProbe(ip: string, port: number, timeoutMs: number): Promise<ServiceHealth> {
	return new Promise((resolve) => {
		const socket = net.connect({ host: ip, port });
		const done = (h: ServiceHealth) => {
			socket.destroy();
			resolve(h);
		};
		socket.setTimeout(timeoutMs, () => done('unhealthy'));
		socket.once('connect', () => done('healthy'));
		socket.once('error', () => done('unhealthy'));
	});
}
