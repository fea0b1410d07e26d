/**
 * What US plates carry besides the registration, per issuing jurisdiction: the name and legends
 * printed on the plate (to tell the state from the words on it) and the standard serial series
 * (to rescore readings once the state is known). General knowledge of US plates, never taken from
 * evaluation images. Data only: `src/domain` imports nothing of ours.
 *
 * Serial patterns: L a letter, D a digit, one character per position (separators dropped), as
 * the registration is written in records. Specialty, vanity and older series exist in every
 * state; the patterns are the common standard passenger series, so they make a prior, never a rule.
 */
export interface UsJurisdiction {
  /** USPS code. */
  code: string;
  /** Words printed on its plates: the name first, then legends, slogans and web addresses. */
  words: readonly string[];
  patterns: readonly string[];
}

export const US_JURISDICTIONS: readonly UsJurisdiction[] = [
  {
    code: 'AL',
    words: ['ALABAMA', 'SWEET HOME ALABAMA', 'HEART OF DIXIE', 'STARS FELL ON ALABAMA'],
    patterns: ['DDLDDDL', 'DLDDDDL', 'DDLLDDD', 'DLLDDDD'],
  },
  { code: 'AK', words: ['ALASKA', 'THE LAST FRONTIER', 'NORTH TO THE FUTURE'], patterns: ['LLLDDD'] },
  { code: 'AZ', words: ['ARIZONA', 'GRAND CANYON STATE'], patterns: ['LLLDDDD', 'LLLDDD', 'DDLLLL'] },
  {
    code: 'AR',
    words: ['ARKANSAS', 'THE NATURAL STATE', 'NATURAL STATE'],
    patterns: ['DDDLLL', 'LLLDDL', 'LLLDDD'],
  },
  {
    code: 'CA',
    words: ['CALIFORNIA', 'DMV.CA.GOV', 'THE GOLDEN STATE'],
    patterns: ['DLLLDDD', 'DLDDDDD', 'DDDDDLD'],
  },
  { code: 'CO', words: ['COLORADO'], patterns: ['LLLDDD', 'DDDLLL', 'LLLLDD', 'LLLDLL', 'LLLLDDD'] },
  {
    code: 'CT',
    words: ['CONNECTICUT', 'CONSTITUTION STATE', 'PRESERVATION'],
    patterns: ['LLLDDDD', 'DLLDDD', 'DDDLLL', 'LDDDDL'],
  },
  {
    code: 'DE',
    words: ['DELAWARE', 'THE FIRST STATE', 'FIRST STATE'],
    patterns: ['DDDDDD', 'DDDDDDD', 'DDDDD', 'DDDD'],
  },
  {
    code: 'DC',
    words: [
      'DISTRICT OF COLUMBIA',
      'WASHINGTON DC',
      'TAXATION WITHOUT REPRESENTATION',
      'END TAXATION WITHOUT REPRESENTATION',
      'CELEBRATE DISCOVER',
    ],
    patterns: ['LLDDDD', 'LDDDDD', 'DLLDDD'],
  },
  {
    code: 'FL',
    words: ['FLORIDA', 'SUNSHINE STATE', 'MYFLORIDA.COM', 'MYFLORIDA'],
    patterns: ['LLLLDD', 'DDDLLL', 'LLLDLL', 'LLLD', 'LDDDLL', 'LLLDDL'],
  },
  {
    code: 'GA',
    words: ['GEORGIA', 'PEACH STATE', 'IN GOD WE TRUST'],
    patterns: ['LLLDDDD', 'DDDDLLL', 'LLLDDD'],
  },
  { code: 'HI', words: ['HAWAII', 'ALOHA STATE'], patterns: ['LLLDDD'] },
  {
    code: 'ID',
    words: ['IDAHO', 'FAMOUS POTATOES', 'SCENIC IDAHO'],
    patterns: ['DLDDDDD', 'DLLDDDD', 'LLDDDDD', 'DLDDDD', 'DDLDDDD'],
  },
  {
    code: 'IL',
    words: ['ILLINOIS', 'LAND OF LINCOLN'],
    patterns: ['LLDDDDD', 'LDDDDDD', 'DDDDDDD', 'LLLDDDD', 'DDDDDD'],
  },
  {
    code: 'IN',
    words: ['INDIANA', 'CROSSROADS OF AMERICA', 'IN GOD WE TRUST'],
    patterns: ['DDDLLL', 'DDDL', 'DDLDDD', 'DDDLDD'],
  },
  { code: 'IA', words: ['IOWA', 'COUNTY'], patterns: ['LLLDDD', 'DDDLLL', 'LLLDDDD'] },
  { code: 'KS', words: ['KANSAS'], patterns: ['DDDLLL', 'LLLDDD'] },
  {
    code: 'KY',
    words: ['KENTUCKY', 'UNBRIDLED SPIRIT', 'KENTUCKY UNBRIDLED SPIRIT'],
    patterns: ['DDDLLL', 'LLLDDD', 'DDDDLL'],
  },
  {
    code: 'LA',
    words: ['LOUISIANA', 'SPORTSMANS PARADISE', 'PELICAN STATE', 'BAYOU STATE'],
    patterns: ['LLLDDD', 'DDDLLL'],
  },
  { code: 'ME', words: ['MAINE', 'VACATIONLAND'], patterns: ['DDDDLL', 'DDDLLL', 'DDDDDD'] },
  {
    code: 'MD',
    words: ['MARYLAND', 'MY OLD LINE STATE', 'TREASURE THE CHESAPEAKE', 'CHESAPEAKE'],
    patterns: ['DLLDDDD', 'DLLDDD', 'LLDDDDD', 'DDLLDDD'],
  },
  {
    code: 'MA',
    words: ['MASSACHUSETTS', 'THE SPIRIT OF AMERICA', 'SPIRIT OF AMERICA'],
    patterns: ['DLLDDD', 'DLLLDD', 'DDLDDD', 'DDDLLD', 'DLDDDD'],
  },
  {
    code: 'MI',
    words: ['MICHIGAN', 'GREAT LAKES STATE', 'PURE MICHIGAN', 'GREAT LAKES SPLENDOR'],
    patterns: ['LLLDDDD', 'DLLLDD', 'DDDLLL', 'LLLDDD'],
  },
  {
    code: 'MN',
    words: ['MINNESOTA', 'EXPLORE MINNESOTA', '10000 LAKES', 'LAND OF 10000 LAKES'],
    patterns: ['DDDLLL', 'LLLDDD'],
  },
  {
    code: 'MS',
    words: ['MISSISSIPPI', 'MAGNOLIA STATE', 'IN GOD WE TRUST'],
    patterns: ['LLLDDDD', 'LLLDDD', 'LLDDDDD'],
  },
  {
    code: 'MO',
    words: ['MISSOURI', 'SHOW ME STATE', 'SHOWME STATE'],
    patterns: ['LLDLDL', 'LLLDDD', 'DLLDDD'],
  },
  {
    code: 'MT',
    words: ['MONTANA', 'BIG SKY', 'TREASURE STATE', 'BIG SKY COUNTRY'],
    patterns: ['DDDDDDL', 'DDDDDL', 'DDDLLL'],
  },
  {
    code: 'NE',
    words: ['NEBRASKA', 'THE GOOD LIFE', 'THE CORNHUSKER STATE'],
    patterns: ['DDLDDD', 'LLLDDD', 'DDDLLL', 'DLDDDD'],
  },
  {
    code: 'NV',
    words: ['NEVADA', 'THE SILVER STATE', 'SILVER STATE', 'HOME MEANS NEVADA', 'BATTLE BORN'],
    patterns: ['DDLDDD', 'LLLDDD', 'DLLDDD'],
  },
  {
    code: 'NH',
    words: ['NEW HAMPSHIRE', 'LIVE FREE OR DIE'],
    patterns: ['DDDDDDD', 'DDDDDD', 'LLLDDD', 'DDDLLL'],
  },
  { code: 'NJ', words: ['NEW JERSEY', 'GARDEN STATE'], patterns: ['LDDLLL', 'LLLDDL', 'LLLDDD'] },
  {
    code: 'NM',
    words: ['NEW MEXICO', 'LAND OF ENCHANTMENT', 'USA'],
    patterns: ['LLLDDD', 'DDDLLL', 'LLLLDDD'],
  },
  { code: 'NY', words: ['NEW YORK', 'EMPIRE STATE', 'EXCELSIOR'], patterns: ['LLLDDDD', 'LLLDDD', 'DLLDDD'] },
  {
    code: 'NC',
    words: ['NORTH CAROLINA', 'FIRST IN FLIGHT', 'FIRST IN FREEDOM'],
    patterns: ['LLLDDDD', 'LLDDDD', 'LLLDDD'],
  },
  {
    code: 'ND',
    words: ['NORTH DAKOTA', 'PEACE GARDEN STATE', 'LEGENDARY', 'DISCOVER THE SPIRIT'],
    patterns: ['LLLDDD', 'DDDLLL'],
  },
  {
    code: 'OH',
    words: ['OHIO', 'BIRTHPLACE OF AVIATION', 'THE HEART OF IT ALL', 'OHIO.ORG'],
    patterns: ['LLLDDDD', 'LLDDDDD', 'LLLDDD'],
  },
  {
    code: 'OK',
    words: ['OKLAHOMA', 'NATIVE AMERICA', 'OK.GOV', 'EXPLORE OKLAHOMA', 'TRAVELOK.COM'],
    patterns: ['LLLDDD', 'DDDLLL', 'LLLDDDD'],
  },
  { code: 'OR', words: ['OREGON', 'PACIFIC WONDERLAND'], patterns: ['DDDLLL', 'LLLDDD'] },
  {
    code: 'PA',
    words: ['PENNSYLVANIA', 'VISITPA.COM', 'KEYSTONE STATE', 'VISITPA'],
    patterns: ['LLLDDDD', 'LLDDDDL'],
  },
  {
    code: 'RI',
    words: ['RHODE ISLAND', 'OCEAN STATE'],
    patterns: ['DDDDDD', 'LLDDD', 'DDDDDDD', 'DLDDDD', 'DDDDD'],
  },
  {
    code: 'SC',
    words: ['SOUTH CAROLINA', 'WHILE I BREATHE I HOPE', 'TRAVEL2SC.COM', 'SMILING FACES BEAUTIFUL PLACES'],
    patterns: ['LLLDDD', 'DDDDLL', 'DDDDLLL'],
  },
  {
    code: 'SD',
    words: ['SOUTH DAKOTA', 'GREAT FACES GREAT PLACES', 'MOUNT RUSHMORE'],
    patterns: ['DLDDDD', 'DDLDDD', 'DDLLDD', 'DLLDDD'],
  },
  {
    code: 'TN',
    words: ['TENNESSEE', 'TNVACATION.COM', 'VOLUNTEER STATE', 'THE VOLUNTEER STATE'],
    patterns: ['LLLDDD', 'DDDLLL', 'LDDDDL', 'DLLDDDD'],
  },
  {
    code: 'TX',
    words: ['TEXAS', 'THE LONE STAR STATE', 'LONE STAR STATE'],
    patterns: ['LLLDDDD', 'DLLLD', 'LLDLDDD', 'DDDLLL', 'LLLDLL'],
  },
  {
    code: 'UT',
    words: ['UTAH', 'LIFE ELEVATED', 'GREATEST SNOW ON EARTH'],
    patterns: ['LDDDLL', 'DDDLLL', 'LLLDDD', 'DLLDL'],
  },
  {
    code: 'VT',
    words: ['VERMONT', 'GREEN MOUNTAIN STATE', 'GREEN MOUNTAINS'],
    patterns: ['LLLDDD', 'DDDLDDD', 'DLLDDD'],
  },
  {
    code: 'VA',
    words: ['VIRGINIA', 'VIRGINIA IS FOR LOVERS', 'IS FOR LOVERS'],
    patterns: ['LLLDDDD', 'LLLDDD', 'DLLLDDD'],
  },
  {
    code: 'WA',
    words: ['WASHINGTON', 'EVERGREEN STATE', 'WASHINGTON EVERGREEN STATE'],
    patterns: ['LLLDDDD', 'DDDLLLL', 'DDDLLL'],
  },
  {
    code: 'WV',
    words: ['WEST VIRGINIA', 'WILD WONDERFUL', 'MOUNTAIN STATE', 'ALMOST HEAVEN'],
    patterns: ['DLLDDD', 'LLLDDD', 'DLDDDD'],
  },
  {
    code: 'WI',
    words: ['WISCONSIN', 'AMERICAS DAIRYLAND', 'DAIRYLAND'],
    patterns: ['LLLDDDD', 'DDDLLL', 'LLLDDD'],
  },
  { code: 'WY', words: ['WYOMING'], patterns: ['DDDDDD', 'DDDDDDD', 'DDDDDL', 'DDDDDDL'] },
];

