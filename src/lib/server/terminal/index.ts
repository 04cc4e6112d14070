// Terminals in environments: tmux inside the CT (`tmux`, its windows and sessions) and the browser's
// terminal socket (`handleTerminal`). The socket's states and its output pump are internal.
export * as tmux from './tmux-controller';
export { handleTerminal } from './socket';
