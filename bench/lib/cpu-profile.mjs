// Preloaded into the server with NODE_OPTIONS=--import (Node refuses --cpu-prof there): records a V8 CPU
// profile from start-up to exit and writes it as SPYRE_CPU_PROFILE (a .cpuprofile file, open in Chrome
// DevTools or summarise with bench/lib/profile-summary.ts).
import fs from 'node:fs';
import inspector from 'node:inspector';

const out = process.env.SPYRE_CPU_PROFILE;
if (out) {
	const session = new inspector.Session();
	session.connect();
	session.post('Profiler.enable');
	session.post('Profiler.setSamplingInterval', { interval: 200 });
	session.post('Profiler.start');
	// A same-thread inspector session answers synchronously, so this works inside 'exit'.
	process.on('exit', () => {
		session.post('Profiler.stop', (err, result) => {
			if (!err) fs.writeFileSync(out, JSON.stringify(result.profile));
		});
	});
}
