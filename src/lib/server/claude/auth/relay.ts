// Hands a callback to the CLI's own localhost listener, as the user's browser would have if it ran on
// the Spyre host. Only 127.0.0.1 and only the port the CLI announced: the caller checks the port, this
// module builds the request from parsed parts (never from the pasted string) and follows no redirect.

import http from 'node:http';

export interface RelayAnswer {
	status: number;
	body: string;
}

export function relayToListener(port: number, code: string, state: string, timeoutMs = 30_000): Promise<RelayAnswer> {
	const query = new URLSearchParams({ code, state }).toString();
	return new Promise((resolve, reject) => {
		const req = http.request({ host: '127.0.0.1', port, path: `/callback?${query}`, method: 'GET', timeout: timeoutMs }, (res) => {
			let body = '';
			res.setEncoding('utf8');
			res.on('data', (d: string) => {
				if (body.length < 4096) body += d;
			});
			res.on('end', () => resolve({ status: res.statusCode ?? 0, body: body.slice(0, 4096) }));
		});
		req.on('timeout', () => req.destroy(new Error('the CLI did not answer in time')));
		req.on('error', reject);
		req.end();
	});
}
