// RFC 4180 CSV reader with line-accurate errors: quoted fields, doubled quotes, commas and newlines inside quotes.

/** A data-file problem, located by file, line and (when known) field; the message carries all three. */
export class DatasetError extends Error {
  override name = "DatasetError";
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly field: string | null,
    readonly detail: string,
  ) {
    super(`${file}${line === null ? "" : `:${line}`}: ${field === null ? "" : `field "${field}": `}${detail}`);
  }
}

/** One record and the line it starts on (1-based, counting the header). */
export interface CsvRecord {
  line: number;
  fields: string[];
}

/**
 * Parses CSV text into records. Blank lines are skipped; a UTF-8 BOM and CRLF line ends are accepted. A stray
 * quote inside an unquoted field, text after a closing quote, or an unclosed quote is an error naming the line
 * and the 1-based field position.
 */
export function parseCsv(text: string, file: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  while (i < n) {
    const start = line;
    const fields: string[] = [];
    // A line holding nothing at all is not a record.
    if (text[i] === "\n" || (text[i] === "\r" && text[i + 1] === "\n")) {
      i += text[i] === "\r" ? 2 : 1;
      line++;
      continue;
    }
    for (;;) {
      let value = "";
      if (text[i] === '"') {
        const openedOn = line;
        i++;
        for (;;) {
          const q = text.indexOf('"', i);
          if (q < 0) {
            throw new DatasetError(file, openedOn, null, `field ${fields.length + 1}: quoted field is never closed`);
          }
          const chunk = text.slice(i, q);
          for (let k = 0; k < chunk.length; k++) if (chunk.charCodeAt(k) === 10) line++;
          value += chunk;
          if (text[q + 1] === '"') {
            value += '"';
            i = q + 2;
            continue;
          }
          i = q + 1;
          break;
        }
        const c = text[i];
        if (i < n && c !== "," && c !== "\n" && !(c === "\r" && text[i + 1] === "\n")) {
          throw new DatasetError(file, line, null, `field ${fields.length + 1}: unexpected text after closing quote`);
        }
      } else {
        let j = i;
        while (j < n) {
          const c = text.charCodeAt(j);
          if (c === 44 || c === 10 || (c === 13 && text.charCodeAt(j + 1) === 10)) break;
          if (c === 34) {
            throw new DatasetError(file, line, null, `field ${fields.length + 1}: quote inside an unquoted field`);
          }
          j++;
        }
        value = text.slice(i, j);
        i = j;
      }
      fields.push(value);
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text[i] === "\r") i++;
      if (text[i] === "\n") {
        i++;
        line++;
      }
      break;
    }
    records.push({ line: start, fields });
  }
  return records;
}

/** A parsed table whose columns were checked against the expected header. */
export interface CsvTable {
  file: string;
  /** Column position of each expected name. */
  column: Record<string, number>;
  rows: CsvRecord[];
}

/**
 * Parses a CSV file's text whose header must hold exactly `columns` (any order): a missing, unknown or repeated
 * column, an empty file, or a row with the wrong number of fields is an error.
 */
export function readTable(text: string, file: string, columns: readonly string[]): CsvTable {
  const records = parseCsv(text, file);
  const header = records[0];
  if (!header) throw new DatasetError(file, null, null, `empty file (expected header ${columns.join(",")})`);
  const column: Record<string, number> = {};
  header.fields.forEach((name, pos) => {
    const key = name.trim();
    if (!columns.includes(key)) {
      throw new DatasetError(file, header.line, null, `unknown header column "${key}" (expected ${columns.join(",")})`);
    }
    if (key in column) throw new DatasetError(file, header.line, null, `header column "${key}" appears twice`);
    column[key] = pos;
  });
  for (const name of columns) {
    if (!(name in column)) {
      throw new DatasetError(
        file,
        header.line,
        null,
        `missing header column "${name}" (expected ${columns.join(",")})`,
      );
    }
  }
  const rows = records.slice(1);
  for (const r of rows) {
    if (r.fields.length !== columns.length) {
      throw new DatasetError(file, r.line, null, `expected ${columns.length} fields, found ${r.fields.length}`);
    }
  }
  return { file, column, rows };
}
