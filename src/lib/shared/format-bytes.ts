// The one byte-count formatter, shared by the browser (memory, disk), the server (size-limit messages)
// and the benchmarks (`npm run bench`). Pure: no I/O, no DOM, no Node APIs, so every side can import it.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/**
 * `n` bytes in binary units: `512 B`, `1.5 KiB`, `256 KiB`, `1.0 MiB`. One decimal below 10 of a unit,
 * whole numbers from 10 up (the decimal no longer tells anything). `—` for null, undefined, NaN or ±Infinity.
 */
export function formatBytes(n: number | null | undefined): string {
	if (n === null || n === undefined || !Number.isFinite(n)) return '—';
	const sign = n < 0 ? '-' : '';
	let v = Math.abs(n);
	let i = 0;
	while (v >= 1024 && i < UNITS.length - 1) {
		v /= 1024;
		i++;
	}
	return `${sign}${v >= 10 || i === 0 ? Math.round(v) : v.toFixed(1)} ${UNITS[i]}`;
}
