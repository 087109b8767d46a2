/**
 * ORT inference sessions over in-memory graphs: the one way retort executes anything (models,
 * teacher passes, calibration, and training steps).
 */
import { RetortError } from '../util/errors.js';
import { ort, type OrtTensor } from './ort.js';

export type Provider = 'cpu' | 'webgpu';
export const PROVIDERS: readonly Provider[] = ['cpu', 'webgpu'];

export interface SessionOptions {
  provider?: Provider;
  /** Intra-op threads; 0 lets ORT choose (one per core). */
  threads?: number;
  /** ORT graph optimization level; 'all' unless a caller must see the graph as written. */
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Name used in error messages. */
  name?: string;
}

export function parseProvider(value: string): Provider {
  if ((PROVIDERS as readonly string[]).includes(value)) return value as Provider;
  throw new RetortError('BAD_ARGUMENT', `Unsupported provider "${value}". Should be one of: ${PROVIDERS.join(', ')}`);
}

export type Feeds = Record<string, OrtTensor>;
export type Results = Record<string, OrtTensor>;

/** An ORT session plus the names it takes and gives. */
export class Session {
  private constructor(
    private readonly inner: ort.InferenceSession,
    readonly name: string,
    readonly provider: Provider,
  ) {}

  static async create(modelBytes: Uint8Array, options: SessionOptions = {}): Promise<Session> {
    const provider = options.provider ?? 'cpu';
    const name = options.name ?? 'model';
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      executionProviders: [provider],
      graphOptimizationLevel: options.optimization ?? 'all',
      intraOpNumThreads: options.threads ?? 0,
      interOpNumThreads: 1,
      logSeverityLevel: 3,
    };
    try {
      const inner = await ort.InferenceSession.create(modelBytes, sessionOptions);
      return new Session(inner, name, provider);
    } catch (e) {
      const message = (e as Error).message;
      if (provider !== 'cpu' && !ort.listSupportedBackends().some((b) => b.name === provider)) {
        throw new RetortError('PROVIDER_UNAVAILABLE', `Provider "${provider}" is not available in this onnxruntime-node build`, { cause: e });
      }
      if (provider === 'webgpu') {
        throw new RetortError(
          'PROVIDER_UNAVAILABLE',
          `Provider "webgpu" could not start (no GPU adapter or Vulkan driver on this machine?): ${message}`,
          { cause: e },
        );
      }
      throw new RetortError('RUNTIME_FAILURE', `ONNX Runtime could not load ${name}: ${message}`, { cause: e });
    }
  }

  get inputNames(): readonly string[] {
    return this.inner.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.inner.outputNames;
  }

  /**
   * Run once. `fetches` names the outputs wanted (default all); an entry mapped to a tensor is a
   * preallocated output ORT writes into instead of allocating.
   */
  async run(feeds: Feeds, fetches?: readonly string[] | Record<string, OrtTensor | null>): Promise<Results> {
    try {
      if (fetches === undefined) return await this.inner.run(feeds);
      return await this.inner.run(feeds, fetches as never);
    } catch (e) {
      throw new RetortError('RUNTIME_FAILURE', `ONNX Runtime failed running ${this.name}: ${(e as Error).message}`, { cause: e });
    }
  }

  async dispose(): Promise<void> {
    await this.inner.release();
  }
}

/** The providers this onnxruntime-node build knows about (whether a device is present is learned on use). */
export function availableBackends(): string[] {
  return ort.listSupportedBackends().map((b) => b.name);
}

/** The onnxruntime-node version in use (recorded with timings). */
export function runtimeVersion(): string {
  return ort.env.versions.node ?? ort.env.versions.common;
}
