import { describe, expect, it } from 'vitest';
import { durationMs, findAuthorizeUrl, findOutcome, findToken, lastLine, parseAuthStatus, parseCredentialsFile, parsePaste, redact, stripAnsi } from './parse';

const MANUAL =
	'https://claude.com/cai/oauth/authorize?code=true&client_id=abc&response_type=code&redirect_uri=https%3A%2F%2Fplatform.claude.com%2Foauth%2Fcode%2Fcallback&scope=user%3Ainference&code_challenge=xyz&code_challenge_method=S256&state=St4te_-x';
const LOCAL = 'https://claude.com/cai/oauth/authorize?code=true&client_id=abc&redirect_uri=http%3A%2F%2Flocalhost%3A43117%2Fcallback&state=St4te_-x';
const TOKEN = 'sk-ant-oat01-AbC_dEf-123456789012345678901234567890';

// What a PTY carries from an Ink app: colours, cursor moves, a hyperlink, carriage returns.
const PTY_OUTPUT =
	'\x1b[?25l\x1b[2K\x1b[1GOpening browser to sign in…\r\n' +
	`\x1b[2mIf the browser didn't open, visit:\x1b[22m \x1b]8;;${MANUAL}\x07${MANUAL}\x1b]8;;\x07\r\n` +
	'Paste code here if prompted > \x1b[?25h';

describe('stripAnsi', () => {
	it('removes CSI, OSC and carriage returns', () => {
		expect(stripAnsi('\x1b[1mbold\x1b[22m\r\n\x1b]0;title\x07x\x1b[?25h')).toBe('bold\nx');
	});
});

describe('findAuthorizeUrl', () => {
	it('finds the printed URL through PTY escapes', () => {
		const u = findAuthorizeUrl(PTY_OUTPUT);
		expect(u?.url).toBe(MANUAL);
		expect(u?.state).toBe('St4te_-x');
		expect(u?.port).toBeNull();
	});
	it('reads the localhost port from the redirect_uri', () => {
		expect(findAuthorizeUrl(LOCAL)?.port).toBe(43117);
	});
	it('returns null without a URL or without state', () => {
		expect(findAuthorizeUrl('Opening browser to sign in…')).toBeNull();
		expect(findAuthorizeUrl('https://claude.com/cai/oauth/authorize?code=true')).toBeNull();
		expect(findAuthorizeUrl('http://claude.com/cai/oauth/authorize?state=x')).toBeNull();
	});
});

describe('findToken and findOutcome', () => {
	it('reads the setup-token line with its validity, through escapes', () => {
		const out = `\x1b[32m✓\x1b[39m done\r\n\r\nYour OAuth token (valid for 1 year): \x1b[1m${TOKEN}\x1b[22m\r\n`;
		expect(findToken(out)).toEqual({ token: TOKEN, validForMs: 365 * 86_400_000 });
		expect(findOutcome(out)).toEqual({ kind: 'success' });
	});
	it('ignores the export hint without a token', () => {
		expect(findToken('export CLAUDE_CODE_OAUTH_TOKEN=<token>')).toBeNull();
	});
	it('reads failures and invalid codes', () => {
		expect(findOutcome('Login failed: Request failed with status code 400\n')).toEqual({ kind: 'failed', message: 'Request failed with status code 400' });
		expect(findOutcome('Invalid code. Please make sure the full code was copied.\n')).toEqual({ kind: 'invalid_code' });
		expect(findOutcome('Login successful.\n')).toEqual({ kind: 'success' });
		expect(findOutcome('Paste code here if prompted > ')).toBeNull();
	});
	it('understands durations', () => {
		expect(durationMs('30 days')).toBe(30 * 86_400_000);
		expect(durationMs('an hour')).toBe(3_600_000);
		expect(durationMs('forever')).toBeNull();
	});
});

describe('redact and lastLine', () => {
	it('never lets a token through', () => {
		expect(redact(`token ${TOKEN} and sk-ant-api03-xyzXYZ_123`)).not.toMatch(/oat01-AbC|api03-xyz/);
		expect(lastLine(`a\nYour OAuth token: ${TOKEN}\n\n`)).not.toContain('AbC_dEf');
	});
});

describe('parsePaste', () => {
	it('reads code#state', () => {
		expect(parsePaste('  abc-DEF_1#St4te_-x \n')).toEqual({ kind: 'code', code: 'abc-DEF_1', state: 'St4te_-x' });
	});
	it('reads the failed localhost address', () => {
		expect(parsePaste('http://localhost:43117/callback?code=abc&state=St4te')).toEqual({ kind: 'callback', port: 43117, code: 'abc', state: 'St4te' });
	});
	it.each(['http://127.0.0.1:43117', 'http://[::1]:43117', 'http://LOCALHOST:43117', 'http://127.1:43117'])('reads the callback on %s (as the URL parser reads it)', (origin) => {
		expect(parsePaste(`${origin}/callback?code=abc&state=St4te`)).toMatchObject({ kind: 'callback', port: 43117 });
	});
	it.each([
		['abc', /not the full code/],
		['', /Paste the code/],
		['abc#st ate', /does not look like/],
		["abc#st'ate;rm", /does not look like/],
		['http://evil.example:80/callback?code=a&state=b', /Only the http:\/\/localhost/],
		['http://localhost:4000/other?code=a&state=b', /Only the http:\/\/localhost/],
		['http://localhost:4000/callback?code=a', /no code and state/],
		['https://localhost:4000/callback?code=a&state=b', /Only the http:\/\/localhost/],
		// Loopback, but not where the CLI listens: never relayed to its port.
		['http://127.0.0.2:4000/callback?code=a&state=b', /Only the http:\/\/localhost/],
		['http://cli.localhost:4000/callback?code=a&state=b', /Only the http:\/\/localhost/],
		['http://localhost.:4000/callback?code=a&state=b', /Only the http:\/\/localhost/],
		['http://[::ffff:127.0.0.1]:4000/callback?code=a&state=b', /Only the http:\/\/localhost/],
		['http://localhost.evil.example:4000/callback?code=a&state=b', /Only the http:\/\/localhost/]
	])('refuses %j', (input, message) => {
		expect(() => parsePaste(input)).toThrow(message);
	});
	it('refuses 100 KB with payload_too_large', () => {
		expect(() => parsePaste('a'.repeat(100 * 1024) + '#b')).toThrow(expect.objectContaining({ code: 'payload_too_large' }));
	});
});

describe('CLI files and JSON', () => {
	it('parses auth status', () => {
		expect(parseAuthStatus('{\n "loggedIn": false, "authMethod": "none"\n}\n')).toEqual({ loggedIn: false, authMethod: 'none' });
		expect(parseAuthStatus('garbage')).toBeNull();
	});
	it('reads only the access token and expiry of a credentials file', () => {
		const text = JSON.stringify({ claudeAiOauth: { accessToken: TOKEN, refreshToken: 'sk-ant-ort01-x', expiresAt: 5 } });
		expect(parseCredentialsFile(text)).toEqual({ accessToken: TOKEN, expiresAt: 5 });
		expect(parseCredentialsFile('{}')).toBeNull();
	});
});
