import { describe, expect, it } from 'vitest';
import { decodeForm, featuresFormat, netFormat, parsePropertyString, printPropertyString, rootfsFormat, validate, type Schema } from './params';

const schema: Schema = {
	properties: {
		vmid: { type: 'integer', minimum: 100, maximum: 999_999_999 },
		start: { type: 'boolean', optional: true },
		cpulimit: { type: 'number', optional: true, minimum: 0 },
		password: { type: 'string', optional: true, minLength: 5 },
		kind: { type: 'string', optional: true, enum: ['a', 'b'] }
	},
	patterns: [{ re: /^net\d$/, prop: { type: 'string', optional: true } }]
};

describe('decodeForm', () => {
	it('splits on & and ; and percent-decodes', () => {
		expect(decodeForm('a=1;b=x%3By&c=a+b&d')).toEqual({ a: '1', b: 'x;y', c: 'a b', d: '' });
	});
});

describe('validate', () => {
	it.each([
		[{ vmid: '101' }, null],
		[{ vmid: 101, start: true }, null],
		[{ vmid: '101', start: 'true' }, { start: "type check ('boolean') failed - got 'true'" }],
		[{ vmid: 'x' }, { vmid: "type check ('integer') failed - got 'x'" }],
		[{ vmid: '1.5' }, { vmid: "type check ('integer') failed - got '1.5'" }],
		[{ vmid: '99' }, { vmid: 'value must have a minimum value of 100' }],
		[{ vmid: '1000000000' }, { vmid: 'value must have a maximum value of 999999999' }],
		[{}, { vmid: 'property is missing and it is not optional' }],
		[{ vmid: 100, bogus: 1 }, { bogus: 'property is not defined in schema and the schema does not allow additional properties' }],
		[{ vmid: 100, password: 'abc' }, { password: 'value must be at least 5 characters long' }],
		[{ vmid: 100, cpulimit: 'fast' }, { cpulimit: "type check ('number') failed - got 'fast'" }],
		[{ vmid: 100, kind: 'c' }, { kind: "value 'c' does not have a value in the enumeration 'a, b'" }],
		[{ vmid: 100, net3: 'x' }, null]
	])('%j -> %j', (raw, errors) => {
		const r = validate(schema, raw);
		if (errors === null) expect(r.ok).toBe(true);
		else expect(r).toEqual({ ok: false, errors });
	});

	it('turns JSON booleans into 1/0', () => {
		expect(validate(schema, { vmid: 100, start: false })).toEqual({ ok: true, values: { vmid: 100, start: 0 } });
	});
});

describe('property strings', () => {
	it('parses rootfs with its default key', () => {
		expect(parsePropertyString(rootfsFormat, 'local-lvm:8,quota=1')).toEqual({ ok: true, values: { volume: 'local-lvm:8', quota: '1' } });
	});
	it.each([
		[netFormat, 'name=eth0,bridge=vmbr0,ip=dhcp', null],
		[netFormat, 'name=eth0,ip=10.0.0.5/24,gw=10.0.0.1', null],
		[netFormat, 'name=eth0,ip=10.0.0.5', 'format error\nip: invalid format - value does not look like a valid ipv4 network configuration'],
		[netFormat, 'bridge=vmbr0', 'format error\nname: property is missing and it is not optional'],
		[netFormat, 'name=eth0,foo=1', 'invalid key in comma-separated list property: foo'],
		[netFormat, 'name=eth0,name=eth1', 'duplicate key in comma-separated list property: name'],
		[netFormat, 'eth0', 'value without key, but schema does not define a default key'],
		[featuresFormat, 'nesting=1,keyctl=0', null],
		[featuresFormat, 'nesting=true', "format error\nnesting: type check ('boolean') failed - got 'true'"],
		[rootfsFormat, 'local-lvm:8,size=8X', "format error\nsize: invalid format - unable to parse size '8X'"]
	])('%#: %s', (format, text, error) => {
		const r = parsePropertyString(format, text);
		if (error === null) expect(r.ok).toBe(true);
		else expect(r).toEqual({ ok: false, error });
	});
	it('prints name first, then sorted keys', () => {
		expect(printPropertyString({ type: 'veth', ip: 'dhcp', name: 'eth0', bridge: 'vmbr0' }, 'name')).toBe('name=eth0,bridge=vmbr0,ip=dhcp,type=veth');
	});
});
