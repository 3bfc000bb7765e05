// CSV reader: RFC 4180 quoting and exact, located errors.
import { describe, expect, it } from "vitest";
import { DatasetError, parseCsv, readTable } from "./csv.js";

const fields = (text: string) => parseCsv(text, "t.csv").map((r) => r.fields);

describe("parseCsv", () => {
  it("reads quoted fields with commas, doubled quotes and newlines", () => {
    expect(fields('a,b,c\n1,"Hello, World",x\n2,"say ""hi""",\n3,"two\nlines",""\n')).toEqual([
      ["a", "b", "c"],
      ["1", "Hello, World", "x"],
      ["2", 'say "hi"', ""],
      ["3", "two\nlines", ""],
    ]);
  });

  it("numbers records by their first line, skipping blank lines, accepting CRLF and a BOM", () => {
    const recs = parseCsv('\uFEFFh1,h2\r\n\r\n"multi\nline",1\r\nx,2', "t.csv");
    expect(recs).toEqual([
      { line: 1, fields: ["h1", "h2"] },
      { line: 3, fields: ["multi\nline", "1"] },
      { line: 5, fields: ["x", "2"] },
    ]);
  });

  it("names the line and field of malformed quoting", () => {
    expect(() => parseCsv('a,b\n1,"open\n2,3\n', "t.csv")).toThrow("t.csv:2: field 2: quoted field is never closed");
    expect(() => parseCsv('a,b\n1,x"y\n', "t.csv")).toThrow("t.csv:2: field 2: quote inside an unquoted field");
    expect(() => parseCsv('a,b\n"x"y,1\n', "t.csv")).toThrow("t.csv:2: field 1: unexpected text after closing quote");
  });
});

describe("readTable", () => {
  it("maps columns in any order", () => {
    const t = readTable("b,a\n1,2\n", "t.csv", ["a", "b"]);
    expect(t.column).toEqual({ b: 0, a: 1 });
    expect(t.rows).toEqual([{ line: 2, fields: ["1", "2"] }]);
  });

  it("rejects empty files, bad headers and ragged rows with exact messages", () => {
    expect(() => readTable("", "t.csv", ["a"])).toThrow(
      new DatasetError("t.csv", null, null, "empty file (expected header a)"),
    );
    expect(() => readTable("a\n", "t.csv", ["a", "b"])).toThrow('t.csv:1: missing header column "b" (expected a,b)');
    expect(() => readTable("a,b,c\n", "t.csv", ["a", "b"])).toThrow(
      't.csv:1: unknown header column "c" (expected a,b)',
    );
    expect(() => readTable("a,a\n", "t.csv", ["a", "b"])).toThrow('t.csv:1: header column "a" appears twice');
    expect(() => readTable("a,b\n1,2\n3\n", "t.csv", ["a", "b"])).toThrow("t.csv:3: expected 2 fields, found 1");
  });
});
