import { OUTPUT_TAIL_BYTES } from './types.ts';

/**
 * Keeps the last `limitBytes` of a byte stream in bounded memory, however much is written: a command
 * printing gigabytes costs a worker no more than a few kilobytes.
 */
export class TailBuffer {
  readonly limitBytes: number;
  /** bytes written in total, kept or not */
  totalBytes = 0;
  private chunks: Buffer[] = [];
  private keptBytes = 0;

  constructor(limitBytes = OUTPUT_TAIL_BYTES) {
    this.limitBytes = limitBytes;
  }

  push(chunk: Buffer | string): void {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.totalBytes += buf.length;
    if (buf.length >= this.limitBytes) {
      this.chunks = [buf.subarray(buf.length - this.limitBytes)];
      this.keptBytes = this.limitBytes;
      return;
    }
    this.chunks.push(buf);
    this.keptBytes += buf.length;
    while (this.keptBytes - this.chunks[0].length >= this.limitBytes) {
      this.keptBytes -= this.chunks[0].length;
      this.chunks.shift();
    }
  }

  /** The kept bytes as UTF-8, without a character split by the cut at the start. */
  text(): string {
    let buf = Buffer.concat(this.chunks, this.keptBytes);
    if (buf.length > this.limitBytes) buf = buf.subarray(buf.length - this.limitBytes);
    if (this.totalBytes > buf.length) {
      // skip UTF-8 continuation bytes (10xxxxxx) left over from a character cut in half
      let i = 0;
      while (i < buf.length && i < 3 && (buf[i] & 0xc0) === 0x80) i++;
      buf = buf.subarray(i);
    }
    return buf.toString('utf8');
  }
}
