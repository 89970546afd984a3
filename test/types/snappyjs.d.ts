// snappyjs ships no types; the one function the raw scan uses.
declare module 'snappyjs' {
  /** Decompresses a raw (unframed) snappy buffer. */
  export function uncompress<T extends Uint8Array | ArrayBuffer>(compressed: T, maxLength?: number): T;
  const snappy: { uncompress: typeof uncompress };
  export default snappy;
}
