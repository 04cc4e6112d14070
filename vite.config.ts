import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig, type Plugin, type ViteDevServer } from 'vite';
import { isSpyreSocketPath } from './src/lib/shared/socket-paths';

// Development twin of server.js: routes Spyre's WebSocket paths to the same upgrade handler module the
// routes use (loaded through Vite's SSR module graph, so the DB handle and SSH pool are shared), and
// leaves every other upgrade — Vite's own HMR socket — alone.
function spyreWebSockets(): Plugin {
	return {
		name: 'spyre-websockets',
		configureServer(server: ViteDevServer) {
			server.httpServer?.on('upgrade', async (req, socket, head) => {
				if (!isSpyreSocketPath(req.url)) return;
				try {
					const runtime = await server.ssrLoadModule('/src/lib/server/runtime.ts');
					runtime.start();
					const ws = await server.ssrLoadModule('/src/lib/server/ws/upgrade.ts');
					ws.handleUpgrade(req, socket, head);
				} catch (err) {
					server.config.logger.error(`[spyre] websocket upgrade failed: ${(err as Error).message}`);
					socket.destroy();
				}
			});
		}
	};
}

export default defineConfig({
	plugins: [sveltekit(), spyreWebSockets()],
	server: { host: process.env.HOST ?? '127.0.0.1', port: Number(process.env.PORT ?? 5173), strictPort: false }
});
