export async function handleTerminal(ws: import('ws').WebSocket, _ctx: unknown) { ws.close(4404); }
