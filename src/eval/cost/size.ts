/** Bytes on disk, raw and after gzip. */
import { gzipSync } from 'node:zlib';
import type { ModelBytes } from './types.js';

/**
 * gzip at level 9 is the "what does it cost to ship" number: zeros from pruning and repeated
 * values from weight sharing shrink under it even when the raw file does not (Han et al. 2016,
 * "Deep Compression", report compressed sizes the same way).
 */
export function modelBytes(fileBytes: Uint8Array): ModelBytes {
  return { raw: fileBytes.byteLength, gzip: gzipSync(fileBytes, { level: 9 }).byteLength };
}
