/** MSB-first bit streams for the Huffman and fixed-width sections of a .retort-dc file. */
export class BitWriter {
  private readonly bytes: number[] = [];
  private current = 0;
  private filled = 0;
  bitLength = 0;

  write(value: number, width: number): void {
    for (let b = width - 1; b >= 0; b--) {
      this.current = (this.current << 1) | ((value >>> b) & 1);
      this.filled++;
      this.bitLength++;
      if (this.filled === 8) {
        this.bytes.push(this.current);
        this.current = 0;
        this.filled = 0;
      }
    }
  }

  finish(): Uint8Array {
    const out = [...this.bytes];
    if (this.filled > 0) out.push(this.current << (8 - this.filled));
    return Uint8Array.from(out);
  }
}

export class BitReader {
  private position = 0;
  constructor(private readonly bytes: Uint8Array) {}

  read(width: number): number {
    let value = 0;
    for (let i = 0; i < width; i++) {
      const byte = this.bytes[this.position >> 3] ?? 0;
      value = (value << 1) | ((byte >> (7 - (this.position & 7))) & 1);
      this.position++;
    }
    return value >>> 0;
  }
}
