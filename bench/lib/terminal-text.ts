// What a terminal shows of a byte stream, for benchmarks that match output exactly (the keystroke echo).
// Pure; the escape sequences covered are the ones tmux, bash/readline and OpenSSH emit.

// CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), charset designation (ESC ( B), other ESC + one byte.
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()*+#%][\x20-\x7e]|\x1b[^[\]()*+#%]/g;
/** An escape sequence cut off at the end of what has arrived so far (its rest is still on the way). */
const INCOMPLETE_ESCAPE = /\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b]*|[()*+#%])?$/;

/** `bytes` (decoded as latin1) without escape sequences, an unfinished one at the end included. */
export function visibleText(bytes: string): string {
	return bytes.replace(ESCAPES, '').replace(INCOMPLETE_ESCAPE, '');
}
