import { idSuffix, salesforceId18 } from '../../shared/salesforce-id.ts';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Canonical 18-character id, or undefined when the text cannot be a Salesforce id. */
export const normalizeId = salesforceId18;

let sequence = 0;

/** A fresh 18-character id with the given key prefix; unique across every org of this process. */
export function newId(keyPrefix: string): string {
  sequence += 1;
  let n = sequence;
  let body = '';
  for (let i = 0; i < 9; i++) {
    body = BASE62[n % 62] + body;
    n = Math.floor(n / 62);
  }
  const id15 = `${keyPrefix}5g0${body}`;
  return id15 + idSuffix(id15);
}

export function keyPrefixOf(id: string): string {
  return id.slice(0, 3);
}
