// SMS segment arithmetic, as carriers count it (3GPP TS 23.038).
// GSM-7: 160 septets in one segment, 153 a segment when split (7 go to the concatenation header);
// the extension table's characters take two septets (ESC + char) and never straddle two segments.
// Anything outside GSM-7 makes the whole message UCS-2: 70 code units, 67 a segment when split;
// a character outside the BMP (most emoji) is two UTF-16 code units and is never split either.

const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM7_EXTENSION = '\f^{}\\[~]|€';

const BASIC = new Set(GSM7_BASIC);
const EXTENSION = new Set(GSM7_EXTENSION);

export const LIMITS = {
  'GSM-7': { single: 160, multi: 153 },
  'UCS-2': { single: 70, multi: 67 },
};

export function isGsm7(text) {
  for (const ch of text) {
    if (!BASIC.has(ch) && !EXTENSION.has(ch)) return false;
  }
  return true;
}

// Units a character costs: septets for GSM-7, UTF-16 code units for UCS-2.
function unitsOf(ch, encoding) {
  if (encoding === 'GSM-7') return EXTENSION.has(ch) ? 2 : 1;
  return ch.length; // 2 for a surrogate pair
}

// Pack characters greedily into segments of `size` units without splitting any character.
function pack(chars, encoding, size) {
  let segments = 1;
  let used = 0;
  for (const ch of chars) {
    const cost = unitsOf(ch, encoding);
    if (used + cost > size) {
      segments += 1;
      used = 0;
    }
    used += cost;
  }
  return { segments, lastUsed: used };
}

/**
 * What a text costs as an SMS.
 * @returns {{encoding: 'GSM-7'|'UCS-2', units: number, segments: number, perSegment: number, remaining: number,
 *            nonGsm: string[]}}
 */
export function smsInfo(text) {
  const chars = Array.from(text);
  const encoding = isGsm7(text) ? 'GSM-7' : 'UCS-2';
  const limit = LIMITS[encoding];
  const units = chars.reduce((sum, ch) => sum + unitsOf(ch, encoding), 0);
  const nonGsm = encoding === 'UCS-2' ? [...new Set(chars.filter((ch) => !BASIC.has(ch) && !EXTENSION.has(ch)))] : [];
  if (units === 0) {
    return { encoding, units, segments: 0, perSegment: limit.single, remaining: limit.single, nonGsm };
  }
  if (units <= limit.single) {
    return { encoding, units, segments: 1, perSegment: limit.single, remaining: limit.single - units, nonGsm };
  }
  const { segments, lastUsed } = pack(chars, encoding, limit.multi);
  return { encoding, units, segments, perSegment: limit.multi, remaining: limit.multi - lastUsed, nonGsm };
}
