import { apiError, type HttpError } from '../errors.ts';

export type Token =
  | { kind: 'ident'; text: string; pos: number }
  | { kind: 'punct'; text: string; pos: number }
  | { kind: 'number'; text: string; value: number; pos: number }
  | { kind: 'datetime'; text: string; pos: number }
  | { kind: 'date'; text: string; pos: number }
  /** value: unescaped text; like: regex source for LIKE; likeOnly: uses \% or \_ */
  | { kind: 'string'; text: string; value: string; like: string; likeOnly: boolean; pos: number }
  | { kind: 'eof'; text: string; pos: number };

/** Salesforce's query error text: the query, a caret under the culprit, then Row/Column. */
export function queryError(errorCode: string, soql: string, pos: number, detail: string): HttpError {
  const before = soql.slice(0, pos);
  const row = before.split('\n').length;
  const lineStart = before.lastIndexOf('\n') + 1;
  const lineEnd = soql.indexOf('\n', pos);
  const line = soql.slice(lineStart, lineEnd < 0 ? undefined : lineEnd);
  const column = pos - lineStart;
  return apiError(400, errorCode, `\n${line}\n${' '.repeat(column)}^\nERROR at Row:${row}:Column:${column + 1}\n${detail}`);
}

const SIMPLE_ESCAPES: Record<string, string> = {
  n: '\n', N: '\n', r: '\r', R: '\r', t: '\t', T: '\t', b: '\b', B: '\b', f: '\f', F: '\f', '"': '"', "'": "'", '\\': '\\',
};

/** Characters a string literal in a WHERE clause may hold. */
export const MAX_STRING_LITERAL = 4000;

const REGEX_SPECIAL = /[.*+?^${}()|[\]\\/]/g;
const literal = (ch: string) => ch.replace(REGEX_SPECIAL, '\\$&');

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:\d{2})/;
const DATE = /^\d{4}-\d{2}-\d{2}(?![\dT])/;
const NUMBER = /^-?\d+(?:\.\d+)?(?![\w.])/;
const IDENT = /^[A-Za-z][A-Za-z0-9_]*/;
const PUNCT = /^(?:!=|<>|<=|>=|[=<>(),.:])/;

function readString(soql: string, start: number): { token: Token; end: number } {
  let value = '';
  let like = '';
  let likeOnly = false;
  let i = start + 1;
  for (;;) {
    const ch = soql[i];
    if (ch === undefined) throw queryError('MALFORMED_QUERY', soql, start, `line 1:${start} mismatched character '<EOF>' expecting '''`);
    if (ch === "'") break;
    if (ch === '\\') {
      const next = soql[i + 1] ?? '';
      if (next in SIMPLE_ESCAPES) {
        const decoded = SIMPLE_ESCAPES[next] as string;
        value += decoded;
        like += literal(decoded);
        i += 2;
        continue;
      }
      if (next === '%' || next === '_') {
        value += next;
        like += literal(next);
        likeOnly = true;
        i += 2;
        continue;
      }
      if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(soql.slice(i + 2, i + 6))) {
        const decoded = String.fromCharCode(parseInt(soql.slice(i + 2, i + 6), 16));
        value += decoded;
        like += literal(decoded);
        i += 6;
        continue;
      }
      throw queryError(
        'MALFORMED_QUERY',
        soql,
        i,
        `Invalid string literal '${soql.slice(start + 1, i + 2)}'. Illegal character sequence '\\${next}' in string literal.`,
      );
    }
    value += ch;
    like += ch === '%' ? '.*' : ch === '_' ? '.' : literal(ch);
    i += 1;
  }
  const text = soql.slice(start, i + 1);
  // "Strings in WHERE clauses can't exceed 4,000 characters" (SOQL and SOSL Reference, WHERE). The
  // error code and whether escapes count are undocumented: MALFORMED_QUERY, counted unescaped.
  if (value.length > MAX_STRING_LITERAL) {
    throw queryError('MALFORMED_QUERY', soql, start, `String literal is too long: ${value.length} characters, at most ${MAX_STRING_LITERAL} in a WHERE clause`);
  }
  return { token: { kind: 'string', text, value, like, likeOnly, pos: start }, end: i + 1 };
}

export function tokenize(soql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < soql.length) {
    const rest = soql.slice(i);
    const space = /^\s+/.exec(rest);
    if (space) {
      i += space[0].length;
      continue;
    }
    if (rest[0] === "'") {
      const { token, end } = readString(soql, i);
      tokens.push(token);
      i = end;
      continue;
    }
    let m: RegExpExecArray | null;
    if ((m = DATE_TIME.exec(rest))) tokens.push({ kind: 'datetime', text: m[0], pos: i });
    else if ((m = DATE.exec(rest))) tokens.push({ kind: 'date', text: m[0], pos: i });
    else if ((m = NUMBER.exec(rest))) tokens.push({ kind: 'number', text: m[0], value: Number(m[0]), pos: i });
    else if ((m = IDENT.exec(rest))) tokens.push({ kind: 'ident', text: m[0], pos: i });
    else if ((m = PUNCT.exec(rest))) tokens.push({ kind: 'punct', text: m[0], pos: i });
    else throw queryError('MALFORMED_QUERY', soql, i, `line 1:${i} no viable alternative at character '${rest[0]}'`);
    i += m[0].length;
  }
  tokens.push({ kind: 'eof', text: '<EOF>', pos: soql.length });
  return tokens;
}
