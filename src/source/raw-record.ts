/**
 * A field of a raw record as the source served it (undefined when the record is not an object): the one place
 * paging reads unvalidated records, for the ids and times its continuity, gap and scope rules need — bad records
 * included (DESIGN §1).
 */
export function rawField(record: unknown, name: 'id' | 'createdAt'): unknown {
  return (record as Partial<Record<'id' | 'createdAt', unknown>> | null | undefined)?.[name];
}
