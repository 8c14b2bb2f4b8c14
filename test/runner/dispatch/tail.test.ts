import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TailBuffer } from '../../../src/runner/dispatch/tail.ts';

describe('TailBuffer', () => {
  it('keeps exactly the last bytes written, whatever the chunking', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.array(fc.string({ unit: fc.constantFrom('a', 'b', 'c', '\n'), maxLength: 100 }), {
          maxLength: 40,
        }),
        (limit, chunks) => {
          const tail = new TailBuffer(limit);
          for (const c of chunks) tail.push(c);
          const all = chunks.join('');
          expect(tail.totalBytes).toBe(all.length);
          expect(tail.text()).toBe(all.slice(-limit));
        },
      ),
    );
  });

  it('drops a multi-byte character cut in half at the start instead of showing garbage', () => {
    const tail = new TailBuffer(4);
    tail.push('xx€ab'); // € is 3 bytes: the last 4 bytes start inside it
    expect(tail.totalBytes).toBe(7);
    expect(tail.text()).toBe('ab');
    const whole = new TailBuffer(5);
    whole.push('€ab');
    expect(whole.text()).toBe('€ab');
  });

  it('starts empty', () => {
    const tail = new TailBuffer();
    expect(tail.text()).toBe('');
    expect(tail.totalBytes).toBe(0);
  });
});
