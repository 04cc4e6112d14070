import { startSshd } from '/work/main/tests/helpers/sshd.ts';
import { Client } from 'ssh2';
import fs from 'node:fs';
const s = await startSshd();
console.log(s.host, s.port, s.hostKeyFingerprint);
const c = new Client();
c.on('ready', () => { console.log('ready'); c.exec('true', (err, ch) => { console.log('exec', err); ch.on('data', d=>console.log(String(d))); ch.on('exit', (x)=>console.log('exit', x)); ch.on('close', async () => { console.log('close'); c.end(); await s.destroy(); }); ch.end(); }); });
c.on('error', e => console.log('err', e.message, (e as any).level));
c.connect({ host: s.host, port: s.port, username: 'root', privateKey: fs.readFileSync(s.privateKeyPath), hostVerifier: (k: Buffer) => { console.log('hv', k.length); return true; }, debug: undefined });
