/** Texts the agency's policy requires the unit to show (see POLICY.md). */

/** Policy rule 4: shown with every hit, everywhere a hit is shown. */
export const VERIFY_BANNER =
  'VERIFY WITH DISPATCH (CLETS/NCIC) BEFORE ACTING. An ALPR hit is not by itself grounds for a stop.';
