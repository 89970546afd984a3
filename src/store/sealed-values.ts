import { McError } from '../errors.js';
import { sealedKinds, type Sealer } from './sealing.js';

// What a value of the state is on disk (docs/security.md): its JSON text, and for a sublevel holding chat text in a
// state with a key, that text sealed with the record's full key (sublevel prefix included) as associated data.
// The bytes are those `level`'s json encoding wrote before sealing existed, so a state opens across versions.

/** How a value travels to and from LevelDB: JSON text, or the sealed bytes of that text. */
type ValueFormat = 'utf8' | 'buffer';

/** A value ready for LevelDB, with the encoding to write it under. */
interface EncodedValue {
  readonly value: string | Buffer;
  readonly valueEncoding: ValueFormat;
}

/** The state's sealer once its key is checked (seal-state.ts), undefined while values are plain; one per database. */
export interface SealerSlot {
  sealer: Sealer | undefined;
}

/** The values of one sublevel, by its prefix (`!turns!`): JSON, sealed when its kind is in `sealedKinds` and the slot holds a sealer. */
export class SealedValues {
  private readonly kind: string | undefined;

  constructor(private readonly prefix: string, private readonly slot: SealerSlot, private readonly stateDir: string) {
    this.kind = Object.entries(sealedKinds).find(([kindPrefix]) => kindPrefix === prefix)?.[1];
  }

  /** The encoding to read values in now: sealed bytes, or JSON text. */
  get format(): ValueFormat {
    return this.sealer() === undefined ? 'utf8' : 'buffer';
  }

  /** `value` as JSON text, sealed under `key` (the key within the sublevel) when sealing is on. */
  encode(key: string, value: unknown): EncodedValue {
    const json = JSON.stringify(value);
    const sealer = this.sealer();
    if (sealer === undefined || this.kind === undefined) return { value: json, valueEncoding: 'utf8' };
    return { value: sealer.seal(this.kind, this.prefix + key, Buffer.from(json, 'utf8')), valueEncoding: 'buffer' };
  }

  /**
   * The value stored under `key`, read in {@link format}: opened when sealed, then parsed. A sealed value failing its
   * tag is MC_STATE_DAMAGED; text that is not JSON fails as `level`'s json encoding does (LEVEL_DECODE_ERROR, which
   * statedir/state-error.ts turns into MC_STATE_DAMAGED).
   */
  decode(key: string, stored: string | Buffer | undefined): unknown {
    if (stored === undefined) return undefined;
    let text: string;
    if (typeof stored === 'string') {
      text = stored;
    } else {
      const sealer = this.sealer();
      const plain = sealer === undefined || this.kind === undefined ? undefined : sealer.open(this.kind, this.prefix + key, stored);
      if (plain === undefined) {
        throw new McError('MC_STATE_DAMAGED', `state in ${this.stateDir} is damaged: a sealed ${this.kind ?? 'state'} value failed its integrity check (AES-GCM tag); restore ${this.stateDir} from a backup — nothing was rewritten`);
      }
      text = plain.toString('utf8');
    }
    try {
      return JSON.parse(text);
    } catch (error) {
      throw Object.assign(new Error('Could not decode value', { cause: error }), { code: 'LEVEL_DECODE_ERROR' });
    }
  }

  private sealer(): Sealer | undefined {
    return this.kind === undefined ? undefined : this.slot.sealer;
  }
}
