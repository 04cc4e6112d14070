import { describe, expect, it } from 'vitest';
import { httpStatusFor } from '$lib/server/errors';
import { errorFromResponse, errorFromTransport, isTaskSuccess, ProxmoxTaskError } from './errors';
import { TlsPinError } from './tls';
import type { RequestContext } from './errors';

const ctx = (template: string, vars: Record<string, string | number> = {}, method = 'POST'): RequestContext => ({
	baseUrl: 'https://pve.lan:8006',
	tokenId: 'spyre@pve!app',
	method,
	template,
	vars
});

describe('errorFromResponse', () => {
	it.each([
		[401, 'No ticket', undefined, 'auth', 'Proxmox rejected the API token spyre@pve!app (No ticket): check proxmox.token_id / token_secret in environment.yaml.'],
		[403, 'Permission check failed (/vms/101, VM.Allocate)', undefined, 'forbidden', 'The Proxmox API token spyre@pve!app lacks the privilege VM.Allocate on /vms/101'],
		[
			403,
			'Permission check failed (changing feature flags (except nesting) is only allowed for root@pam)',
			undefined,
			'forbidden',
			'Proxmox refused the request: Permission check failed (changing feature flags'
		],
		[500, 'CT 100 already running', undefined, 'server', 'CT 100 already running'],
		[500, 'Internal Server Error', { data: null, message: 'unable to destroy CT 100 - container is running\n' }, 'server', 'unable to destroy CT 100 - container is running'],
		[596, 'Broken pipe', undefined, 'node_offline', 'Proxmox node pve2 is offline or unreachable'],
		[404, 'Not Found', undefined, 'not_found', 'Proxmox has no POST /nodes/{node}/lxc']
	])('%i %s', (status, reason, body, kind, message) => {
		const err = errorFromResponse(ctx('/nodes/{node}/lxc', { node: 'pve2' }), status, reason, body ?? { data: null });
		expect(err.kind).toBe(kind);
		expect(err.upstreamStatus).toBe(status);
		expect(err.message.startsWith(message)).toBe(true);
	});

	it('lists 400 parameter errors and exposes them as form fields', () => {
		const err = errorFromResponse(ctx('/nodes/{node}/lxc'), 400, 'Parameter verification failed.', {
			data: null,
			errors: { vmid: "type check ('integer') failed - got 'x'", hostname: 'invalid format - bad' }
		});
		expect(err.message).toBe("Proxmox rejected the request parameters: vmid: type check ('integer') failed - got 'x'; hostname: invalid format - bad");
		expect(err.fields).toEqual({ vmid: "type check ('integer') failed - got 'x'", hostname: 'invalid format - bad' });
		expect(err.status).toBe(httpStatusFor('validation'));
	});

	it('a 400 without per-parameter errors uses the text', () => {
		const err = errorFromResponse(ctx('/nodes/{node}/lxc'), 400, 'Parameter verification failed.', null);
		expect(err.message).toBe('Proxmox rejected the request: Parameter verification failed.');
	});

	it('names the CT in a lock error', () => {
		const err = errorFromResponse(ctx('/nodes/{node}/lxc/{vmid}', { node: 'pve', vmid: 104 }, 'DELETE'), 500, 'CT is locked (create)', { data: null });
		expect(err.message).toMatch(/^CT 104 is locked \(create\)/);
		expect(err.code).toBe('conflict');
	});
});

describe('errorFromTransport', () => {
	it('finds the errno code deep in the cause chain', () => {
		const inner = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:8006'), { code: 'ECONNREFUSED' });
		const err = errorFromTransport(ctx('/version', {}, 'GET'), new TypeError('fetch failed', { cause: new AggregateError([inner]) }));
		expect(err.kind).toBe('network');
		expect(err.message).toBe('Cannot reach Proxmox at https://pve.lan:8006: ECONNREFUSED');
	});

	it('reports a pin mismatch with both fingerprints', () => {
		const err = errorFromTransport(ctx('/version', {}, 'GET'), new TypeError('fetch failed', { cause: new TlsPinError('AA:BB', 'CC:DD') }));
		expect(err.kind).toBe('tls');
		expect(err.message).toContain('expected AA:BB, received CC:DD');
	});
});

describe('tasks', () => {
	it.each([
		['OK', true],
		['WARNINGS: 3', true],
		['unable to create CT 101 - x', false],
		['', false],
		[undefined, false]
	])('isTaskSuccess(%j) = %s', (status, expected) => {
		expect(isTaskSuccess(status)).toBe(expected);
	});

	it('a task error reads as its exit status', () => {
		const err = new ProxmoxTaskError({ upid: 'U', node: 'pve', pid: 1, pstart: 1, starttime: 1, type: 'vzstop', id: '101', user: 'u', status: 'stopped', exitstatus: 'container did not stop' }, [
			{ n: 1, t: 'TASK ERROR: container did not stop' }
		]);
		expect(err.message).toBe('container did not stop');
		expect(err.kind).toBe('task');
		expect(err.log).toHaveLength(1);
	});
});
