// Shared-secret checks for the worker's protected paths (/ops today): one constant-time comparison, one token parser.

const encoder = new TextEncoder();

/**
 * Whether `given` equals `secret`, in time that depends on neither where they differ nor their lengths: both
 * are hashed to 32 bytes first, then compared with workerd's `crypto.subtle.timingSafeEqual`.
 */
export async function sameSecret(given: string, secret: string): Promise<boolean> {
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(given)),
    crypto.subtle.digest("SHA-256", encoder.encode(secret)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}

/** The token of an `Authorization: Bearer <token>` header, or null when the header is absent or another scheme. */
export function bearerToken(header: string | undefined | null): string | null {
  if (!header) return null;
  const m = /^Bearer[ ]+(\S+)[ ]*$/i.exec(header);
  return m ? (m[1] as string) : null;
}
