import { startSshd } from '../tests/helpers/sshd.ts';
import { execSync } from 'node:child_process';
import fs from 'node:fs';
const s = await startSshd();
console.log(s.host, s.port);
try { console.log(execSync(`timeout 5 ssh -vv -i ${s.privateKeyPath} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -p ${s.port} root@${s.host} 'echo hi' 2>&1 | tail -30`).toString()); } catch (e) { console.log('fail', String(e.stdout)); }
await s.destroy();
