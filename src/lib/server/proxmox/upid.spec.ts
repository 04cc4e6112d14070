import { describe, expect, it } from 'vitest';
import { isUpid, parseUpid } from './upid';

describe('parseUpid', () => {
	it('parses a token-started vzcreate task', () => {
		expect(parseUpid('UPID:pve:000D7AA2:08D5A17C:63DF62A5:vzcreate:101:root@pam!spyre:')).toEqual({
			node: 'pve',
			pid: 0x000d7aa2,
			pstart: 0x08d5a17c,
			starttime: 0x63df62a5,
			type: 'vzcreate',
			id: '101',
			user: 'root@pam!spyre'
		});
	});

	it.each([
		['9-digit pstart', 'UPID:node-2:00001234:108D5A17C:63DF62A5:vzstart:205:spyre@pve:', { node: 'node-2', pstart: 0x108d5a17c }],
		['empty id', 'UPID:pve:00001234:08D5A17C:63DF62A5:aptupdate::root@pam:', { id: '', type: 'aptupdate' }],
		['lowercase hex', 'UPID:pve:000d7aa2:08d5a17c:63df62a5:vzstop:7:root@pam:', { pid: 0xd7aa2 }]
	])('%s', (_name, upid, expected) => {
		expect(parseUpid(upid)).toMatchObject(expected);
	});

	it.each([
		['', 'empty'],
		['UPID:pve:000D7AA2:08D5A17C:63DF62A5:vzcreate:101:root@pam', 'no trailing colon'],
		['UPID:pve:XYZ:08D5A17C:63DF62A5:vzcreate:101:root@pam:', 'bad hex'],
		['TASK:pve:000D7AA2:08D5A17C:63DF62A5:vzcreate:101:root@pam:', 'wrong prefix'],
		['UPID:pve:000D7AA2:08D5A17C:63DF62A5:vzcreate:101:root@pam:extra:', 'extra field']
	])('rejects %j (%s)', (upid) => {
		expect(parseUpid(upid)).toBeNull();
		expect(isUpid(upid)).toBe(false);
	});
});
