/** Amounts are in the minor unit, which for zero-decimal currencies is the unit (100 JPY is `100`). */
export const ZERO_DECIMAL_CURRENCIES: ReadonlySet<string> = new Set([
  'bif',
  'clp',
  'djf',
  'gnf',
  'jpy',
  'kmf',
  'krw',
  'mga',
  'pyg',
  'rwf',
  'ugx',
  'vnd',
  'vuv',
  'xaf',
  'xof',
  'xpf',
]);

export const SUPPORTED_CURRENCIES: readonly string[] = [
  'usd',
  'eur',
  'gbp',
  'chf',
  'cad',
  'aud',
  'nzd',
  'sek',
  'nok',
  'dkk',
  'pln',
  'czk',
  'huf',
  'ron',
  'bgn',
  'sgd',
  'hkd',
  'mxn',
  'brl',
  'inr',
  'zar',
  'ils',
  'aed',
  'thb',
  'myr',
  'php',
  'idr',
  'try',
  ...ZERO_DECIMAL_CURRENCIES,
];

/** Digits after the decimal point of the currency's major unit: 0 or 2 here. */
export function currencyExponent(currency: string): 0 | 2 {
  return ZERO_DECIMAL_CURRENCIES.has(currency) ? 0 : 2;
}
