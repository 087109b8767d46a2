/**
 * Input augmentation on batch buffers. Jitter is the MNIST augmentation of Hinton, Vinyals & Dean,
 * "Distilling the Knowledge in a Neural Network" (2015), §3: "the input images were jittered by up
 * to two pixels in any direction" — each image is translated by integer (dx, dy) with zero fill.
 */
import { RetortError } from '../util/errors.js';
import { Rng } from '../util/random.js';

export interface JitterOptions {
  /** Each sample holds channels x height x width values, row-major; channels default 1. */
  height: number;
  width: number;
  channels?: number;
  /** Largest shift in pixels along each axis; 2 in Hinton et al. 2015. */
  maxShift?: number;
  /** A seed, or a running Rng so each batch gets fresh shifts. */
  rng: number | Rng;
  /** Write here instead of in place (same length as the input). */
  output?: Float32Array;
}

/**
 * Shift every image of `images` (count x channels x height x width) by its own random (dx, dy) in
 * [-maxShift, maxShift]; positive dx moves content right, positive dy down. Returns the output.
 */
export function jitterImages(images: Float32Array, options: JitterOptions): Float32Array {
  const { height, width, maxShift = 2, channels = 1 } = options;
  const output = options.output ?? images;
  const plane = height * width;
  const sample = channels * plane;
  if (!(Number.isInteger(maxShift) && maxShift >= 0)) {
    throw new RetortError('BAD_ARGUMENT', `Jitter maxShift must be a non-negative integer, got ${maxShift}`);
  }
  if (!(sample > 0) || images.length % sample !== 0) {
    throw new RetortError('BAD_ARGUMENT', `Jitter: ${images.length} values are not whole ${channels}x${height}x${width} images`);
  }
  if (output.length !== images.length) {
    throw new RetortError('BAD_ARGUMENT', `Jitter: output holds ${output.length} values, input ${images.length}`);
  }
  const rng = typeof options.rng === 'number' ? new Rng(options.rng) : options.rng;
  const scratch = new Float32Array(plane);
  for (let s = 0; s < images.length / sample; s++) {
    // One shift per sample, so its channels move together.
    const dx = rng.int(2 * maxShift + 1) - maxShift;
    const dy = rng.int(2 * maxShift + 1) - maxShift;
    for (let c = 0; c < channels; c++) {
      const start = s * sample + c * plane;
      // Copy the source plane first so writing in place cannot read already-shifted rows.
      scratch.set(images.subarray(start, start + plane));
      shiftPlane(scratch, output.subarray(start, start + plane), height, width, dx, dy);
    }
  }
  return output;
}

/** target[y][x] = source[y - dy][x - dx], zero where that falls outside the image. */
function shiftPlane(source: Float32Array, target: Float32Array, height: number, width: number, dx: number, dy: number): void {
  const xFrom = Math.max(0, dx);
  const xTo = Math.min(width, width + dx);
  for (let y = 0; y < height; y++) {
    const row = target.subarray(y * width, (y + 1) * width);
    const sy = y - dy;
    if (sy < 0 || sy >= height || xFrom >= xTo) {
      row.fill(0);
      continue;
    }
    row.fill(0, 0, xFrom);
    row.set(source.subarray(sy * width + xFrom - dx, sy * width + xTo - dx), xFrom);
    row.fill(0, xTo, width);
  }
}
