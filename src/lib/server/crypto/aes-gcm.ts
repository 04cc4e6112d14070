// AES-256-GCM sealing and opening, the one place Spyre encrypts secrets at rest. Opening demands the full
// 16-byte tag: without `authTagLength`, Node accepts tags as short as 4 bytes, and a 4-byte tag can be
// forged in about 2^32 tries. Throws on any tampering; callers decide what a failure means (never log
// the key, the plaintext or the ciphertext).

import crypto from 'node:crypto';

export const TAG_LENGTH = 16;
export const IV_LENGTH = 12;

export interface Sealed {
	iv: Buffer;
	tag: Buffer;
	data: Buffer;
}

export function seal(key: Buffer, plaintext: Buffer | string, aad: Buffer): Sealed {
	const iv = crypto.randomBytes(IV_LENGTH);
	const cipher = crypto.createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_LENGTH });
	cipher.setAAD(aad);
	const data = Buffer.concat([cipher.update(plaintext), cipher.final()]);
	return { iv, tag: cipher.getAuthTag(), data };
}

/** The plaintext; throws when the tag is not exactly 16 bytes, or the key, IV, data or AAD do not match. */
export function open(key: Buffer, sealed: Sealed, aad: Buffer): Buffer {
	if (sealed.tag.length !== TAG_LENGTH) throw new Error(`the authentication tag must be ${TAG_LENGTH} bytes`);
	if (sealed.iv.length !== IV_LENGTH) throw new Error(`the IV must be ${IV_LENGTH} bytes`);
	const decipher = crypto.createDecipheriv('aes-256-gcm', key, sealed.iv, { authTagLength: TAG_LENGTH });
	decipher.setAAD(aad);
	decipher.setAuthTag(sealed.tag);
	return Buffer.concat([decipher.update(sealed.data), decipher.final()]);
}
