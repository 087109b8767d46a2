import { RetortError } from './errors.js';

/**
 * A named table of implementations (gradient rules, quantization handlers, calibrators...).
 * Registering a key twice is a bug, so it throws; a missing key throws listing the valid keys.
 */
export class Registry<T> {
  private readonly entries = new Map<string, T>();
  constructor(readonly what: string) {}

  register(key: string, value: T): this {
    if (this.entries.has(key)) {
      throw new RetortError('DUPLICATE_KEY', `${this.what} "${key}" is registered twice`);
    }
    this.entries.set(key, value);
    return this;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  find(key: string): T | undefined {
    return this.entries.get(key);
  }

  get(key: string): T {
    const value = this.entries.get(key);
    if (value === undefined) {
      throw new RetortError(
        'UNKNOWN_KEY',
        `Unknown ${this.what} "${key}". Should be one of: ${this.keys().join(', ')}`,
      );
    }
    return value;
  }

  keys(): string[] {
    return [...this.entries.keys()].sort();
  }
}
