import { queryError, tokenize, type Token } from './lexer.ts';

export interface FieldRef {
  path: string[];
  pos: number;
}

export type Literal =
  | { kind: 'string'; value: string; like: string; likeOnly: boolean; pos: number }
  | { kind: 'number'; value: number; pos: number }
  | { kind: 'boolean'; value: boolean; pos: number }
  | { kind: 'null'; pos: number }
  | { kind: 'date'; text: string; pos: number }
  | { kind: 'datetime'; text: string; pos: number }
  | { kind: 'dateLiteral'; name: string; n: number; pos: number };

export type CompareOp = '=' | '!=' | '<' | '>' | '<=' | '>=';

export type Condition =
  | { kind: 'and' | 'or'; items: Condition[] }
  | { kind: 'not'; item: Condition }
  | { kind: 'compare'; field: FieldRef; op: CompareOp; value: Literal }
  | { kind: 'in'; field: FieldRef; negate: boolean; values: Literal[] }
  | { kind: 'like'; field: FieldRef; value: Literal };

export interface OrderItem {
  field: FieldRef;
  descending: boolean;
  nullsLast: boolean;
}

export interface Query {
  count: boolean;
  fields: FieldRef[];
  from: { name: string; pos: number };
  where?: Condition;
  orderBy: OrderItem[];
  limit?: number;
  offset?: number;
}

const UNSUPPORTED = new Set(['GROUP', 'HAVING', 'WITH', 'FOR', 'USING', 'TYPEOF', 'INCLUDES', 'EXCLUDES', 'UPDATE', 'SCOPE']);
const RESERVED = new Set([
  'SELECT', 'FROM', 'WHERE', 'AND', 'OR', 'NOT', 'IN', 'LIKE', 'ORDER', 'BY', 'LIMIT', 'OFFSET', 'NULL', 'TRUE', 'FALSE',
  'ASC', 'DESC', 'NULLS', ...UNSUPPORTED,
]);
const DATE_LITERALS = new Set(['TODAY', 'YESTERDAY', 'TOMORROW']);
const N_DATE_LITERALS = new Set(['LAST_N_DAYS', 'NEXT_N_DAYS', 'N_DAYS_AGO']);
const OPERATORS = new Set(['=', '!=', '<>', '<', '>', '<=', '>=']);

class Parser {
  private index = 0;

  constructor(
    private readonly soql: string,
    private readonly tokens: Token[],
  ) {}

  private get token(): Token {
    return this.tokens[this.index] as Token;
  }

  private advance(): Token {
    const t = this.token;
    if (t.kind !== 'eof') this.index += 1;
    return t;
  }

  private isKeyword(word: string, t: Token = this.token): boolean {
    return t.kind === 'ident' && t.text.toUpperCase() === word;
  }

  private unexpected(t: Token = this.token): never {
    if (t.kind === 'ident' && UNSUPPORTED.has(t.text.toUpperCase())) {
      throw queryError('MALFORMED_QUERY', this.soql, t.pos, `${t.text.toUpperCase()} is not supported by the Salesforce simulator`);
    }
    throw queryError('MALFORMED_QUERY', this.soql, t.pos, `unexpected token: ${t.text}`);
  }

  private expectKeyword(word: string): Token {
    if (!this.isKeyword(word)) this.unexpected();
    return this.advance();
  }

  private isPunct(text: string): boolean {
    const t = this.token;
    return t.kind === 'punct' && t.text === text;
  }

  private expectPunct(text: string): Token {
    if (!this.isPunct(text)) this.unexpected();
    return this.advance();
  }

  private field(): FieldRef {
    const first = this.token;
    if (first.kind !== 'ident' || RESERVED.has(first.text.toUpperCase())) this.unexpected();
    const path = [this.advance().text];
    while (this.isPunct('.')) {
      this.advance();
      const next = this.token;
      if (next.kind !== 'ident') this.unexpected();
      path.push(this.advance().text);
    }
    if (this.isPunct('(')) {
      throw queryError('MALFORMED_QUERY', this.soql, first.pos, `function ${first.text}() is not supported by the Salesforce simulator`);
    }
    return { path, pos: first.pos };
  }

