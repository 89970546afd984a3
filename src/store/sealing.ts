import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

// AES-256-GCM for the values that hold chat text (docs/security.md): one key per kind of value, derived
// from the operator's state key with HKDF-SHA256 and a random salt kept in the state; the record's full key
// (sublevel prefix included) is the associated data, so a value moved under another key fails to open.

/** The sublevels whose values hold chat text, by prefix, and the kind whose key seals them (each its sublevel's name). */
export const sealedKinds = { '!turns!': 'turns', '!outbox!': 'outbox', '!quarantine!': 'quarantine', '!replay!': 'replay', '!changed!': 'changed', '!retractions!': 'retractions' } as const;

/** What the state records about its sealing (the `sealing` key of `meta`): never the key. */
export interface SealingRecord {
  readonly version: 1;
  /** HKDF salt, base64. */
  readonly salt: string;
  /** A key check value (16 bytes of HKDF output of their own), base64: tells a wrong key from a damaged value. */
  readonly check: string;
}

const format = 1;
const ivLength = 12;
const tagLength = 16;

/** Seals and opens values with keys derived from one state key and salt. */
export class Sealer {
  private readonly keys: ReadonlyMap<string, Buffer>;
  readonly record: SealingRecord;

  private constructor(stateKey: string, salt: Buffer) {
    const derive = (info: string, length: number) => Buffer.from(hkdfSync('sha256', Buffer.from(stateKey, 'utf8'), salt, `memory-cron state ${info}`, length));
    this.keys = new Map(Object.values(sealedKinds).map((kind) => [kind, derive(kind, 32)]));
    this.record = { version: 1, salt: salt.toString('base64'), check: derive('key check', 16).toString('base64') };
  }

  /** A sealer for a state not sealed yet: a fresh salt. */
  static fresh(stateKey: string): Sealer {
    return new Sealer(stateKey, randomBytes(16));
  }

  /** The sealer of a sealed state, or undefined when `stateKey` is not the key it was sealed with. */
  static forRecord(stateKey: string, record: SealingRecord): Sealer | undefined {
    const sealer = new Sealer(stateKey, Buffer.from(record.salt, 'base64'));
    const expected = Buffer.from(record.check, 'base64');
    const actual = Buffer.from(sealer.record.check, 'base64');
    return expected.length === actual.length && timingSafeEqual(expected, actual) ? sealer : undefined;
  }

  /** `version ‖ iv ‖ tag ‖ ciphertext` of `plain`, bound to `key`. */
  seal(kind: string, key: string, plain: Uint8Array): Buffer {
    const iv = randomBytes(ivLength);
    const cipher = createCipheriv('aes-256-gcm', this.keyOf(kind), iv, { authTagLength: tagLength }).setAAD(Buffer.from(key, 'utf8'));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([Buffer.of(format), iv, cipher.getAuthTag(), body]);
  }

  /** The plain bytes of a sealed value, or undefined when it is not one sealed under `key` with this state key. */
  open(kind: string, key: string, sealed: Uint8Array): Buffer | undefined {
    const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    if (bytes.length < 1 + ivLength + tagLength || bytes[0] !== format) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.keyOf(kind), bytes.subarray(1, 1 + ivLength), { authTagLength: tagLength }).setAAD(Buffer.from(key, 'utf8'));
      decipher.setAuthTag(bytes.subarray(1 + ivLength, 1 + ivLength + tagLength));
      return Buffer.concat([decipher.update(bytes.subarray(1 + ivLength + tagLength)), decipher.final()]);
    } catch {
      return undefined;
    }
  }

  private keyOf(kind: string): Buffer {
    const key = this.keys.get(kind);
    if (key === undefined) throw new TypeError(`no sealing key for kind ${kind}`);
    return key;
  }
}
