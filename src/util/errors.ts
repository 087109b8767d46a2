/**
 * The one error type retort throws on purpose. `code` is stable (tests and callers branch on it);
 * the message names the file, node, op or option at fault and what was expected.
 */
export type RetortErrorCode =
  | 'FILE_NOT_FOUND'
  | 'NOT_ONNX'
  | 'CORRUPT_MODEL'
  | 'EXTERNAL_DATA_MISSING'
  | 'MODEL_TOO_LARGE'
  | 'BAD_ARGUMENT'
  | 'UNKNOWN_INPUT'
  | 'UNKNOWN_KEY'
  | 'DUPLICATE_KEY'
  | 'GRAPH_INVALID'
  | 'UNSUPPORTED_DTYPE'
  | 'SHAPE_UNKNOWN'
  | 'PROVIDER_UNAVAILABLE'
  | 'RUNTIME_FAILURE'
  | 'NO_GRADIENT_RULE'
  | 'GRADIENT_MISMATCH'
  | 'NON_FINITE'
  | 'DATA_INVALID'
  | 'CHECKPOINT_INVALID';

export class RetortError extends Error {
  readonly code: RetortErrorCode;
  constructor(code: RetortErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RetortError';
    this.code = code;
  }
}

export function isRetortError(e: unknown): e is RetortError {
  return e instanceof RetortError;
}