/** USPS codes, in US_JURISDICTIONS order. */
export const US_STATE_CODES: readonly string[] = US_JURISDICTIONS.map((j) => j.code);

const BY_CODE = new Map(US_JURISDICTIONS.map((j) => [j.code, j]));

/** The jurisdiction of a USPS code (any case), or undefined. */
export function usJurisdiction(code: string): UsJurisdiction | undefined {
  return BY_CODE.get(code.toUpperCase());
}

/**
 * How well `text` fits one serial pattern: the number of positions whose class is wrong, or
 * Infinity for another length. `0` fits a letter position too: the records (and the benchmark)
 * write a round O glyph as the digit 0 whatever the series.
 */
export function patternMisfits(text: string, pattern: string): number {
  if (text.length !== pattern.length) return Number.POSITIVE_INFINITY;
  let bad = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const digit = c >= '0' && c <= '9';
    if (pattern[i] === 'D' ? !digit : digit && c !== '0') bad++;
  }
  return bad;
}

/** The fewest misfits of `text` over a jurisdiction's standard series. */
export function seriesMisfits(text: string, code: string): number {
  const j = BY_CODE.get(code);
  if (!j) return Number.POSITIVE_INFINITY;
  let best = Number.POSITIVE_INFINITY;
  for (const p of j.patterns) best = Math.min(best, patternMisfits(text, p));
  return best;
}
