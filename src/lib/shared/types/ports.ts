// What the environment page's Ports section receives (GET /api/environments/:id/ports). Shared by the
// server (ports/) and the browser.

/** One TCP port with everything that listens on it. */
export interface ListeningPort {
	port: number;
	/** Local addresses as printed (`0.0.0.0`, `::`, `127.0.0.1`, `10.0.0.5`, `*`), sorted, unique. */
	addresses: string[];
	/** Process names (from `ss` only; none from /proc), printable ASCII, unique. */
	processes: string[];
	/** Every address is a loopback one: Caddy cannot reach it from outside the CT. */
	loopbackOnly: boolean;
}

/** The service on a port, as the page needs it (a declared service, or a shared port). */
export interface PortService {
	name: string;
	url: string | null;
	/** Spyre's link that opens it through the credential handshake. */
	openUrl: string | null;
	/** Shared from the page (Unshare removes it); false for a service of the config. */
	shared: boolean;
}

export interface PortView extends ListeningPort {
	/** Still listening at the last scan (a shared port stays listed, so it can be unshared, after its process ended). */
	listening: boolean;
	service: PortService | null;
}

export interface PortsView {
	/** `ss`, or the kernel's /proc/net/tcp tables when the CT has no `ss` (no process names then). */
	source: 'ss' | 'proc';
	scannedAt: number;
	ports: PortView[];
	/** Why Share is not offered (no caddy.base_domain), else null. */
	shareNote: string | null;
}
