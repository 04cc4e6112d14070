import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { configFiles, parse } from './config.testkit';
import { ConfigError } from './errors';
import { loadConfig } from './load';
import { parseConfig } from './parse';

const { dir, base, withSet } = configFiles();
const yaml = (raw: unknown) => stringify(raw);

describe('PORT/HOST over server.port/server.host (applied once, at load)', () => {
	it('without PORT/HOST the file (or its defaults) decides', () => {
		expect(parse(base()).server).toMatchObject({ host: '127.0.0.1', port: 3000 });
		const cfg = parseConfig(yaml(withSet((c) => Object.assign(c.server, { host: '10.0.0.5', port: 8080 }))), '/x.yaml', {});
		expect(cfg.server).toMatchObject({ host: '10.0.0.5', port: 8080 });
	});
	it("PORT and HOST replace the file's values", () => {
		const text = yaml(withSet((c) => Object.assign(c.server, { host: '10.0.0.5', port: 8080 })));
		expect(parseConfig(text, '/x.yaml', { PORT: '4123', HOST: '0.0.0.0' }).server).toMatchObject({ host: '0.0.0.0', port: 4123 });
		expect(parseConfig(text, '/x.yaml', { PORT: '4123' }).server).toMatchObject({ host: '10.0.0.5', port: 4123 });
		expect(parseConfig(text, '/x.yaml', { HOST: '::1' }).server).toMatchObject({ host: '::1', port: 8080 });
	});
	it('loadConfig takes them from the environment it is given', () => {
		const file = path.join(dir, 'listen.yaml');
		fs.writeFileSync(file, yaml(base()));
		expect(loadConfig(file, { PORT: '5001', HOST: '127.0.0.2' }).server).toMatchObject({ host: '127.0.0.2', port: 5001 });
		expect(loadConfig(file, {}).server).toMatchObject({ host: '127.0.0.1', port: 3000 });
	});
	it.each(['0', '65536', '30x0', '', ' 80', '-1', '3000.5'])('a bad PORT %j is a start-up error naming PORT', (port) => {
		const err = (() => {
			try {
				parseConfig(yaml(base()), '/x.yaml', { PORT: port });
			} catch (e) {
				return e;
			}
		})();
		expect(err).toBeInstanceOf(ConfigError);
		expect((err as ConfigError).message).toMatch(/PORT \(environment variable, overrides server\.port\): must be a port number/);
	});
	it.each(['', 'a b', '\n'])('a bad HOST %j is a start-up error naming HOST', (host) => {
		expect(() => parseConfig(yaml(base()), '/x.yaml', { HOST: host })).toThrow(/HOST \(environment variable, overrides server\.host\)/);
	});
});
