/** Human text for notifications: one line, no secrets, bounded length. */
import type { AlertEvent } from '@edgeflow/shared';

const MAX_TEXT = 480;

export function alertText(e: AlertEvent, deviceName: string, site: string, suppressedBefore: number): string {
  const head =
    e.kind === 'raised' ? `[${e.severity.toUpperCase()}] raised` : `[${e.severity.toUpperCase()}] cleared`;
  const tail =
    suppressedBefore > 0
      ? ` (${suppressedBefore} earlier notifications for this device were suppressed)`
      : '';
  return clip(`${head}: ${deviceName} (${e.deviceId}) at ${site}: ${e.message}${tail}`);
}

export function digestText(e: AlertEvent, deviceName: string, limit: number, windowMs: number): string {
  return clip(
    `[STORM] ${deviceName} (${e.deviceId}) sent more than ${limit} notifications in ${Math.round(windowMs / 60_000)} min; ` +
      `further alerts for this device are recorded but not sent until the window ends (latest: ${e.message})`,
  );
}

function clip(s: string): string {
  return s.length <= MAX_TEXT ? s : `${s.slice(0, MAX_TEXT - 1)}…`;
}
