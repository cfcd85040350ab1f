import type { Translate } from './red';

/*
 * One way to read a node's saved configuration. The editor saves checkboxes as booleans, but flows written by hand,
 * by older editors or by other tools carry "true"/"false" strings and numbers as text; every node reads them here, so
 * all of them accept the same forms (before, kafka broker took 'false' and gremlin server did not).
 */

/** A checkbox: true/false, or the strings "true"/"false" (any case, trimmed); anything else gives the default. */
export function configFlag(value: unknown, dflt: boolean): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const v = value.trim().toLowerCase();
    if (v === 'true') return true;
    if (v === 'false') return false;
  }
  return dflt;
}

/**
 * A number field: a number or numeric text; empty or unset gives the default; out of [min, max] is an error, worded
 * through the caller's translator with the pack's shared texts (ceh-shared.config.*, merged into every node's catalogue
 * by the build). `field` is the field's translated label.
 */
export function configNumber(
  t: Translate,
  value: unknown,
  dflt: number,
  field: string,
  limits: { min?: number; max?: number; integer?: boolean } = {},
): number {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return dflt;
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isFinite(n)) throw new Error(t('ceh-shared.config.notNumber', { field, value: JSON.stringify(value) }));
  if (limits.integer && !Number.isInteger(n)) throw new Error(t('ceh-shared.config.notWhole', { field, value: n }));
  if (limits.min !== undefined && n < limits.min)
    throw new Error(t('ceh-shared.config.tooSmall', { field, min: limits.min, value: n }));
  if (limits.max !== undefined && n > limits.max)
    throw new Error(t('ceh-shared.config.tooLarge', { field, max: limits.max, value: n }));
  return n;
}

/** A text field: trimmed text; empty or unset gives the default. */
export function configText(value: unknown, dflt = ''): string {
  if (value === undefined || value === null) return dflt;
  const v = String(value).trim();
  return v === '' ? dflt : v;
}
