/**
 * CSV as ADW writes it to every warehouse (the reference system's lesson: CSV, not JSON, towards the sink).
 * Fields are separated by \x01 and rows by \n, with no quoting: validation guarantees no value holds either
 * (ids are restricted, raw JSON lines cannot contain control characters). An empty field is NULL.
 */
export const FIELD_SEPARATOR = '\x01';
export const ROW_SEPARATOR = '\n';
