// Raw channels for a relay (the SSH gateway): an exec, a shell, a subsystem or a direct-tcpip forward on the
// pool's connection to an environment, handed over as the bare ssh2 stream. The caller owns the bytes
// (and their backpressure); the pool still counts the channel in its slots until it closes.

import type { Client, ClientChannel, PseudoTtyOptions } from 'ssh2';
import type { RawChannel, RawChannelRequest, RawExit } from './types';

type Callback = (err: Error | undefined, ch: ClientChannel) => void;

export function rawOpener(client: Client, req: RawChannelRequest): (cb: Callback) => void {
	const pty: PseudoTtyOptions | undefined = req.kind === 'exec' || req.kind === 'shell' ? req.pty : undefined;
	const env = req.kind === 'exec' || req.kind === 'shell' ? req.env : undefined;
	switch (req.kind) {
		case 'exec':
			return (cb) => client.exec(req.command, { ...(pty ? { pty } : {}), ...(env ? { env } : {}) }, cb);
		case 'shell':
			return (cb) => client.shell(pty ?? false, env ? { env } : {}, cb);
		case 'subsystem':
			return (cb) => client.subsys(req.name, cb);
		case 'forward':
			return (cb) => client.forwardOut(req.srcHost, req.srcPort, req.host, req.port, cb);
	}
}

/**
 * Wrap the channel in ssh2's open callback: a short command's exit status can arrive in the same tick as
 * the open, before the caller's promise continuation could listen for it.
 */
export function rawHandle(channel: ClientChannel): RawChannel {
	let exit: RawExit | null = null;
	channel.on('exit', (code: number | null, signal?: string, dump?: boolean, desc?: string) => {
		exit = typeof code === 'number' ? { code } : { code: null, signal: signal ?? 'KILL', dump: dump ?? false, desc: desc ?? '' };
	});
	return { stream: channel, exit: () => exit };
}
