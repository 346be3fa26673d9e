/** Decimal amounts of the config are text (`^[0-9]+(\.[0-9]+)?$`), compared exactly as text. */
const DECIMAL_RE = /^[0-9]+(\.[0-9]+)?$/;

export function isDecimalText(s: unknown): s is string {
  return typeof s === 'string' && DECIMAL_RE.test(s);
}

/** a <= b for two decimal texts, without a float on the way (a 40-digit amount stays exact). */
export function decimalAtMost(a: string, b: string): boolean {
  const [ai = '', af = ''] = a.split('.');
  const [bi = '', bf = ''] = b.split('.');
  const ia = ai.replace(/^0+(?=\d)/, '');
  const ib = bi.replace(/^0+(?=\d)/, '');
  if (ia.length !== ib.length) return ia.length < ib.length;
  if (ia !== ib) return ia < ib;
  const n = Math.max(af.length, bf.length);
  return af.padEnd(n, '0') <= bf.padEnd(n, '0');
}
