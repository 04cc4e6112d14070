// Browser sockets: the one upgrade router (every socket path, its session and Origin checks) and the
// replay-then-live helper that the event and task sockets share.
export { closeAllSockets, handleUpgrade, openSocketCount, type SocketContext } from './upgrade';
export { parseAfter, replayThenLive } from './replay-live';