  parse(): Query {
    this.expectKeyword('SELECT');
    let count = false;
    const fields: FieldRef[] = [];
    if (this.isKeyword('COUNT') && this.tokens[this.index + 1]?.text === '(') {
      const at = this.advance();
      this.expectPunct('(');
      if (!this.isPunct(')')) {
        throw queryError('MALFORMED_QUERY', this.soql, at.pos, 'aggregate functions other than COUNT() are not supported by the Salesforce simulator');
      }
      this.advance();
      count = true;
    } else {
      fields.push(this.field());
      while (this.isPunct(',')) {
        this.advance();
        if (this.isPunct('(')) {
          throw queryError('MALFORMED_QUERY', this.soql, this.token.pos, 'subqueries are not supported by the Salesforce simulator');
        }
        fields.push(this.field());
      }
    }
    this.expectKeyword('FROM');
    const objectToken = this.token;
    if (objectToken.kind !== 'ident' || RESERVED.has(objectToken.text.toUpperCase())) this.unexpected();
    this.advance();
    const query: Query = { count, fields, from: { name: objectToken.text, pos: objectToken.pos }, orderBy: [] };
    if (this.isKeyword('WHERE')) {
      this.advance();
      query.where = this.condition();
    }
    if (this.isKeyword('ORDER')) {
      this.advance();
      this.expectKeyword('BY');
      query.orderBy = this.orderList();
    }
    if (this.isKeyword('LIMIT')) {
      this.advance();
      query.limit = this.integer();
    }
    if (this.isKeyword('OFFSET')) {
      this.advance();
      query.offset = this.integer();
    }
    if (this.token.kind !== 'eof') this.unexpected();
    return query;
  }

  private integer(): number {
    const t = this.token;
    if (t.kind !== 'number' || !Number.isInteger(t.value) || t.value < 0) this.unexpected();
    this.advance();
    return t.value;
  }

  private orderList(): OrderItem[] {
    const items: OrderItem[] = [];
    do {
      if (items.length) this.advance();
      const field = this.field();
      let descending = false;
      if (this.isKeyword('ASC')) this.advance();
      else if (this.isKeyword('DESC')) {
        this.advance();
        descending = true;
      }
      let nullsLast = descending;
      if (this.isKeyword('NULLS')) {
        this.advance();
        if (this.isKeyword('FIRST')) nullsLast = false;
        else if (this.isKeyword('LAST')) nullsLast = true;
        else this.unexpected();
        this.advance();
      }
      items.push({ field, descending, nullsLast });
    } while (this.isPunct(','));
    return items;
  }

  /** SOQL refuses to mix AND and OR without parentheses. */
  private condition(): Condition {
    const first = this.unary();
    const joiner = this.isKeyword('AND') ? 'and' : this.isKeyword('OR') ? 'or' : undefined;
    if (!joiner) return first;
    const items = [first];
    while (this.isKeyword(joiner.toUpperCase())) {
      this.advance();
      items.push(this.unary());
    }
    if (this.isKeyword(joiner === 'and' ? 'OR' : 'AND')) this.unexpected();
    return { kind: joiner, items };
  }

  private unary(): Condition {
    if (this.isKeyword('NOT')) {
      this.advance();
      return { kind: 'not', item: this.unary() };
    }
    if (this.isPunct('(')) {
      this.advance();
      const inner = this.condition();
      this.expectPunct(')');
      return inner;
    }
    return this.predicate();
  }

  private predicate(): Condition {
    const field = this.field();
    const t = this.token;
    if (t.kind === 'punct' && OPERATORS.has(t.text)) {
      this.advance();
      const op = (t.text === '<>' ? '!=' : t.text) as CompareOp;
      return { kind: 'compare', field, op, value: this.literal() };
    }
    if (this.isKeyword('LIKE')) {
      this.advance();
      return { kind: 'like', field, value: this.literal() };
    }
    let negate = false;
    if (this.isKeyword('NOT') && this.isKeyword('IN', this.tokens[this.index + 1])) {
      this.advance();
      negate = true;
    }
    if (this.isKeyword('IN')) {
      this.advance();
      this.expectPunct('(');
      if (this.isKeyword('SELECT')) {
        throw queryError('MALFORMED_QUERY', this.soql, this.token.pos, 'semi-join subqueries are not supported by the Salesforce simulator');
      }
      const values = [this.literal()];
      while (this.isPunct(',')) {
        this.advance();
        values.push(this.literal());
      }
      this.expectPunct(')');
      return { kind: 'in', field, negate, values };
    }
    return this.unexpected();
  }

  private literal(): Literal {
    const t = this.advance();
    switch (t.kind) {
      case 'string':
        return { kind: 'string', value: t.value, like: t.like, likeOnly: t.likeOnly, pos: t.pos };
      case 'number':
        return { kind: 'number', value: t.value, pos: t.pos };
      case 'date':
        return { kind: 'date', text: t.text, pos: t.pos };
      case 'datetime':
        return { kind: 'datetime', text: t.text, pos: t.pos };
      case 'ident': {
        const word = t.text.toUpperCase();
        if (word === 'NULL') return { kind: 'null', pos: t.pos };
        if (word === 'TRUE' || word === 'FALSE') return { kind: 'boolean', value: word === 'TRUE', pos: t.pos };
        if (DATE_LITERALS.has(word)) return { kind: 'dateLiteral', name: word, n: 0, pos: t.pos };
        if (N_DATE_LITERALS.has(word)) {
          this.expectPunct(':');
          const n = this.integer();
          return { kind: 'dateLiteral', name: word, n, pos: t.pos };
        }
        break;
      }
      default:
        break;
    }
    return this.unexpected(t);
  }
}

export function parseSoql(soql: string): Query {
  return new Parser(soql, tokenize(soql)).parse();
}
