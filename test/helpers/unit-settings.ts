/** The `Key=Value` lines of a systemd unit file, in order, as [key, value] pairs. */
export function settings(unit: string): Array<[string, string]> {
  return unit
    .split('\n')
    .filter((line) => /^[A-Za-z]+=/.test(line))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]);
}
