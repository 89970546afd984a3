// Fixed-width decimal numbers, so a key's byte order is their numeric order (DESIGN §4: "its key order is the sort").
const width = 16; // Number.MAX_SAFE_INTEGER has 16 digits

/** Zero-pads a non-negative safe integer to 16 digits. */
export function padId(value: number): string {
  return String(value).padStart(width, '0');
}
