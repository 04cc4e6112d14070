// What "Connect from your editor" offers for an environment behind Spyre's SSH gateway: the ~/.ssh/config
// block (Host spyre-<env>) and the VS Code Remote-SSH link that opens that host. Pure, for the page and
// its tests. The environment name is a DNS label (the one hostname rule), so it needs no escaping in
// either; the host is the gateway's public host.

export interface EditorTarget {
	hostname: string;
	host: string;
	port: number;
	/** The directory the editor opens: the login user's home. */
	dir: string;
}

export const sshAlias = (hostname: string) => `spyre-${hostname}`;

export function sshConfigBlock(t: EditorTarget): string {
	return [
		`Host ${sshAlias(t.hostname)}`,
		`    HostName ${t.host}`,
		`    Port ${t.port}`,
		`    User ${t.hostname}`,
		// A comment on its own line: older OpenSSH reads a trailing `# …` as part of the value.
		'    # the private half of the key you added in Spyre: Settings → SSH keys',
		'    IdentityFile ~/.ssh/id_ed25519',
		'    IdentitiesOnly yes',
		''
	].join('\n');
}

export function vscodeLink(t: EditorTarget): string {
	const dir = t.dir.startsWith('/') ? t.dir : `/${t.dir}`;
	return `vscode://vscode-remote/ssh-remote+${encodeURIComponent(sshAlias(t.hostname))}${dir.split('/').map(encodeURIComponent).join('/')}`;
}
