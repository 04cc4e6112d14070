import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
	preprocess: vitePreprocess(),
	compilerOptions: { runes: true },
	kit: {
		adapter: adapter({ out: 'build' }),
		// Content-Security-Policy on every page. Scripts: only Spyre's own files and SvelteKit's hydration
		// script, which carries a per-response nonce ('auto': nonces for rendered pages, hashes if any are
		// prerendered). Styles allow 'unsafe-inline' on purpose: xterm.js writes <style> elements and style
		// attributes for its cell metrics and themes, CodeMirror 6 injects <style> elements (style-mod), and
		// Svelte transitions inject keyframes; style attributes cannot carry a nonce at all. Inline style
		// cannot run code, so the script policy stays strict. connect-src 'self' covers the same-origin
		// ws:/wss: sockets (CSP Level 3). Nothing may frame Spyre.
		csp: {
			mode: 'auto',
			directives: {
				'default-src': ['self'],
				'script-src': ['self'],
				'style-src': ['self', 'unsafe-inline'],
				'img-src': ['self', 'data:', 'blob:'],
				'font-src': ['self', 'data:'],
				'connect-src': ['self'],
				'worker-src': ['self', 'blob:'],
				'object-src': ['none'],
				'base-uri': ['self'],
				'form-action': ['self'],
				'frame-ancestors': ['none'],
				'frame-src': ['none']
			}
		}
	}
};

export default config;
