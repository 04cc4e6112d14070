// "Do it once things settle": a burst of calls (live events arriving together, keystrokes) runs `run`
// once, `ms` after the last of them. cancel() drops a pending run (a page going away).

export interface Debounced {
	(): void;
	cancel(): void;
}

export function debounce(run: () => void, ms: number): Debounced {
	let timer: ReturnType<typeof setTimeout> | null = null;
	const cancel = () => {
		if (timer) clearTimeout(timer);
		timer = null;
	};
	const call = () => {
		cancel();
		timer = setTimeout(() => {
			timer = null;
			run();
		}, ms);
	};
	return Object.assign(call, { cancel });
}
