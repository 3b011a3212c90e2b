import type { Message } from 'kafkajs';
import type { OutgoingMessage } from './publisher';

/**
 * A publish call's messages as one transferable byte buffer plus lengths, for the hop to the producer thread.
 * Structured-cloning thousands of small objects (each with its own headers object) cost the main thread time and
 * defeated the producer's per-run header cache, so every record paid a Buffer.from per header again; this way
 * the strings are UTF-8 encoded once, on the less busy main thread, and the producer thread only takes views.
 */
export interface EncodedMessages {
  /** Keys and values, back to back. Owns its ArrayBuffer (not Node's shared pool), so it can be transferred. */
  bytes: Uint8Array;
  /** Per message: key byte length (-1 for a null key), value byte length. */
  lengths: Int32Array;
  /** Distinct headers objects of the call (one per run in practice) and which one each message carries. */
  headers: Array<Record<string, string>>;
  headerIndex: Uint16Array;
}

export function encodeMessages(messages: OutgoingMessage[]): EncodedMessages {
  const n = messages.length;
  const lengths = new Int32Array(n * 2);
  const headers: Array<Record<string, string>> = [];
  const headerSlots = new Map<Record<string, string>, number>();
  const headerIndex = new Uint16Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const m = messages[i];
    const keyLength = m.key === null ? -1 : Buffer.byteLength(m.key);
    const valueLength = Buffer.byteLength(m.value);
    lengths[2 * i] = keyLength;
    lengths[2 * i + 1] = valueLength;
    total += Math.max(0, keyLength) + valueLength;
    let slot = headerSlots.get(m.headers);
    if (slot === undefined) {
      slot = headers.length;
      if (slot > 0xffff) throw new RangeError('more than 65535 distinct headers objects in one publish call');
      headers.push(m.headers);
      headerSlots.set(m.headers, slot);
    }
    headerIndex[i] = slot;
  }
  // allocUnsafeSlow: a Buffer with its own ArrayBuffer; allocUnsafe could hand out a slice of the shared pool.
  const bytes = Buffer.allocUnsafeSlow(total);
  let offset = 0;
  for (let i = 0; i < n; i++) {
    const m = messages[i];
    if (m.key !== null) offset += bytes.write(m.key, offset, 'utf8');
    offset += bytes.write(m.value, offset, 'utf8');
  }
  return { bytes, lengths, headers, headerIndex };
}

/** The buffers to list as transferables: the main thread gives them up instead of copying them. */
export function transferables(encoded: EncodedMessages): ArrayBuffer[] {
  return [encoded.bytes.buffer as ArrayBuffer, encoded.lengths.buffer as ArrayBuffer, encoded.headerIndex.buffer as ArrayBuffer];
}

/**
 * kafkajs messages with key and value as views on the received bytes (no copy) and headers encoded once per
 * distinct headers object, shared by all its messages.
 */
export function decodeMessages(encoded: EncodedMessages, encodeHeaders: (headers: Record<string, string>) => Record<string, Buffer>): Message[] {
  const { bytes, lengths, headerIndex } = encoded;
  const source = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headers = encoded.headers.map(encodeHeaders);
  const n = headerIndex.length;
  const out: Message[] = new Array(n);
  let offset = 0;
  for (let i = 0; i < n; i++) {
    const keyLength = lengths[2 * i];
    const valueLength = lengths[2 * i + 1];
    let key: Buffer | null = null;
    if (keyLength >= 0) {
      key = source.subarray(offset, offset + keyLength);
      offset += keyLength;
    }
    const value = source.subarray(offset, offset + valueLength);
    offset += valueLength;
    out[i] = { key, value, headers: headers[headerIndex[i]] };
  }
  return out;
}
