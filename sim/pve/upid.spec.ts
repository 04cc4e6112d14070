import { describe, expect, it } from 'vitest';
import { formatUpid, parseUpid, splitTokenUser } from './upid';

describe('UPID', () => {
	it('formats with 8-digit uppercase hex and a trailing colon', () => {
		const upid = formatUpid({ node: 'pve', pid: 0xd7aa2, pstart: 0x8d5a17c, starttime: 0x63df62a5, type: 'vzcreate', id: '101', user: 'root@pam!spyre' });
		expect(upid).toBe('UPID:pve:000D7AA2:08D5A17C:63DF62A5:vzcreate:101:root@pam!spyre:');
	});

	it.each([
		['UPID:pve:000D7AA2:08D5A17C:63DF62A5:vzcreate:101:root@pam!spyre:', { node: 'pve', pid: 0xd7aa2, pstart: 0x8d5a17c, starttime: 0x63df62a5, type: 'vzcreate', id: '101', user: 'root@pam!spyre' }],
		['UPID:pve2:00000001:1234ABCDE:00000002:vzstart::root@pam:', { node: 'pve2', pid: 1, pstart: 0x1234abcde, starttime: 2, type: 'vzstart', id: '', user: 'root@pam' }]
	])('parses %s', (text, expected) => {
		expect(parseUpid(text)).toEqual(expected);
		expect(parseUpid(text) && formatUpid(parseUpid(text)!)).toBe(text);
	});

	it.each([
		'garbage',
		'UPID:pve:xyz:08D5A17C:63DF62A5:vzcreate:101:root@pam:',
		'UPID:pve:000D7AA2:08D5A17C:63DF62A5:vzcreate:101:root@pam',
		'UPID:pve:000d7aa2:08D5A17C:63DF62A5:vzcreate:101:root@pam:'
	])('rejects %s', (text) => expect(parseUpid(text)).toBeNull());

	it('splits the token user', () => {
		expect(splitTokenUser('root@pam!spyre')).toEqual({ user: 'root@pam', tokenid: 'spyre' });
		expect(splitTokenUser('root@pam')).toEqual({ user: 'root@pam' });
	});
});
