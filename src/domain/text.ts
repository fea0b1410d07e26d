/**
 * Free text from outside the unit (hot-list reasons and case numbers from an admin's CSV, an
 * officer's form, a pushed list) as a terminal may show it. Pure.
 */

/** Bidirectional overrides and isolates: they reorder what a terminal or a page shows. */
const BIDI = new Set([0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069]);

/** Whether `c` is a control character (C0, DEL, C1) or a bidirectional override. */
export function isControl(c: number): boolean {
  return c < 0x20 || (c >= 0x7f && c <= 0x9f) || BIDI.has(c);
}

/** A line break or a tab: the control characters typed text may hold. */
export function isLineSpace(c: number): boolean {
  return c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * `s` on one line with nothing a terminal would act on: line breaks and tabs become spaces, every
 * other control character (an escape sequence's ESC above all: it can move the cursor, erase the
 * lines above or hide the ones below) becomes U+FFFD, so a crafted reason cannot draw a line of
 * its own or hide the "verify with dispatch" banner under a hit.
 */
export function printable(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (!isControl(c)) out += ch;
    else out += isLineSpace(c) ? ' ' : '\uFFFD';
  }
  return out;
}
