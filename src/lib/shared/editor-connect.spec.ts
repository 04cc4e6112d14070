import { describe, expect, it } from 'vitest';
import { sshConfigBlock, vscodeLink } from './editor-connect';

describe('editor-connect', () => {
	const t = { hostname: 'dev-web', host: 'spyre.home.lan', port: 2222, dir: '/home/dev' };

	it('writes the ~/.ssh/config block for the gateway', () => {
		expect(sshConfigBlock(t)).toBe(
			'Host spyre-dev-web\n    HostName spyre.home.lan\n    Port 2222\n    User dev-web\n    # the private half of the key you added in Spyre: Settings → SSH keys\n    IdentityFile ~/.ssh/id_ed25519\n    IdentitiesOnly yes\n'
		);
	});

	it.each([
		['/home/dev', 'vscode://vscode-remote/ssh-remote+spyre-dev-web/home/dev'],
		['/root', 'vscode://vscode-remote/ssh-remote+spyre-dev-web/root'],
		['/srv/my app', 'vscode://vscode-remote/ssh-remote+spyre-dev-web/srv/my%20app']
	])('links VS Code Remote-SSH to %s', (dir, link) => {
		expect(vscodeLink({ ...t, dir })).toBe(link);
	});
});
