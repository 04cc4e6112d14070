// Secrets at rest: AES-256-GCM sealing (`aesGcm`) and the one rule for reading or making a key file.
export * as aesGcm from './aes-gcm';
export { KEY_BYTES, loadKey } from './key-file';
