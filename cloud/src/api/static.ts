/**
 * The built console, served from a directory (EDGEFLOW_CONSOLE_DIR, default
 * `<repo>/console/dist`) at `/`: content types by extension, immutable caching for hashed
 * asset names, `no-cache` for index.html, and a strict Content-Security-Policy (same-origin
 * only: no inline script, no CDN, no eval). Paths without an extension fall back to
 * index.html (client-side routes). A missing build answers a clear 404.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { Response } from '@google-cloud/functions-framework';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

/** A bundler's content hash in the name (`index-3f9a1c2b.js`, `app.8e1f00aa.css`). */
const HASHED = /[.-][A-Za-z0-9_]{8,}\.[a-z0-9]+$/;

function securityHeaders(res: Response): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

export async function serveConsole(dir: string, urlPath: string, res: Response): Promise<void> {
  securityHeaders(res);
  const index = join(dir, 'index.html');
  if (!(await isFile(index))) {
    res
      .status(404)
      .type('text/plain')
      .send(
        `edgeflow console not built: ${index} does not exist. Build the console or point EDGEFLOW_CONSOLE_DIR at it; the API is at /v1.\n`,
      );
    return;
  }
  let rel: string;
  try {
    rel = decodeURIComponent(urlPath);
  } catch {
    res.status(400).type('text/plain').send('bad path\n');
    return;
  }
  const candidate = normalize(join(dir, rel));
  // Never outside the directory (`..`, encoded or not).
  const inside = candidate === dir || candidate.startsWith(dir.endsWith(sep) ? dir : dir + sep);
  let file = inside && rel !== '/' && (await isFile(candidate)) ? candidate : undefined;
  if (!file) {
    if (!inside || extname(rel) !== '') {
      res.status(404).type('text/plain').send('not found\n');
      return;
    }
    file = index;
  }
  const body = await readFile(file);
  res.setHeader('Content-Type', TYPES[extname(file)] ?? 'application/octet-stream');
  res.setHeader(
    'Cache-Control',
    file !== index && HASHED.test(file) ? 'public, max-age=31536000, immutable' : 'no-cache',
  );
  res.status(200).send(body);
}
