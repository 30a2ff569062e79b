/** Durations as people write them: `500ms`, `60s`, `10m`, `1.5h`, `2m30s`, or a bare number of ms. */
const DURATION_RE = /^-?(?:\d+(?:\.\d+)?(?:ms|h|m|s))+$|^-?\d+(?:\.\d+)?$/;
const PART_RE = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** JSON-schema pattern for a non-negative duration string. */
export const DURATION_PATTERN = '^(?:\\d+(?:\\.\\d+)?(?:ms|h|m|s))+$|^\\d+(?:\\.\\d+)?$';
/** Same, allowing a leading minus (clock skew). */
export const SIGNED_DURATION_PATTERN = '^-?(?:\\d+(?:\\.\\d+)?(?:ms|h|m|s))+$|^-?\\d+(?:\\.\\d+)?$';

/** Milliseconds (integer), or undefined when `text` is not a duration. */
export function parseDurationMs(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) ? Math.round(text) : undefined;
  const trimmed = text.trim();
  if (!DURATION_RE.test(trimmed)) return undefined;
  const sign = trimmed.startsWith('-') ? -1 : 1;
  const body = sign < 0 ? trimmed.slice(1) : trimmed;
  if (/^\d+(?:\.\d+)?$/.test(body)) return sign * Math.round(Number(body));
  let ms = 0;
  for (const [, amount, unit] of body.matchAll(PART_RE))
    ms += Number(amount) * (UNIT_MS[unit as string] ?? 1);
  return Number.isFinite(ms) ? sign * Math.round(ms) : undefined;
}

/** `150000` -> `2m30s`; `120050` -> `2m0.05s`; `-1500` -> `-1.5s`. */
export function formatDuration(ms: number): string {
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms < 1000) return `${ms}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = (ms % 60_000) / 1000;
  let out = '';
  if (hours) out += `${hours}h`;
  if (minutes) out += `${minutes}m`;
  if (seconds || !out)
    out += `${(hours || minutes) && seconds < 10 && seconds % 1 ? seconds.toFixed(3).replace(/0+$/, '') : seconds}s`;
  return out;
}
